// Starts a connector server on the real @app-connect/core framework with the test connectors, on
// 127.0.0.1 and the port in PORT (0 = any free port), and prints "listening on <url>".
// Platforms: "sandbox" (API key, the bundled manifest's) and "sandboxOauth" (OAuth against a fake
// authorization server on loopback). GET /_test/manifest.json serves the manifest of both.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-conformance-"));
process.env.APP_SERVER_SECRET_KEY ||= crypto.randomBytes(32).toString("hex");
process.env.DATABASE_URL ||= `sqlite:${path.join(dbDir, "core.sqlite")}`;
process.env.IS_PROD ||= "true"; // "false" makes the framework print every outgoing request
process.env.HASH_KEY ||= "switchboard-conformance";

const express = require("express");
const { createCoreApp, connectorRegistry } = require("@app-connect/core");
const connector = require("./connector");
const { startFakeOAuth } = require("./fake-oauth");

const CLIENT_ID = "switchboard-conformance";
const CLIENT_SECRET = crypto.randomBytes(16).toString("hex");

async function main() {
  const auth = await startFakeOAuth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const redirectUri = `${auth.url}/landing`;
  const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../manifests/sandbox.json"), "utf8"));
  const oauthPlatform = JSON.parse(JSON.stringify(manifest.platforms.sandbox));
  Object.assign(oauthPlatform, {
    name: "sandboxOauth",
    displayName: "Sandbox CRM (OAuth)",
    auth: { type: "oauth", oauth: { authUrl: `${auth.url}/authorize`, clientId: CLIENT_ID, scope: "scope=contacts.read", redirectUri } },
  });
  manifest.platforms.sandboxOauth = oauthPlatform;
  manifest.redirectUri = redirectUri;

  connector.oauth.configure(
    { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, accessTokenUri: `${auth.url}/token`, authorizationUri: `${auth.url}/authorize`, redirectUri },
    auth.validToken,
  );
  connectorRegistry.setDefaultManifest(manifest);
  connectorRegistry.registerConnector("sandbox", connector, manifest);
  connectorRegistry.registerConnector("sandboxOauth", connector.oauth, manifest);

  // The framework's app behind a recorder of the POST /callLog bodies as they arrive (the framework
  // passes only some of their keys on to the connector). Its body parser skips a parsed body.
  const callLogBodies = [];
  const app = express();
  app.post("/callLog", express.json({ limit: "50mb" }), (req, _res, next) => {
    callLogBodies.push(req.body);
    next();
  });
  app.get("/_test/contactCount", (_req, res) => res.json({ count: connector.contactCount() }));
  app.get("/_test/received", (_req, res) =>
    res.json({ creates: connector.receivedCreates(), logs: connector.receivedLogs(), callLogBodies }),
  );
  app.get("/_test/manifest.json", (_req, res) => res.json({ ...manifest, serverUrl: `http://127.0.0.1:${server.address().port}` }));

  app.use(createCoreApp());

  const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });

  const stop = () => {
    auth.server.close();
    server.close(() => {
      fs.rmSync(dbDir, { recursive: true, force: true });
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
