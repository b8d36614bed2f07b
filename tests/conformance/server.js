// Starts a connector server on the real @app-connect/core framework with the test connector, on
// 127.0.0.1 and the port in PORT (0 = any free port), and prints "listening on <url>".
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

const { createCoreApp, connectorRegistry } = require("@app-connect/core");
const manifest = require(path.resolve(__dirname, "../../manifests/sandbox.json"));
const connector = require("./connector");

connectorRegistry.setDefaultManifest(manifest);
connectorRegistry.registerConnector("sandbox", connector, manifest);

const app = createCoreApp();
app.get("/_test/contactCount", (_req, res) => res.json({ count: connector.contactCount() }));

const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

function stop() {
  server.close(() => {
    fs.rmSync(dbDir, { recursive: true, force: true });
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
