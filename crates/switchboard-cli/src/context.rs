//! What every connector command needs: the manifest and platform, the server URL, a client, and
//! the session token from the OS keychain.

use std::time::Duration;

use serde_json::json;
use switchboard_core::client::AppConnectClient;
use switchboard_core::keychain::{self, Keychain, SecretStore};
use switchboard_core::manifest::{self, ManifestSource, Platform};
use switchboard_core::{ErrorCode, Sensitive, UserError};

use crate::{print, Common};

pub struct Context {
    pub platform_name: String,
    pub platform: Platform,
    pub client: AppConnectClient,
    keychain: Keychain,
    account: String,
    json: bool,
}

impl Context {
    pub async fn open(common: &Common, need_session: bool) -> Result<Self, UserError> {
        let loaded = manifest::load(&ManifestSource::parse(&common.manifest)).await?;
        let (name, platform) = loaded.manifest.platform(common.platform.as_deref())?;
        let (platform_name, platform) = (name.to_owned(), platform.clone());
        let server = common
            .server
            .clone()
            .or_else(|| loaded.manifest.server_url.clone())
            .ok_or_else(|| {
                UserError::new(
                    ErrorCode::ManifestInvalid,
                    "The manifest has no serverUrl. Pass the connector server with --server http://localhost:6066.",
                )
            })?;
        let timeout = platform
            .request_config
            .as_ref()
            .and_then(|r| r.timeout)
            .filter(|t| *t > 0.0 && t.is_finite())
            .map(Duration::from_secs_f64);
        let client = AppConnectClient::new(&server, &platform_name, timeout)?;
        let keychain = Keychain::from_env();
        let account = keychain::session_account(client.server_url(), &platform_name);
        let ctx = Self {
            platform_name,
            platform,
            client,
            keychain,
            account,
            json: common.json,
        };
        // Asking the keychain first makes a missing keychain fail before any request is sent.
        let token = ctx.keychain.get(&ctx.account)?;
        if need_session {
            let token = token.ok_or_else(|| {
                UserError::new(
                    ErrorCode::NotSignedIn,
                    format!(
                        "Not signed in to {} at {}. Run `switchboard login --api-key <key>` first.",
                        ctx.platform_name,
                        ctx.client.server_url()
                    ),
                )
            })?;
            ctx.client.set_jwt(Some(token));
        }
        Ok(ctx)
    }

    fn hostname(&self, given: Option<String>) -> Result<String, UserError> {
        if let Some(h) = given {
            return Ok(host_of(&h));
        }
        let Some(env) = &self.platform.environment else {
            return Ok(String::new());
        };
        match env.kind.as_deref() {
            Some("fixed") => Ok(env.url.as_deref().map(host_of).unwrap_or_default()),
            Some("selectable") => Err(UserError::new(
                ErrorCode::FlowOrder,
                format!(
                    "{} has several environments; choose one with --hostname ({}).",
                    self.platform_name,
                    env.selections
                        .iter()
                        .map(|s| host_of(&s.url))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            _ => Err(UserError::new(
                ErrorCode::FlowOrder,
                format!(
                    "{} needs your CRM's address; pass it with --hostname.",
                    self.platform_name
                ),
            )),
        }
    }

    pub async fn login(
        &self,
        api_key: Sensitive<String>,
        fields: &[String],
        hostname: Option<String>,
    ) -> Result<(), UserError> {
        let page = self.platform.api_key_fields();
        if page.is_empty() && self.platform.auth_type() != manifest::AuthType::ApiKey {
            return Err(UserError::new(
                ErrorCode::FlowOrder,
                format!(
                    "{} signs in with OAuth, not an API key; use the desktop app's Sign in panel.",
                    self.platform_name
                ),
            ));
        }
        let mut given: Vec<(String, Sensitive<String>)> = Vec::new();
        for f in fields {
            let (k, v) = f.split_once('=').ok_or_else(|| {
                UserError::new(
                    ErrorCode::FlowOrder,
                    format!(
                        "--field takes CONST=VALUE; \"{}\" has no '='.",
                        f.split('=').next().unwrap_or("")
                    ),
                )
            })?;
            if !page.iter().any(|p| p.key == k) {
                return Err(UserError::new(
                    ErrorCode::FlowOrder,
                    format!(
                        "The login page has no field \"{k}\". Its fields are: {}.",
                        page.iter()
                            .map(|p| p.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            given.push((k.to_owned(), Sensitive::new(v.to_owned())));
        }
        let mut additional = Vec::new();
        let mut missing = Vec::new();
        for field in page.iter().filter(|f| !f.is_button()) {
            let value = if field.key == "apiKey" {
                Some(api_key.clone())
            } else {
                given
                    .iter()
                    .find(|(k, _)| *k == field.key)
                    .map(|(_, v)| v.clone())
                    .or_else(|| {
                        field
                            .default_value
                            .as_ref()
                            .and_then(|d| d.as_str())
                            .map(|d| Sensitive::new(d.to_owned()))
                    })
            };
            match value {
                Some(v) => additional.push((field.key.clone(), v)),
                None if field.required => missing.push(field.key.clone()),
                None => {}
            }
        }
        if !missing.is_empty() {
            return Err(UserError::new(
                ErrorCode::FlowOrder,
                format!(
                    "The login page requires {}; pass each with --field CONST=VALUE.",
                    missing.join(", ")
                ),
            ));
        }
        let hostname = self.hostname(hostname)?;
        let called = self
            .client
            .api_key_login(&api_key, &hostname, &additional)
            .await;
        let resp = called.result?;
        let token = self.client.jwt().ok_or_else(|| {
            UserError::new(ErrorCode::BadResponse, "The server gave no session token.")
        })?;
        self.keychain.set(&self.account, &token)?;
        if self.json {
            print::json(&json!({"name": resp.name, "returnMessage": resp.return_message}));
        } else {
            out!(
                "Signed in to {} as {}. The session token is in the OS keychain.",
                self.platform
                    .display_name
                    .as_deref()
                    .unwrap_or(&self.platform_name),
                resp.name.as_deref().unwrap_or("(no name given)")
            );
            print::return_message(resp.return_message.as_ref());
        }
        Ok(())
    }

    pub async fn logout(&self) -> Result<(), UserError> {
        let called = self.client.unauthorize().await;
        self.keychain.delete(&self.account)?;
        match called.result {
            Ok(_) => out!("Signed out; the stored session was deleted."),
            Err(e) => out!("The server did not confirm the sign-out ({e}); the stored session was deleted anyway."),
        }
        Ok(())
    }

    /// Stores a session token the server renewed, in place of the old one.
    pub fn keep_refreshed(&self, refreshed: &Option<Sensitive<String>>) -> Result<(), UserError> {
        if let Some(t) = refreshed {
            self.keychain.set(&self.account, t)?;
        }
        Ok(())
    }

    pub fn check_contact_type(&self, wanted: Option<&str>) -> Result<(), UserError> {
        let Some(wanted) = wanted else { return Ok(()) };
        let values: Vec<&str> = self
            .platform
            .usable_contact_types()
            .map(|(_, v)| v)
            .collect();
        if values.is_empty() || values.contains(&wanted) {
            return Ok(());
        }
        Err(UserError::new(
            ErrorCode::FlowOrder,
            format!(
                "\"{wanted}\" is not a contact type of {}; use one of: {}.",
                self.platform_name,
                values.join(", ")
            ),
        ))
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.trim().to_owned())
}
