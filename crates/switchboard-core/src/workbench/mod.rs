//! The workbench: one engine under both front ends. It owns what a person works with (the active
//! profile, the open manifest and platform, the connector client and its session, the placeholder
//! flow, the exchange history) and every rule about them. The desktop shell's commands and the
//! CLI's subcommands call these methods and render the views they return.
//!
//! It is generic over where secrets live ([`SecretStore`]) and over time ([`Clock`]), so every
//! rule is tested without a keychain, a window or a sleep. Network calls never hold the state
//! lock: a slow connector does not freeze the inspector.

pub mod binding;
pub mod clock;
pub mod probe;
pub mod resend;
pub mod rules;
pub mod view;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_report;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{Mutex, MutexGuard};

use crate::check;
use crate::client::{AppConnectClient, Called, Exchange};
use crate::error::{ErrorCode, UserError};
use crate::flow::{
    auto_placeholder_name, default_subject, AutoSettings, FlowState, PlaceholderFlow, SimulatedCall,
};
use crate::forms::{self, LogForm};
use crate::keychain::{self, KeychainError, SecretStore};
use crate::lint::{self, Lint};
use crate::manifest::{self, LoadedManifest, ManifestSource, Platform};
use crate::oauth::{self, LoopbackRedirect};
use crate::phone;
use crate::profile::{Profile, Profiles, PALETTE};
use crate::report::{Report, ReportFormat, ReportRequest};
use crate::sensitive::Sensitive;
use crate::wire::{ContactInfo, CreateContactRequest, Direction, LoginResponse};

pub use binding::{Binding, SecretKind, IN_APP_SANDBOX};
pub use clock::{Clock, ManualClock, SystemClock};
use view::*;

type Result<T> = std::result::Result<T, UserError>;

/// The inspector keeps this many exchanges; older ones drop off.
pub const HISTORY_LIMIT: usize = 500;
/// How long the loopback listener waits for the browser.
pub const OAUTH_WAIT: Duration = Duration::from_secs(300);

/// The sandbox that runs inside the app: its address, and its contact count (to catch a
/// findContact that creates).
#[derive(Clone)]
pub struct SandboxLink {
    pub url: String,
    pub contact_count: Arc<dyn Fn() -> usize + Send + Sync>,
}

/// A sign-in with the manifest's API-key page.
#[derive(Debug, Clone, Default, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignIn {
    /// Login-page values by `const`; a blank one takes the value stored for this server.
    pub fields: Vec<(String, String)>,
    /// The CRM environment chosen (a URL or host); none uses the profile's or the fixed one.
    pub hostname: Option<String>,
    /// Keep the login values in the keychain for next time (bound to this server).
    pub remember: bool,
}

/// An OAuth sign-in that has begun: what to show, and (with the loopback listener) the wait for
/// the browser, which the front end drives. The wait yields `None` when the sign-in was cancelled.
pub struct OAuthStarted {
    pub view: OAuthStartView,
    pub wait: Option<Pin<Box<dyn Future<Output = Option<OAuthFinished>> + Send>>>,
}

struct PendingOAuth {
    state: String,
    authorize_url: String,
    /// Where the sign-in began: its session is bound there whatever happens meanwhile.
    target: Target,
    host: String,
    cancel: Option<tokio::sync::oneshot::Sender<()>>,
}

impl PendingOAuth {
    fn stop(mut self) {
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
    }
}

/// A change of what the client talks to; `None` leaves that part as it is.
#[derive(Default)]
struct Aim {
    loaded: Option<LoadedManifest>,
    platform: Option<String>,
    /// `Some(None)` goes back to the manifest's server.
    server_url: Option<Option<String>>,
}

/// What one network action works with, taken under the lock and used without it.
#[derive(Clone)]
struct Target {
    client: Arc<AppConnectClient>,
    binding: Binding,
    platform_name: String,
    platform: Platform,
}

struct State {
    profiles: Profiles,
    loaded: LoadedManifest,
    /// The loaded manifest with the platform's `override` list applied for the profile's CRM
    /// hostname, as the client uses it. Everything but the file view reads this one.
    effective: manifest::Manifest,
    /// The override paths that changed `effective`.
    overrides_applied: Vec<String>,
    platform: String,
    manifest_problem: Option<String>,
    manifest_warnings: Vec<String>,
    keychain_problem: Option<String>,
    target: Target,
    stored: Stored,
    /// The user name each server gave at sign-in (this run only; not a secret).
    user_names: HashMap<Binding, String>,
    oauth: Option<PendingOAuth>,
    flow: Option<PlaceholderFlow>,
    /// Every flow of this run, the current one last (for the report).
    flows: Vec<PlaceholderFlow>,
    flow_busy: bool,
    history: Vec<Recorded>,
    history_path: Option<PathBuf>,
}

struct Shared<S, C> {
    store: S,
    clock: C,
    sandbox: Option<SandboxLink>,
    keychain_service: String,
    state: Arc<Mutex<State>>,
}

/// The engine. Cheap to clone: clones share one state.
pub struct Workbench<S: SecretStore + 'static, C: Clock> {
    shared: Arc<Shared<S, C>>,
}

impl<S: SecretStore + 'static, C: Clock> Clone for Workbench<S, C> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
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

fn keychain_error(e: KeychainError) -> UserError {
    e.into()
}

fn busy() -> UserError {
    UserError::new(
        ErrorCode::FlowOrder,
        "A step is still running; wait for it to finish.",
    )
}

/// The phone number and formats as the client sends them: a preview, which describes an invalid
/// number too (with its `problem`).
pub fn phone_view(input: &PhoneInput) -> Result<PhoneView> {
    let formats = phone::clean_formats(&input.formats)?;
    let number = phone::parse_input(&input.input, input.region.as_deref())?;
    Ok(PhoneView {
        expansions: phone::expand(&number, &formats),
        overriding_format: phone::overriding_format_param(&formats),
        formats,
        problem: number.sendable().err().map(|e| UserError::from(e).message),
        number,
    })
}

/// [`phone_view`] for an action that sends the number: a number that is neither valid nor a short
/// extension is refused with the reason, before anything is sent (issue 13). Every entry point
/// that reaches a connector with a typed number (lookup, flows, create, log, verify, and the
/// scenario steps through them) goes through here.
pub fn sendable_phone(input: &PhoneInput) -> Result<PhoneView> {
    let view = phone_view(input)?;
    view.number.sendable()?;
    Ok(view)
}

impl State {
    fn profile(&self) -> &Profile {
        self.profiles.active()
    }

    fn platform(&self) -> Result<(&str, &Platform)> {
        Ok(self.effective.platform(Some(&self.platform))?)
    }

    fn signed_in(&self) -> bool {
        self.target.client.jwt().is_some()
    }

    fn update_profile(&mut self, change: impl FnOnce(&mut Profile)) -> Result<()> {
        let id = self.profile().id.clone();
        self.profiles.update(&id, change)?;
        Ok(())
    }

    fn drop_oauth(&mut self) {
        if let Some(p) = self.oauth.take() {
            p.stop();
        }
    }

    fn recorded(&self, exchange: Exchange, platform: Option<&Platform>) -> Recorded {
        let context = Some(self.context_of(&exchange));
        Recorded::new(exchange, platform, context)
    }

    /// Where a request was made, as the report groups it: the profile, manifest and platform in
    /// use, and the server the URL itself names (so a switch meanwhile cannot mislabel it).
    fn context_of(&self, exchange: &Exchange) -> RequestContext {
        let current = self.target.client.server_url();
        let server = if exchange.url.starts_with(current) {
            current.to_owned()
        } else {
            url::Url::parse(&exchange.url)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default()
        };
        RequestContext {
            profile: self.profile().name.clone(),
            manifest: self.loaded.source.clone(),
            platform: self.platform.clone(),
            server,
        }
    }

    /// Keeps a flow for the report: `started` begins a new one, otherwise it replaces the last.
    fn keep_flow(&mut self, flow: &PlaceholderFlow, started: bool) {
        match self.flows.last_mut() {
            Some(last) if !started => *last = flow.clone(),
            _ => self.flows.push(flow.clone()),
        }
    }

    /// Adds an exchange to the history (and its file) with its lints, and returns the lints.
    fn record(&mut self, exchange: Exchange, platform: &Platform) -> Vec<Lint> {
        // The URL is redacted; the log says what happened, never with what credentials.
        tracing::info!(
            method = %exchange.method,
            url = %exchange.url,
            status = ?exchange.status,
            ms = exchange.elapsed_ms,
            "request"
        );
        let recorded = self.recorded(exchange, Some(platform));
        let lints = recorded.lints.clone();
        self.history.push(recorded);
        if self.history.len() > HISTORY_LIMIT {
            let extra = self.history.len() - HISTORY_LIMIT;
            self.history.drain(..extra);
        }
        self.save_history();
        lints
    }

    /// Records the exchanges of a flow's steps from `from` on (the steps before were recorded).
    fn record_steps(&mut self, flow: &PlaceholderFlow, from: usize, platform: &Platform) {
        for e in flow
            .steps
            .iter()
            .skip(from)
            .flat_map(|step| &step.exchanges)
        {
            self.record(e.clone(), platform);
        }
    }

    fn save_history(&self) {
        if let Some(path) = &self.history_path {
            let exchanges: Vec<HistoryEntry> = self.history.iter().map(HistoryEntry::of).collect();
            if let Err(e) = crate::store::save(path, &exchanges) {
                tracing::warn!("{e}");
            }
        }
    }
}

impl<S: SecretStore + 'static, C: Clock> Workbench<S, C> {
    /// A workbench on `profiles`, showing the bundled manifest until [`Self::open_profile`] runs.
    pub fn new(
        profiles: Profiles,
        store: S,
        clock: C,
        sandbox: Option<SandboxLink>,
        keychain_service: &str,
    ) -> Self {
        let loaded = bundled_manifest();
        let platform = loaded
            .manifest
            .platform_names()
            .into_iter()
            .next()
            .unwrap_or_default();
        let server = sandbox
            .as_ref()
            .map(|s| s.url.clone())
            .unwrap_or_else(|| "http://localhost:6066".to_owned());
        let client = AppConnectClient::new(&server, &platform, None)
            .or_else(|_| AppConnectClient::new("http://localhost:6066", &platform, None))
            .unwrap_or_else(|e| panic!("the fixed fallback URL is valid: {e}"));
        let binding = Binding::new(
            client.server_url(),
            &platform,
            sandbox.as_ref().map(|s| s.url.as_str()),
        )
        .unwrap_or_else(|e| panic!("a client's URL is a valid origin: {e}"));
        let target = Target {
            client: Arc::new(client),
            binding,
            platform: loaded
                .manifest
                .platform(None)
                .map(|(_, p)| p.clone())
                .unwrap_or_default(),
            platform_name: platform.clone(),
        };
        Self {
            shared: Arc::new(Shared {
                store,
                clock,
                sandbox,
                keychain_service: keychain_service.to_owned(),
                state: Arc::new(Mutex::new(State {
                    profiles,
                    effective: loaded.manifest.clone(),
                    overrides_applied: Vec::new(),
                    loaded,
                    platform,
                    manifest_problem: None,
                    manifest_warnings: Vec::new(),
                    keychain_problem: None,
                    target,
                    stored: Stored::default(),
                    user_names: HashMap::new(),
                    oauth: None,
                    flow: None,
                    flows: Vec::new(),
                    flow_busy: false,
                    history: Vec::new(),
                    history_path: None,
                })),
            }),
        }
    }

    /// Opens the history file and the active profile at start. The state is locked *now*, before
    /// the returned future runs, so a front end's first commands wait for the profile instead of
    /// seeing the bundled default. Yields the view and why the history could not be read, if so.
    pub fn start(
        &self,
        history: Option<PathBuf>,
    ) -> impl Future<Output = (AppView, Option<String>)> + Send + 'static {
        let wb = self.clone();
        let early = self.shared.state.clone().try_lock_owned().ok();
        async move {
            let mut s = match early {
                Some(guard) => guard,
                None => wb.shared.state.clone().lock_owned().await,
            };
            let problem = history.and_then(|path| wb.open_history_in(&mut s, path));
            let view = wb.open_profile_in(&mut s).await;
            (view, problem)
        }
    }

    pub fn store(&self) -> &S {
        &self.shared.store
    }

    pub fn clock(&self) -> &C {
        &self.shared.clock
    }

    async fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().await
    }

    fn sandbox_url(&self) -> Option<&str> {
        self.shared.sandbox.as_ref().map(|s| s.url.as_str())
    }

    /// The in-app sandbox's contact count, when `target` talks to it.
    fn sandbox_count(&self, target: &Target) -> Option<usize> {
        let link = self.shared.sandbox.as_ref()?;
        (target.binding.origin == IN_APP_SANDBOX).then(|| (link.contact_count)())
    }

    // ---- Opening: profile, manifest, platform, server -------------------------------------

    /// The server the client talks to: the profile's override, the in-app sandbox for the bundled
    /// manifest, or the manifest's serverUrl.
    fn effective_server(&self, s: &State) -> Result<String> {
        if let Some(url) = &s.profile().server_url {
            return Ok(url.clone());
        }
        if s.loaded.source == manifest::SANDBOX_SOURCE {
            if let Some(url) = self.sandbox_url() {
                return Ok(url.to_owned());
            }
        }
        s.effective.server_url.clone().ok_or_else(|| {
            UserError::new(
                ErrorCode::ManifestInvalid,
                "The manifest has no serverUrl. Set the connector server's URL (the Server field in the app, --server on the command line).",
            )
        })
    }

    /// Builds the client for the open manifest, platform and server, bound to that server, and
    /// restores the session stored for exactly that binding (nothing else is ever sent there).
    fn reconnect(&self, s: &mut State) -> Result<()> {
        Self::apply_overrides(s);
        let server = self.effective_server(s)?;
        let (name, platform) = s.platform()?;
        let (name, platform) = (name.to_owned(), platform.clone());
        let (timeout, timeout_problem) = platform.request_timeout();
        let max_body = usize::try_from(s.profile().max_body_mib)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024 * 1024);
        let client = AppConnectClient::new(&server, &name, Some(timeout))?.with_max_body(max_body);
        let binding = Binding::new(client.server_url(), &name, self.sandbox_url())?;
        s.manifest_warnings = timeout_problem.into_iter().collect();
        s.target = Target {
            client: Arc::new(client),
            binding,
            platform_name: name,
            platform,
        };
        s.flow = None;
        s.drop_oauth();
        self.restore_session(s);
        Ok(())
    }

    /// Applies the platform's `override` list for the profile's CRM hostname (SPEC §5), keeping
    /// the client and session. A fixed environment's host counts when the profile has none.
    fn apply_overrides(s: &mut State) {
        let raw = s.loaded.manifest.platform(Some(&s.platform)).ok();
        let host = raw.and_then(|(name, p)| {
            rules::hostname(name, p, s.profile().hostname.as_deref())
                .ok()
                .filter(|h| !h.is_empty())
        });
        let (effective, applied) = s
            .loaded
            .manifest
            .with_overrides(&s.platform, host.as_deref());
        if let Ok((_, p)) = effective.platform(Some(&s.platform)) {
            if s.target.platform_name == s.platform {
                s.target.platform = p.clone();
            }
        }
        s.effective = effective;
        s.overrides_applied = applied;
    }

    /// Re-reads which secrets the current binding has stored, and gives the client its session.
    fn restore_session(&self, s: &mut State) {
        let binding = s.target.binding.clone();
        let store = &self.shared.store;
        let session = store.get(&binding.account(SecretKind::Session));
        match (session, keychain::login_values(store, &binding)) {
            (Ok(session), Ok(login)) => {
                s.keychain_problem = None;
                s.stored = Stored {
                    session: session.is_some(),
                    login_fields: login.keys().cloned().collect(),
                };
                s.target.client.set_jwt(session);
            }
            (Err(e), _) | (_, Err(e)) => {
                s.stored = Stored::default();
                s.keychain_problem = Some(e.to_string());
                s.target.client.set_jwt(None);
            }
        }
    }

    /// Opens the active profile: its manifest (or the bundled one, with the reason, when it cannot
    /// be loaded), its platform and server, and the session stored for that server. The state
    /// stays locked while a manifest URL is fetched, so no command sees a half-open profile.
    pub async fn open_profile(&self) -> AppView {
        let mut s = self.lock().await;
        self.open_profile_in(&mut s).await
    }

    async fn open_profile_in(&self, s: &mut State) -> AppView {
        let profile = s.profile().clone();
        s.manifest_problem = None;
        s.loaded = match manifest::load(&ManifestSource::parse(&profile.manifest)).await {
            Ok(l) => l,
            Err(e) => {
                s.manifest_problem = Some(format!(
                    "Profile \"{}\" could not open its manifest: {e} The bundled sandbox manifest is shown instead; open the manifest again to fix the profile.",
                    profile.name
                ));
                bundled_manifest()
            }
        };
        let names = s.loaded.manifest.platform_names();
        s.platform = profile
            .platform
            .filter(|p| names.contains(p))
            .or_else(|| names.first().cloned())
            .unwrap_or_default();
        if let Err(e) = self.reconnect(s) {
            // A bad server override: fall back to the manifest's server and say why.
            s.manifest_problem = Some(e.message);
            let _ = s.update_profile(|p| p.server_url = None);
            if let Err(e) = self.reconnect(s) {
                s.manifest_problem = Some(e.message);
            }
        }
        self.view_of(s)
    }

    /// Points the client elsewhere (another manifest, platform or server) and reconnects.
    /// `reconnect` changes nothing until every step has succeeded, so when the result cannot be
    /// used only this change is undone: the previous manifest, platform, server and session stay.
    fn retarget(&self, s: &mut State, aim: Aim) -> Result<()> {
        let before = (
            s.loaded.clone(),
            s.platform.clone(),
            s.profile().server_url.clone(),
        );
        if let Some(loaded) = aim.loaded {
            s.loaded = loaded;
        }
        if let Some(platform) = aim.platform {
            s.platform = platform;
        }
        let server_changes = aim.server_url.is_some();
        if let Some(url) = aim.server_url {
            s.update_profile(|p| p.server_url = url)?;
        }
        if let Err(e) = self.reconnect(s) {
            (s.loaded, s.platform) = (before.0, before.1);
            if server_changes {
                let _ = s.update_profile(|p| p.server_url = before.2);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Opens a manifest (file path, http(s) URL or `bundled:sandbox`) in the active profile: the
    /// profile's platform when the manifest has it, else the first. When it cannot be used, the
    /// previous one stays open, with its session.
    pub async fn open_manifest(&self, source: &str) -> Result<AppView> {
        let loaded = manifest::load(&ManifestSource::parse(source)).await?;
        let mut s = self.lock().await;
        let names = loaded.manifest.platform_names();
        let platform = s
            .profile()
            .platform
            .clone()
            .filter(|p| names.contains(p))
            .or_else(|| names.first().cloned())
            .unwrap_or_default();
        self.retarget(
            &mut s,
            Aim {
                loaded: Some(loaded),
                platform: Some(platform),
                server_url: None,
            },
        )?;
        let (source, platform) = (s.loaded.source.clone(), s.platform.clone());
        s.update_profile(|p| {
            p.manifest = source;
            p.platform = Some(platform);
        })?;
        s.manifest_problem = None;
        Ok(self.view_of(&s))
    }

    pub async fn select_platform(&self, name: &str) -> Result<AppView> {
        let mut s = self.lock().await;
        s.loaded.manifest.platform(Some(name))?;
        self.retarget(
            &mut s,
            Aim {
                platform: Some(name.to_owned()),
                ..Aim::default()
            },
        )?;
        s.update_profile(|p| p.platform = Some(name.to_owned()))?;
        Ok(self.view_of(&s))
    }

    /// Points the profile at another server; an empty URL goes back to the manifest's. The
    /// session follows the server: signed out for a new one, signed in again on return.
    pub async fn set_server_url(&self, url: &str) -> Result<AppView> {
        let mut s = self.lock().await;
        let wanted = Some(url.trim().to_owned()).filter(|u| !u.is_empty());
        self.retarget(
            &mut s,
            Aim {
                server_url: Some(wanted),
                ..Aim::default()
            },
        )?;
        Ok(self.view_of(&s))
    }

    /// The manifest file open now, if it is a file (for a watcher).
    pub async fn manifest_file(&self) -> Option<PathBuf> {
        match ManifestSource::parse(&self.lock().await.loaded.source) {
            ManifestSource::File(path) => Some(path),
            _ => None,
        }
    }

    /// Reloads the open manifest file after an edit. A broken edit keeps the last good version;
    /// an edit that changes `serverUrl` moves the session to the new server's (none, at first).
    pub async fn reload_manifest_file(&self, path: &Path) -> Result<AppView> {
        let source = ManifestSource::File(path.to_owned());
        let loaded = manifest::load(&source).await.map_err(|e| {
            UserError::new(
                ErrorCode::ManifestInvalid,
                format!("{e} The last good version stays open."),
            )
        })?;
        let mut s = self.lock().await;
        if s.loaded.source != source.describe() {
            return Err(UserError::new(
                ErrorCode::FlowOrder,
                "Another manifest was opened meanwhile.",
            ));
        }
        let platform = if loaded.manifest.platform(Some(&s.platform)).is_ok() {
            s.platform.clone()
        } else {
            loaded
                .manifest
                .platform_names()
                .into_iter()
                .next()
                .unwrap_or_default()
        };
        let aim = Aim {
            loaded: Some(loaded),
            platform: Some(platform),
            server_url: None,
        };
        self.retarget(&mut s, aim).map_err(|e| {
            UserError::new(
                e.code,
                format!("{} The last good version stays open.", e.message),
            )
        })?;
        Ok(self.view_of(&s))
    }

    // ---- Views ---------------------------------------------------------------------------------

    pub async fn view(&self) -> AppView {
        let s = self.lock().await;
        self.view_of(&s)
    }

    fn view_of(&self, s: &State) -> AppView {
        let m = &s.effective;
        let platform = m
            .platform(Some(&s.platform))
            .map(|(k, p)| platform_view(k, p))
            .unwrap_or_else(|_| platform_view(&s.platform, &Platform::default()));
        let binding = &s.target.binding;
        AppView {
            manifest: ManifestView {
                source: s.loaded.source.clone(),
                version: m.version.clone(),
                server_url: m.server_url.clone(),
                platforms: m.platform_names(),
            },
            platform,
            server_url: s.target.client.server_url().to_owned(),
            server_overridden: s.profile().server_url.is_some(),
            sandbox_url: self.sandbox_url().map(str::to_owned),
            session: SessionView {
                signed_in: s.signed_in(),
                user_name: s.user_names.get(binding).cloned(),
                server: binding.describe(),
                origin: binding.origin.clone(),
            },
            keychain_problem: s.keychain_problem.clone(),
            profile: s.profile().clone(),
            profiles: s
                .profiles
                .list()
                .iter()
                .map(|p| ProfileSummary {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    colour: p.colour.clone(),
                })
                .collect(),
            stored: s.stored.clone(),
            manifest_problem: s.manifest_problem.clone(),
            manifest_warnings: s.manifest_warnings.clone(),
            oauth_pending: s.oauth.as_ref().map(|o| o.authorize_url.clone()),
            keychain_service: self.shared.keychain_service.clone(),
            palette: PALETTE.iter().map(|c| c.to_string()).collect(),
            client_behaviour: CLIENT_BEHAVIOUR.to_owned(),
        }
    }

    // ---- Sign-in ---------------------------------------------------------------------------

    /// Signs in with the manifest's API-key page. The session token (and, with `remember`, the
    /// login values) are stored for this server and platform only.
    pub async fn sign_in(&self, input: SignIn) -> Result<SignInView> {
        let (target, values, host) = {
            let s = self.lock().await;
            let t = s.target.clone();
            // Ask the keychain first, so a missing keychain fails before any request.
            let stored =
                keychain::login_values(&self.shared.store, &t.binding).map_err(keychain_error)?;
            let values =
                rules::login_values(&t.platform_name, &t.platform, &input.fields, &stored)?;
            let chosen = input
                .hostname
                .clone()
                .or_else(|| s.profile().hostname.clone());
            let host = rules::hostname(&t.platform_name, &t.platform, chosen.as_deref())?;
            (t, values, host)
        };
        let called = target
            .client
            .api_key_login(&values.api_key, &host, &values.fields)
            .await;
        let view = self.finish_sign_in(&target, called).await?;
        let mut s = self.lock().await;
        if input.remember {
            self.shared
                .store
                .set(
                    &target.binding.account(SecretKind::Login),
                    &values.to_stored(),
                )
                .map_err(keychain_error)?;
        }
        if let Some(h) = input.hostname.filter(|h| !h.trim().is_empty()) {
            s.update_profile(|p| p.hostname = Some(h))?;
            Self::apply_overrides(&mut s);
        }
        if s.target.binding == target.binding {
            self.restore_session(&mut s);
        }
        Ok(view)
    }

    /// Records a sign-in's exchange and stores its session token under the binding it came from.
    async fn finish_sign_in(
        &self,
        target: &Target,
        called: Called<LoginResponse>,
    ) -> Result<SignInView> {
        let mut s = self.lock().await;
        s.record(called.exchange, &target.platform);
        let resp = called.result?;
        let token = target.client.jwt().ok_or_else(|| {
            UserError::new(ErrorCode::BadResponse, "The server gave no session token.")
        })?;
        self.shared
            .store
            .set(&target.binding.account(SecretKind::Session), &token)
            .map_err(keychain_error)?;
        if let Some(name) = &resp.name {
            s.user_names.insert(target.binding.clone(), name.clone());
        }
        if s.target.binding == target.binding {
            s.target.client.set_jwt(Some(token));
            s.keychain_problem = None;
            s.stored.session = true;
        }
        tracing::info!(server = %target.binding.describe(), "signed in");
        Ok(SignInView {
            user_name: resp.name,
            return_message: resp.return_message,
            server: target.binding.describe(),
        })
    }

    /// Signs out of the current server: `POST /unAuthorize`, then its stored secrets are deleted
    /// whatever the server answered.
    pub async fn sign_out(&self) -> Result<AppView> {
        let target = self.lock().await.target.clone();
        let called = if target.client.jwt().is_some() {
            Some(target.client.unauthorize().await)
        } else {
            None
        };
        let mut s = self.lock().await;
        if let Some(called) = called {
            s.record(called.exchange, &target.platform);
        }
        keychain::delete_binding(&self.shared.store, &target.binding).map_err(keychain_error)?;
        s.user_names.remove(&target.binding);
        if s.target.binding == target.binding {
            s.flow = None;
            self.restore_session(&mut s);
        }
        Ok(self.view_of(&s))
    }

    /// Deletes the stored login-page values of the current server (the session stays).
    pub async fn forget_login(&self) -> Result<AppView> {
        let mut s = self.lock().await;
        self.shared
            .store
            .delete(&s.target.binding.account(SecretKind::Login))
            .map_err(keychain_error)?;
        self.restore_session(&mut s);
        Ok(self.view_of(&s))
    }

    /// "Forget everything": every keychain entry Switchboard wrote, for every server, profile and
    /// the CLI, with no request to any server.
    pub async fn forget_everything(&self) -> Result<ForgottenView> {
        let mut s = self.lock().await;
        let deleted = self.shared.store.forget_all().map_err(keychain_error)?;
        s.user_names.clear();
        s.flow = None;
        self.restore_session(&mut s);
        tracing::info!(deleted, "forgot every stored secret");
        Ok(ForgottenView {
            deleted: u32::try_from(deleted).unwrap_or(u32::MAX),
            view: self.view_of(&s),
        })
    }

    /// Starts an OAuth sign-in: the authorize URL as the client builds it. With `loopback`, a
    /// listener on 127.0.0.1 (`port` 0: any free one) receives the redirect, and `wait` completes
    /// the sign-in; otherwise the manifest's redirect URI is used and the person pastes the address
    /// the browser ends on ([`Self::oauth_paste`]).
    pub async fn oauth_start(
        &self,
        loopback: bool,
        hostname: Option<String>,
        port: u16,
    ) -> Result<OAuthStarted> {
        let mut s = self.lock().await;
        let target = s.target.clone();
        if target
            .platform
            .auth
            .as_ref()
            .and_then(|a| a.oauth.as_ref())
            .is_none()
        {
            return Err(oauth::OAuthError::NotOAuth {
                platform: target.platform_name.clone(),
            }
            .into());
        }
        let chosen = hostname
            .clone()
            .filter(|h| !h.trim().is_empty())
            .or_else(|| s.profile().hostname.clone());
        let host = rules::hostname(&target.platform_name, &target.platform, chosen.as_deref())?;
        // The OAuth settings for that hostname: Clio's regions override the URL and client id.
        let (manifest_for_host, _) = s.loaded.manifest.with_overrides(
            &target.platform_name,
            Some(&host).filter(|h| !h.is_empty()).map(String::as_str),
        );
        let settings = manifest_for_host
            .platform(Some(&target.platform_name))
            .ok()
            .and_then(|(_, p)| p.auth.as_ref())
            .and_then(|a| a.oauth.clone())
            .ok_or_else(|| oauth::OAuthError::NotOAuth {
                platform: target.platform_name.clone(),
            })?;
        let manifest_redirect = oauth::redirect_uri(&manifest_for_host, &settings);
        let oauth_state = oauth::state(&target.platform_name, &settings);
        s.drop_oauth();
        let (redirect, listener) = if loopback {
            let l = LoopbackRedirect::bind(manifest_redirect.as_deref(), port).await?;
            (l.redirect_uri().to_owned(), Some(l))
        } else {
            (
                manifest_redirect.ok_or(oauth::OAuthError::NoRedirect)?,
                None,
            )
        };
        let url = oauth::authorize_url(&target.platform_name, &settings, &redirect)?.to_string();
        if let Some(h) = hostname.filter(|h| !h.trim().is_empty()) {
            s.update_profile(|p| p.hostname = Some(h))?;
            Self::apply_overrides(&mut s);
        }
        let mut wait = None;
        let mut cancel = None;
        if let Some(listener) = listener {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            cancel = Some(tx);
            let wb = self.clone();
            let wanted = oauth_state.clone();
            wait = Some(Box::pin(async move {
                let result = tokio::select! {
                    r = listener.wait(wanted.clone(), OAUTH_WAIT) => r,
                    _ = rx => return None,
                };
                let pending = {
                    let mut s = wb.lock().await;
                    match &s.oauth {
                        Some(p) if p.state == wanted => s.oauth.take(),
                        _ => None,
                    }
                }?;
                let outcome = match result {
                    Ok(callback) => wb.oauth_complete(pending, &callback).await,
                    Err(e) => Err(e.into()),
                };
                Some(match outcome {
                    Ok(v) => OAuthFinished {
                        user_name: v.user_name,
                        error: None,
                    },
                    Err(e) => OAuthFinished {
                        user_name: None,
                        error: Some(e),
                    },
                })
            })
                as Pin<Box<dyn Future<Output = Option<OAuthFinished>> + Send>>);
        }
        s.oauth = Some(PendingOAuth {
            state: oauth_state,
            authorize_url: url.clone(),
            target,
            host,
            cancel,
        });
        Ok(OAuthStarted {
            view: OAuthStartView {
                authorize_url: url,
                redirect_uri: redirect,
                listening: loopback,
                browser_error: None,
            },
            wait,
        })
    }

    /// Sends the callback URL to the server that began the sign-in (`GET /oauth-callback`).
    async fn oauth_complete(
        &self,
        pending: PendingOAuth,
        callback: &Sensitive<String>,
    ) -> Result<SignInView> {
        let callback = oauth::check_callback(callback.expose(), &pending.state)?;
        let called = pending
            .target
            .client
            .oauth_callback(&callback, &pending.host)
            .await;
        let view = self.finish_sign_in(&pending.target, called).await;
        pending.stop();
        view
    }

    /// Finishes an OAuth sign-in with the address the browser ended on, pasted by the person.
    pub async fn oauth_paste(&self, url: String) -> Result<SignInView> {
        let pending = self.lock().await.oauth.take().ok_or_else(|| {
            UserError::new(
                ErrorCode::FlowOrder,
                "Start the sign-in first (Open the CRM's sign-in page), then paste the address.",
            )
        })?;
        self.oauth_complete(pending, &Sensitive::new(url)).await
    }

    /// Ends a pending OAuth sign-in, stopping its loopback listener.
    pub async fn oauth_cancel(&self) {
        self.lock().await.drop_oauth();
    }

    // ---- Profiles ------------------------------------------------------------------------------

    /// A new profile, active at once. With `copy_current` it starts from the active profile's
    /// settings (sessions belong to servers, so it is signed in wherever they point); otherwise
    /// from the bundled sandbox.
    pub async fn profile_create(&self, name: &str, copy_current: bool) -> Result<AppView> {
        {
            let mut s = self.lock().await;
            let template = if copy_current {
                s.profile().clone()
            } else {
                Profile::default()
            };
            s.profiles.create(Profile {
                name: name.to_owned(),
                colour: String::new(),
                ..template
            })?;
        }
        Ok(self.open_profile().await)
    }

    pub async fn profile_duplicate(&self, id: &str) -> Result<AppView> {
        self.lock().await.profiles.duplicate(id)?;
        Ok(self.open_profile().await)
    }

    pub async fn profile_switch(&self, id: &str) -> Result<AppView> {
        self.lock().await.profiles.switch(id)?;
        Ok(self.open_profile().await)
    }

    /// Deletes a profile. Its server sessions stay (other profiles and the CLI may use the same
    /// server); Sign out or Forget everything removes them.
    pub async fn profile_delete(&self, id: &str) -> Result<AppView> {
        let was_active = {
            let mut s = self.lock().await;
            let was_active = s.profile().id == id;
            s.profiles.delete(id)?;
            was_active
        };
        if was_active {
            return Ok(self.open_profile().await);
        }
        Ok(self.view().await)
    }

    pub async fn profile_update(&self, id: &str, edit: ProfileEdit) -> Result<AppView> {
        let mut s = self.lock().await;
        let limit_before = s.profile().max_body_mib;
        s.profiles.update(id, |p| {
            if let Some(v) = edit.name {
                p.name = v;
            }
            if let Some(v) = edit.colour {
                p.colour = v;
            }
            if let Some(v) = edit.region {
                p.region = v;
            }
            if let Some(v) = edit.formats {
                p.formats = v;
            }
            if let Some(v) = edit.hostname {
                p.hostname = Some(v).filter(|h| !h.trim().is_empty());
            }
            if let Some(v) = edit.agent_number {
                p.agent_number = v;
            }
            if let Some(v) = edit.max_body_mib {
                p.max_body_mib = v;
            }
        })?;
        // A new answer size limit for the profile in use takes effect at once (same server, same
        // session: only the client is rebuilt).
        if s.profile().id == id && s.profile().max_body_mib != limit_before {
            self.reconnect(&mut s)?;
        } else if s.profile().id == id {
            // A new CRM hostname may select other overrides (SPEC §5).
            Self::apply_overrides(&mut s);
        }
        Ok(self.view_of(&s))
    }

    // ---- Lookups -------------------------------------------------------------------------------

    /// The target of a call that needs a session, or why there is none.
    async fn session_target(&self) -> Result<Target> {
        let s = self.lock().await;
        if s.signed_in() {
            return Ok(s.target.clone());
        }
        if let Some(problem) = &s.keychain_problem {
            return Err(UserError::new(
                ErrorCode::KeychainUnavailable,
                problem.clone(),
            ));
        }
        Err(UserError::new(
            ErrorCode::NotSignedIn,
            format!(
                "Not signed in to {}. Sign in first: the Sign in page in the app, or `switchboard login` on the command line.",
                s.target.binding.describe()
            ),
        ))
    }

    /// Stores a renewed session token for the binding whose client received it.
    fn keep_refreshed(&self, s: &mut State, target: &Target, token: Option<Sensitive<String>>) {
        let Some(token) = token else { return };
        if let Err(e) = self
            .shared
            .store
            .set(&target.binding.account(SecretKind::Session), &token)
        {
            s.keychain_problem = Some(e.to_string());
        }
    }

    /// findContact for a number, as the client sends it (SPEC §2, §4).
    pub async fn find_contact(&self, input: &PhoneInput) -> Result<LookupView> {
        let phone = sendable_phone(input)?;
        let target = self.session_target().await?;
        let before = self.sandbox_count(&target);
        let called = target
            .client
            .find_contact(
                &phone.number.e164,
                &phone.overriding_format,
                phone.number.is_extension,
            )
            .await;
        let after = self.sandbox_count(&target);
        let mut s = self.lock().await;
        let mut lints = s.record(called.exchange.clone(), &target.platform);
        if let (Some(b), Some(a)) = (before, after) {
            lints.extend(lint::lookup_created(b, a));
        }
        self.keep_refreshed(&mut s, &target, called.refreshed_jwt);
        let (return_message, message_source) =
            crate::flow::lookup_toast(&called.exchange, &called.result);
        let (response, error) = match called.result {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(UserError::from(e))),
        };
        Ok(LookupView {
            phone,
            response,
            error,
            return_message,
            message_source,
            exchange: called.exchange,
            lints,
        })
    }

    /// The client's "Search contacts" row (`page.useContactSearch`, extension 1.6.6):
    /// `GET /custom/contact/search?name=`, recorded and linted like a lookup.
    pub async fn search_contacts(&self, name: &str) -> Result<SearchView> {
        let name = name.trim();
        if name.is_empty() {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                "Type a name to search for.",
            ));
        }
        let target = self.session_target().await?;
        let called = target.client.search_contacts(name).await;
        let mut s = self.lock().await;
        let lints = s.record(called.exchange.clone(), &target.platform);
        self.keep_refreshed(&mut s, &target, called.refreshed_jwt);
        let (response, error) = match called.result {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(UserError::from(e))),
        };
        Ok(SearchView {
            name: name.to_owned(),
            response,
            error,
            exchange: called.exchange,
            lints,
        })
    }

    /// findContact for every number of `input` (one per line), on the session `find_contact` would
    /// use; see [`crate::batch`]. Results stream through `on_result`; the exchanges are not added
    /// to the history (a batch would flush it), only the summary's first failures keep theirs. A
    /// session renewed during the run is stored for the binding it was issued to.
    pub async fn batch<R, F>(
        &self,
        input: R,
        options: &crate::batch::BatchOptions,
        on_result: F,
    ) -> Result<crate::batch::BatchSummary>
    where
        R: tokio::io::AsyncBufRead + Unpin + Send + 'static,
        F: FnMut(&crate::batch::NumberResult),
    {
        let target = self.session_target().await?;
        let before = target.client.jwt();
        let summary = crate::batch::run(
            target.client.clone(),
            &target.platform,
            input,
            options,
            on_result,
        )
        .await?;
        let after = target.client.jwt();
        if after.as_ref().map(|t| t.expose()) != before.as_ref().map(|t| t.expose()) {
            let mut s = self.lock().await;
            self.keep_refreshed(&mut s, &target, after);
        }
        Ok(summary)
    }

    /// Checks a contact type against the manifest's list.
    fn check_contact_type(target: &Target, wanted: Option<&str>) -> Result<()> {
        let Some(wanted) = wanted else { return Ok(()) };
        let values: Vec<&str> = target
            .platform
            .usable_contact_types()
            .map(|(_, v)| v)
            .collect();
        if values.is_empty() || values.contains(&wanted) {
            return Ok(());
        }
        Err(UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "\"{wanted}\" is not a contact type of {}; use one of: {}.",
                target.platform_name,
                values.join(", ")
            ),
        ))
    }

    /// One createContact call, outside the flow (the CLI's `create`). With no type (or `""`) it
    /// sends `newContactType: ""`, as the client does when nobody picks one.
    pub async fn create_contact(
        &self,
        input: &PhoneInput,
        name: &str,
        contact_type: Option<String>,
        additional_submission: Map<String, Value>,
    ) -> Result<CreateView> {
        let phone = sendable_phone(input)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                "Give the new contact a name.",
            ));
        }
        let target = self.session_target().await?;
        let contact_type = contact_type.filter(|t| !t.is_empty());
        Self::check_contact_type(&target, contact_type.as_deref())?;
        let request = CreateContactRequest {
            phone_number: phone.number.e164.clone(),
            new_contact_name: name.to_owned(),
            // No type picked: the client's value, "" (SPEC §6); null is the automatic variant's.
            new_contact_type: Some(contact_type.unwrap_or_default()),
            additional_submission,
        };
        let called = target.client.create_contact(&request).await;
        let mut s = self.lock().await;
        let lints = s.record(called.exchange.clone(), &target.platform);
        self.keep_refreshed(&mut s, &target, called.refreshed_jwt);
        Ok(CreateView {
            response: called.result?,
            exchange: called.exchange,
            lints,
        })
    }

    /// The simulated call a person described, at the clock's time, from the profile's agent.
    fn simulated_call(&self, s: &State, call: CallInput) -> SimulatedCall {
        let offset = i64::try_from(call.started_minutes_ago.saturating_mul(60_000)).unwrap_or(0);
        SimulatedCall {
            session_id: call
                .session_id
                .filter(|id| !id.trim().is_empty())
                .unwrap_or_else(|| format!("sb-{}", uuid::Uuid::new_v4().simple())),
            direction: call.direction,
            caller_name: call.caller_name.filter(|n| !n.trim().is_empty()),
            own_number: s.profile().agent_number.clone(),
            start_time_ms: self.shared.clock.now_ms().saturating_sub(offset),
            duration_s: call.duration_s,
            note: call.note,
            subject: call.subject.filter(|s| !s.trim().is_empty()),
            additional_submission: call.additional_submission,
        }
    }

    /// One createCallLog call against a contact the lookup returns, outside the flow (the CLI's
    /// `log`). As in the client, the number is looked up first and the contact is chosen from that
    /// answer: `contactId` keeps its JSON type and `contactName`/`contactType` are the row's unless
    /// `contact` gives others (a given type must be one of the manifest's).
    pub async fn log_call(
        &self,
        input: &PhoneInput,
        contact: ContactInfo,
        call: CallInput,
    ) -> Result<LogView> {
        let phone = sendable_phone(input)?;
        let target = self.session_target().await?;
        Self::check_contact_type(&target, contact.kind.as_deref())?;
        let call = self.simulated_call(&*self.lock().await, call);
        let mut flow =
            PlaceholderFlow::new(phone.number, phone.overriding_format).with_formats(phone.formats);
        let looked_up = flow.lookup(&target.client).await.map(|_| ());
        self.lock().await.record_steps(&flow, 0, &target.platform);
        looked_up.map_err(UserError::from)?;
        let rows = match &flow.state {
            FlowState::Matched { contacts } | FlowState::NeedsContact { contacts } => {
                contacts.clone()
            }
            _ => Vec::new(),
        };
        let Some(row) = rows.iter().find(|r| r.id == contact.id) else {
            let ids: Vec<String> = rows
                .iter()
                .map(|r| format!("{} ({})", r.id, r.display_name()))
                .collect();
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                format!(
                    "Contact {} is not among the contacts the connector returns for {}, and App Connect only logs against a contact from its lookup. {}",
                    contact.id,
                    flow.number.e164,
                    if ids.is_empty() {
                        "The lookup returned none.".to_owned()
                    } else {
                        format!("Use one of: {}.", ids.join(", "))
                    }
                ),
            ));
        };
        flow.log_against(row);
        if contact.name.is_some() {
            flow.contact_name = contact.name.clone();
        }
        if contact.kind.is_some() {
            flow.contact_type = contact.kind.clone();
        }
        let request = flow.call_log_request(row, &call);
        let called = target.client.create_call_log(&request).await;
        let mut s = self.lock().await;
        let lints = s.record(called.exchange.clone(), &target.platform);
        self.keep_refreshed(&mut s, &target, called.refreshed_jwt);
        Ok(LogView {
            session_id: call.session_id,
            call: CallView {
                response: called.result?,
                exchange: called.exchange,
                lints,
            },
        })
    }

    /// SPEC §8 on its own (the CLI's `verify`): a new lookup of the number returns the contact
    /// (`contact_id`, or any real match when none is given) and `GET /callLog` reports the session
    /// as logged. The exchanges go to the history; the flow in progress is left alone.
    pub async fn verify_call(
        &self,
        input: &PhoneInput,
        session_id: &str,
        contact_id: Option<String>,
    ) -> Result<FlowView> {
        let phone = sendable_phone(input)?;
        let target = self.session_target().await?;
        let mut flow = PlaceholderFlow::new(phone.number.clone(), phone.overriding_format.clone())
            .with_formats(phone.formats.clone());
        flow.state = FlowState::Logged {
            contact: ContactInfo {
                id: contact_id.unwrap_or_default(),
                ..ContactInfo::default()
            },
            log_id: None,
            session_id: session_id.to_owned(),
        };
        let error = flow.verify(&target.client).await.err().map(UserError::from);
        self.lock().await.record_steps(&flow, 0, &target.platform);
        Ok(FlowView {
            phone,
            flow,
            error,
            subjects: None,
        })
    }

    // ---- The placeholder flow ---------------------------------------------------------------

    /// Takes the flow out of the state for one step, so two steps never run at once.
    async fn take_flow(&self) -> Result<(PlaceholderFlow, Target)> {
        let target = self.session_target().await?;
        let mut s = self.lock().await;
        if s.flow_busy {
            return Err(busy());
        }
        let flow = s.flow.take().ok_or_else(|| {
            UserError::new(ErrorCode::FlowOrder, "Start the flow with a lookup first.")
        })?;
        s.flow_busy = true;
        Ok((flow, target))
    }

    /// Puts the flow back after a step and records the step's exchanges.
    async fn put_flow(
        &self,
        flow: PlaceholderFlow,
        target: &Target,
        error: Option<UserError>,
        recorded_before: usize,
        phone: Option<PhoneView>,
    ) -> FlowView {
        let mut s = self.lock().await;
        s.record_steps(&flow, recorded_before, &target.platform);
        let phone = phone.unwrap_or_else(|| PhoneView {
            expansions: Vec::new(),
            overriding_format: flow.overriding_format.clone(),
            formats: flow.formats.clone(),
            problem: None,
            number: flow.number.clone(),
        });
        s.flow_busy = false;
        // A server switch meanwhile ended this flow; it is not put back into the new session.
        if s.target.binding == target.binding {
            s.flow = Some(flow.clone());
        }
        s.keep_flow(&flow, recorded_before == 0);
        let subjects = flow_contact(&flow).map(|c| Subjects {
            inbound: default_subject(Direction::Inbound, c.display_name()),
            outbound: default_subject(Direction::Outbound, c.display_name()),
        });
        FlowView {
            phone,
            flow,
            error,
            subjects,
        }
    }

    /// Starts a placeholder flow: looks the number up.
    pub async fn flow_start(&self, input: &PhoneInput) -> Result<FlowView> {
        let phone = sendable_phone(input)?;
        let target = self.session_target().await?;
        {
            let mut s = self.lock().await;
            if s.flow_busy {
                return Err(busy());
            }
            s.flow = None;
            s.flow_busy = true;
        }
        let mut flow = PlaceholderFlow::new(phone.number.clone(), phone.overriding_format.clone())
            .with_formats(phone.formats.clone());
        let error = flow.lookup(&target.client).await.err().map(UserError::from);
        Ok(self.put_flow(flow, &target, error, 0, Some(phone)).await)
    }

    /// The manual flow's one Save with the create row chosen (extension 1.6.6): `POST /contact`,
    /// then `POST /callLog` for the created contact, both with the form's `additionalSubmission`
    /// (`save.call.additionalSubmission` holds form values by `const`: every one with
    /// `FormValues::Complete`, else overrides on the form's starting values; only the manifest's
    /// call-log and new-contact fields that are truthy and not `"none"` are sent). Nothing is sent
    /// when the client could not open the form.
    pub async fn flow_save(&self, save: SaveInput) -> Result<FlowView> {
        let contact_type = save.contact_type.filter(|t| !t.is_empty());
        let (mut flow, target) = self.take_flow().await?;
        if let Err(e) = Self::check_contact_type(&target, contact_type.as_deref()) {
            let _ = self.put_flow(flow, &target, None, usize::MAX, None).await;
            return Err(e);
        }
        let call = self.simulated_call(&*self.lock().await, save.call);
        let before = flow.steps.len();
        let error = flow
            .save(
                &target.client,
                &target.platform,
                &save.name,
                contact_type,
                &call,
                save.form_values,
            )
            .await
            .err()
            .map(UserError::from);
        Ok(self.put_flow(flow, &target, error, before, None).await)
    }

    pub async fn flow_verify(&self) -> Result<FlowView> {
        let (mut flow, target) = self.take_flow().await?;
        let before = flow.steps.len();
        let error = flow.verify(&target.client).await.err().map(UserError::from);
        Ok(self.put_flow(flow, &target, error, before, None).await)
    }

    /// The automatic variant: an unknown call creates its placeholder with no prompt.
    pub async fn flow_auto(
        &self,
        input: &PhoneInput,
        settings: AutoSettings,
        call: CallInput,
    ) -> Result<FlowView> {
        let phone = sendable_phone(input)?;
        let target = self.session_target().await?;
        let call = {
            let mut s = self.lock().await;
            if s.flow_busy {
                return Err(busy());
            }
            s.flow = None;
            s.flow_busy = true;
            self.simulated_call(&s, call)
        };
        let mut flow = PlaceholderFlow::new(phone.number.clone(), phone.overriding_format.clone())
            .with_formats(phone.formats.clone());
        let new_contact_fields = target
            .platform
            .page
            .as_ref()
            .and_then(|p| p.new_contact.as_ref())
            .is_some_and(|f| f.additional_fields.is_some());
        let error = flow
            .run_automatic(&target.client, &settings, &call, new_contact_fields)
            .await
            .err()
            .map(UserError::from);
        Ok(self.put_flow(flow, &target, error, 0, Some(phone)).await)
    }

    /// The name the automatic variant would give a placeholder for this number and caller.
    pub fn auto_preview(
        input: &PhoneInput,
        prefix: &str,
        caller_name: Option<&str>,
    ) -> AutoPreview {
        let e164 = phone_view(input).ok().map(|p| p.number.e164);
        AutoPreview {
            name: auto_placeholder_name(
                prefix,
                caller_name.filter(|c| !c.trim().is_empty()),
                e164.as_deref().unwrap_or("<number>"),
            ),
            e164,
        }
    }

    // ---- Forms ---------------------------------------------------------------------------------

    /// The call-log form the client would show for `contacts` (a real lookup's), or for the
    /// platform's sample contacts when none are given (a preview with no server).
    pub async fn log_form(
        &self,
        contacts: Option<Vec<ContactInfo>>,
        selected: Option<String>,
        direction: Direction,
    ) -> Result<LogForm> {
        let s = self.lock().await;
        let (name, platform) = s.platform()?;
        let contacts = contacts.unwrap_or_else(|| forms::sample_contacts(platform));
        Ok(forms::log_form(
            name,
            platform,
            &contacts,
            selected.as_deref(),
            direction,
        ))
    }

    // ---- History and reports ---------------------------------------------------------------

    /// Loads the history kept by earlier runs (stored redacted; lints are recomputed) and keeps it
    /// in that file from now on. Returns why it could not be read, if so.
    pub async fn open_history(&self, path: PathBuf) -> Option<String> {
        let mut s = self.lock().await;
        self.open_history_in(&mut s, path)
    }

    fn open_history_in(&self, s: &mut State, path: PathBuf) -> Option<String> {
        let problem = match crate::store::load::<HistoryEntry>(&path) {
            Ok(list) => {
                let platform = s.platform().ok().map(|(_, p)| p.clone());
                s.history = list
                    .into_iter()
                    .map(|e| Recorded::new(e.exchange, platform.as_ref(), e.context))
                    .collect();
                None
            }
            Err(e) => Some(e.to_string()),
        };
        s.history_path = Some(path);
        problem
    }

    pub async fn history(&self) -> Vec<Recorded> {
        self.lock().await.history.clone()
    }

    pub async fn clear_history(&self) {
        let mut s = self.lock().await;
        s.history.clear();
        s.save_history();
    }

    /// The report of this session in `format`, and a file name for it. Built from non-secret
    /// data; every secret stored for the current server (and every server a request went to) is
    /// masked again in the finished text.
    pub async fn report(&self, format: ReportFormat) -> (String, String) {
        let s = self.lock().await;
        let now = self.shared.clock.now_ms();
        let findings = check::check(&s.loaded.text);
        let store = &self.shared.store;
        let mut secrets: Vec<String> = Vec::new();
        let mut bindings = vec![s.target.binding.clone()];
        bindings.extend(s.user_names.keys().cloned());
        for binding in &bindings {
            if let Ok(Some(t)) = store.get(&binding.account(SecretKind::Session)) {
                secrets.push(t.expose().clone());
            }
            if let Ok(values) = keychain::login_values(store, binding) {
                secrets.extend(
                    values
                        .values()
                        .filter_map(|v| v.as_str().map(str::to_owned)),
                );
            }
        }
        if let Some(t) = s.target.client.jwt() {
            secrets.push(t.expose().clone());
        }
        let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let user = s.user_names.get(&s.target.binding).map(String::as_str);
        let report = Report {
            generated_at: clock::iso_utc(now),
            profile: s.profile(),
            manifest_source: &s.loaded.source,
            platform: &s.platform,
            server_url: s.target.client.server_url(),
            user_name: user.or(s
                .signed_in()
                .then_some("(session restored from the keychain)")),
            findings: &findings,
            requests: s
                .history
                .iter()
                .map(|r| ReportRequest {
                    exchange: &r.exchange,
                    lints: &r.lints,
                    context: r.context.as_ref(),
                })
                .collect(),
            flows: s.flows.iter().collect(),
        };
        let slug: String = s
            .profile()
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        (
            report.render(format, &secret_refs),
            format!(
                "switchboard-{slug}-{}.{}",
                clock::file_stamp(now),
                format.extension()
            ),
        )
    }

    /// Writes the report to `path` (creating its folder) and returns the path written.
    pub async fn write_report(&self, path: &Path, format: ReportFormat) -> Result<PathBuf> {
        let (text, _) = self.report(format).await;
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, text)
        };
        write().map_err(|e| {
            UserError::new(
                ErrorCode::Storage,
                format!(
                    "Could not write the report to {} ({e}). Choose another folder.",
                    path.display()
                ),
            )
        })?;
        tracing::info!(path = %path.display(), "report exported");
        Ok(path.to_owned())
    }
}

/// The contact a flow has created or is logging against.
fn flow_contact(flow: &PlaceholderFlow) -> Option<&ContactInfo> {
    use crate::flow::FlowState;
    match &flow.state {
        FlowState::Created { contact }
        | FlowState::Logged { contact, .. }
        | FlowState::Verified { contact, .. } => Some(contact),
        _ => None,
    }
}
