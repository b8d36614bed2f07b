//! What the app holds between commands: the open manifest, the chosen platform and server, the
//! client with its session, the current placeholder flow and the request history.

use std::sync::Arc;

use switchboard_core::client::{AppConnectClient, Exchange};
use switchboard_core::flow::PlaceholderFlow;
use switchboard_core::keychain::{self, Keychain, KeychainError, SecretKind, SecretStore};
use switchboard_core::manifest::{self, LoadedManifest, ManifestSource};
use switchboard_core::profile::{Profile, Profiles};
use switchboard_core::{Sensitive, UserError};
use switchboard_sandbox::Sandbox;
use tokio::sync::Mutex;

/// The inspector keeps this many exchanges; older ones drop off.
pub const HISTORY_LIMIT: usize = 500;

pub struct AppState {
    pub keychain: Keychain,
    pub sandbox_url: Option<String>,
    pub session: Arc<Mutex<Session>>,
    /// The in-app sandbox; it lives as long as the app.
    pub sandbox: Option<Sandbox>,
}

/// One exchange in the history, with the connector lints it raised and a redacted curl command.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    #[serde(flatten)]
    pub exchange: Exchange,
    pub lints: Vec<switchboard_core::lint::Lint>,
    pub curl: String,
}

/// An OAuth sign-in waiting for the browser to come back.
pub struct PendingOAuth {
    pub state: String,
    pub authorize_url: String,
    /// Which profile started it; a switch meanwhile drops the result.
    pub profile_id: String,
    /// Stops the loopback listener.
    pub cancel: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Which secrets the active profile has in the keychain (never the secrets themselves).
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    pub session: bool,
    /// The login page fields (by `const`) with a stored value.
    pub login_fields: Vec<String>,
}

pub struct Session {
    pub profiles: Profiles,
    pub stored: Stored,
    pub loaded: LoadedManifest,
    pub platform: String,
    /// Why the profile's own manifest is not the one open (moved file, unreachable URL).
    pub manifest_problem: Option<String>,
    pub oauth: Option<PendingOAuth>,
    pub client: Arc<AppConnectClient>,
    pub user_name: Option<String>,
    pub signed_in: bool,
    /// Set when the keychain could not be read; shown as a banner with the fix.
    pub keychain_problem: Option<String>,
    pub flow: Option<PlaceholderFlow>,
    pub flow_busy: bool,
    pub history: Vec<Recorded>,
    /// Where the history persists (the app's data dir); none until the app has started.
    pub history_path: Option<std::path::PathBuf>,
}

impl AppState {
    /// What the window is sent about the session.
    pub fn view(&self, s: &Session) -> crate::views::AppView {
        crate::views::app_view(s, self.sandbox_url.as_deref(), self.keychain.service())
    }

    /// The in-app sandbox's contact count, when the client is talking to it (to catch a
    /// findContact that creates).
    pub fn sandbox_count(&self, server: &str) -> Option<usize> {
        let sb = self.sandbox.as_ref()?;
        (server.trim_end_matches('/') == sb.url()).then(|| sb.contact_count())
    }

    pub fn new(sandbox: Option<Sandbox>, profiles: Profiles, keychain: Keychain) -> Self {
        let sandbox_url = sandbox.as_ref().map(Sandbox::url);
        let loaded = bundled_manifest();
        let platform = loaded
            .manifest
            .platform_names()
            .into_iter()
            .next()
            .unwrap_or_default();
        let server = sandbox_url
            .clone()
            .unwrap_or_else(|| "http://localhost:6066".to_owned());
        let client = AppConnectClient::new(&server, &platform, None)
            .or_else(|_| AppConnectClient::new("http://localhost:6066", &platform, None))
            .map(Arc::new)
            .unwrap_or_else(|e| panic!("the fixed fallback URL is valid: {e}"));
        Self {
            keychain,
            sandbox_url,
            session: Arc::new(Mutex::new(Session {
                profiles,
                stored: Stored::default(),
                loaded,
                platform,
                manifest_problem: None,
                oauth: None,
                client,
                user_name: None,
                signed_in: false,
                keychain_problem: None,
                flow: None,
                flow_busy: false,
                history: Vec::new(),
                history_path: None,
            })),
            sandbox,
        }
    }
}

impl Session {
    pub fn profile(&self) -> &Profile {
        self.profiles.active()
    }

    /// The server the client talks to: the profile's override, the in-app sandbox for the bundled
    /// manifest, or the manifest's serverUrl.
    pub fn effective_server(&self, sandbox_url: Option<&str>) -> Result<String, UserError> {
        if let Some(s) = &self.profile().server_url {
            return Ok(s.clone());
        }
        if self.loaded.source == manifest::SANDBOX_SOURCE {
            if let Some(url) = sandbox_url {
                return Ok(url.to_owned());
            }
        }
        self.loaded.manifest.server_url.clone().ok_or_else(|| {
            UserError::new(
                switchboard_core::ErrorCode::ManifestInvalid,
                "The manifest has no serverUrl. Type the connector server's URL in the Server field.",
            )
        })
    }

    /// The keychain account of this profile's secret of one kind.
    pub fn account(&self, kind: SecretKind) -> String {
        keychain::profile_account(&self.profile().id, kind)
    }

    /// Opens the active profile: its manifest (or the bundled one, with the reason, when it cannot
    /// be loaded), its platform and server, and its stored session.
    pub async fn open_profile(&mut self, sandbox_url: Option<&str>, keychain: &Keychain) {
        let profile = self.profile().clone();
        self.manifest_problem = None;
        self.drop_oauth();
        match load_manifest(&profile.manifest).await {
            Ok(loaded) => self.loaded = loaded,
            Err(e) => {
                self.manifest_problem = Some(format!(
                    "Profile \"{}\" could not open its manifest: {} The bundled sandbox manifest is shown instead; open the manifest again to fix the profile.",
                    profile.name, e.message
                ));
                self.loaded = bundled_manifest();
            }
        }
        let names = self.loaded.manifest.platform_names();
        self.platform = profile
            .platform
            .filter(|p| names.contains(p))
            .or_else(|| names.first().cloned())
            .unwrap_or_default();
        if let Err(e) = self.reconnect(sandbox_url, keychain) {
            // A bad server override: fall back to the manifest's server and say why.
            self.manifest_problem = Some(e.message);
            let id = profile.id.clone();
            let _ = self.profiles.update(&id, |p| p.server_url = None);
            let _ = self.reconnect(sandbox_url, keychain);
        }
    }

    /// Saves a change to the active profile.
    pub fn update_profile(&mut self, change: impl FnOnce(&mut Profile)) -> Result<(), UserError> {
        let id = self.profile().id.clone();
        self.profiles.update(&id, change)?;
        Ok(())
    }

    /// Rebuilds the client for the current manifest, platform and server, and restores a stored
    /// session for that pair from the keychain.
    pub fn reconnect(
        &mut self,
        sandbox_url: Option<&str>,
        keychain: &Keychain,
    ) -> Result<(), UserError> {
        let server = self.effective_server(sandbox_url)?;
        let (_, platform) = self.loaded.manifest.platform(Some(&self.platform))?;
        let timeout = platform
            .request_config
            .as_ref()
            .and_then(|r| r.timeout)
            .filter(|t| *t > 0.0 && t.is_finite())
            .map(std::time::Duration::from_secs_f64);
        self.client = Arc::new(AppConnectClient::new(&server, &self.platform, timeout)?);
        self.flow = None;
        self.user_name = None;
        self.signed_in = false;
        self.keychain_problem = None;
        if let Some(token) = self.refresh_stored(keychain) {
            self.client.set_jwt(Some(token));
            self.signed_in = true;
        }
        Ok(())
    }

    /// Re-reads which secrets the profile has stored, and returns its session token.
    pub fn refresh_stored(&mut self, keychain: &Keychain) -> Option<Sensitive<String>> {
        let id = self.profile().id.clone();
        let session = keychain.get(&keychain::profile_account(&id, SecretKind::Session));
        match (session, keychain::login_values(keychain, &id)) {
            (Ok(session), Ok(login)) => {
                self.stored = Stored {
                    session: session.is_some(),
                    login_fields: login.keys().cloned().collect(),
                };
                session
            }
            (Err(e), _) | (_, Err(e)) => {
                self.stored = Stored::default();
                self.keychain_problem = Some(e.to_string());
                None
            }
        }
    }

    /// Ends a pending OAuth sign-in, stopping its loopback listener.
    pub fn drop_oauth(&mut self) -> Option<PendingOAuth> {
        let mut pending = self.oauth.take()?;
        if let Some(cancel) = pending.cancel.take() {
            let _ = cancel.send(());
        }
        Some(pending)
    }

    fn recorded(&self, exchange: Exchange) -> Recorded {
        let platform = self
            .loaded
            .manifest
            .platform(Some(&self.platform))
            .ok()
            .map(|(_, p)| p);
        Recorded {
            lints: switchboard_core::lint::for_exchange(&exchange, platform),
            curl: exchange.to_curl(),
            exchange,
        }
    }

    /// Adds an exchange to the history (and its file) with its lints, and returns the lints.
    pub fn record(&mut self, exchange: Exchange) -> Vec<switchboard_core::lint::Lint> {
        // The URL is redacted; the log says what happened, never with what credentials.
        tracing::info!(
            method = %exchange.method,
            url = %exchange.url,
            status = ?exchange.status,
            ms = exchange.elapsed_ms,
            "request"
        );
        let recorded = self.recorded(exchange);
        let lints = recorded.lints.clone();
        self.history.push(recorded);
        if self.history.len() > HISTORY_LIMIT {
            let extra = self.history.len() - HISTORY_LIMIT;
            self.history.drain(..extra);
        }
        self.save_history();
        lints
    }

    pub fn save_history(&self) {
        if let Some(path) = &self.history_path {
            let exchanges: Vec<&Exchange> = self.history.iter().map(|r| &r.exchange).collect();
            if let Err(e) = switchboard_core::store::save(path, &exchanges) {
                tracing::warn!("{e}");
            }
        }
    }

    /// Loads the history kept by earlier runs. Exchanges are stored redacted; lints are recomputed.
    pub fn open_history(&mut self, path: std::path::PathBuf) -> Option<String> {
        let problem = match switchboard_core::store::load::<Exchange>(&path) {
            Ok(list) => {
                self.history = list.into_iter().map(|e| self.recorded(e)).collect();
                None
            }
            Err(e) => Some(e.to_string()),
        };
        self.history_path = Some(path);
        problem
    }

    /// Stores a renewed session token in place of the old one.
    pub fn keep_refreshed(&mut self, keychain: &Keychain, token: Option<Sensitive<String>>) {
        if let Some(t) = token {
            if let Err(e) = keychain.set(&self.account(SecretKind::Session), &t) {
                self.keychain_problem = Some(e.to_string());
            }
        }
    }
}

pub fn bundled_manifest() -> LoadedManifest {
    LoadedManifest {
        source: manifest::SANDBOX_SOURCE.to_owned(),
        text: manifest::SANDBOX_MANIFEST.to_owned(),
        manifest: manifest::parse(manifest::SANDBOX_MANIFEST).unwrap_or_default(),
    }
}

pub async fn load_manifest(source: &str) -> Result<LoadedManifest, UserError> {
    Ok(manifest::load(&ManifestSource::parse(source)).await?)
}

pub fn keychain_error(e: KeychainError) -> UserError {
    e.into()
}
