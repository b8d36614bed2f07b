// A fake OAuth 2 authorization server on loopback: /authorize redirects back with a one-time code,
// /token exchanges it (client credentials checked) for an access token. For the conformance suite.
"use strict";
const crypto = require("node:crypto");
const express = require("express");

function startFakeOAuth({ clientId, clientSecret }) {
  const codes = new Map(); // code -> redirect_uri
  const tokens = new Set();
  const app = express();
  app.use(express.urlencoded({ extended: false }));

  app.get("/authorize", (req, res) => {
    const { response_type: type, client_id: client, redirect_uri: redirect, state } = req.query;
    if (type !== "code" || client !== clientId || !redirect) {
      res.status(400).json({ error: "invalid_request", detail: { type, client, redirect } });
      return;
    }
    const code = crypto.randomBytes(12).toString("hex");
    codes.set(code, redirect);
    const to = new URL(redirect);
    to.searchParams.set("code", code);
    if (state !== undefined) to.searchParams.set("state", state);
    res.redirect(302, to.toString());
  });

  app.post("/token", (req, res) => {
    const basic = (req.headers.authorization || "").replace(/^Basic /, "");
    const [id, secret] = Buffer.from(basic, "base64").toString().split(":");
    const creds = id === clientId && secret === clientSecret;
    const bodyCreds = req.body.client_id === clientId && req.body.client_secret === clientSecret;
    if (!creds && !bodyCreds) return res.status(401).json({ error: "invalid_client" });
    if (req.body.grant_type !== "authorization_code" || !codes.has(req.body.code)) {
      return res.status(400).json({ error: "invalid_grant" });
    }
    codes.delete(req.body.code);
    const token = crypto.randomBytes(16).toString("hex");
    tokens.add(token);
    res.json({ access_token: token, refresh_token: crypto.randomBytes(16).toString("hex"), token_type: "bearer", expires_in: 3600 });
  });

  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, server, validToken: (t) => tokens.has(t) });
    });
  });
}

module.exports = { startFakeOAuth };
