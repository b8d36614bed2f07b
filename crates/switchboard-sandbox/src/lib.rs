//! An App Connect-compatible connector server over an in-memory fake CRM (SPEC §2, §3).
//!
//! It answers the routes a real `@app-connect/core` server answers, so Switchboard, its tests and
//! demos have a connector to talk to without any CRM account. It runs inside the desktop app on
//! 127.0.0.1 and an ephemeral port, and standalone through `switchboard sandbox`.

pub mod crm;
pub mod faults;
mod routes;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use crm::interesting_numbers;
pub use faults::{Faults, Latency, RateLimit};
pub use routes::{router, Claims, USER_ID};

/// The API key the sandbox accepts unless told otherwise.
pub const DEFAULT_API_KEY: &str = "demo";
/// The platform name the bundled manifest uses.
pub const PLATFORM: &str = "sandbox";

/// Deliberate connector mistakes, to see how Switchboard's lints and the client react to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quirks {
    /// findContact answers one contact object instead of a list.
    pub contact_as_object: bool,
    /// findContact never appends the "Create new contact..." row.
    pub no_create_row: bool,
    /// The create row's id is `new-contact` instead of `createNewContact`.
    pub wrong_create_id: bool,
    /// Messages use `messageType: "danger"`, which the client hides, and misspell `details`.
    pub hidden_messages: bool,
    /// findContact creates a contact for an unknown number (the seeds forbid it).
    pub create_on_lookup: bool,
}

impl Quirks {
    pub const NAMES: [&'static str; 5] = [
        "contact-as-object",
        "no-create-row",
        "wrong-create-id",
        "hidden-messages",
        "create-on-lookup",
    ];

    /// Turns one on by its name in `NAMES`; false for an unknown name.
    pub fn enable(&mut self, name: &str) -> bool {
        let flag = match name {
            "contact-as-object" => &mut self.contact_as_object,
            "no-create-row" => &mut self.no_create_row,
            "wrong-create-id" => &mut self.wrong_create_id,
            "hidden-messages" => &mut self.hidden_messages,
            "create-on-lookup" => &mut self.create_on_lookup,
            _ => return false,
        };
        *flag = true;
        true
    }
}

/// Where the sandbox reads the time: seconds since the Unix epoch, for session tokens' `iat`,
/// `exp`, their expiry check and their renewal. Tests inject a [`ManualClock`] to let time pass
/// without waiting.
pub trait Clock: fmt::Debug + Send + Sync {
    fn now_secs(&self) -> u64;
}

/// The wall clock; the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_secs(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// Starts at `secs` since the Unix epoch.
    pub fn new(secs: u64) -> Self {
        Self(AtomicU64::new(secs))
    }

    /// Starts at the wall clock's current time.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now_secs())
    }

    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_secs(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub api_key: String,
    /// Session token lifetime (two weeks, as the framework's).
    pub token_lifetime_secs: u64,
    /// A token with this little left (a week, as the framework's) is renewed through
    /// `x-refreshed-jwt-token`.
    pub renew_below_secs: u64,
    /// Signing key for session tokens; random per start unless given (tests mint tokens with it).
    pub jwt_secret: Option<Vec<u8>>,
    pub seeded: bool,
    pub quirks: Quirks,
    /// The time source for session tokens and the rate limit's windows ([`SystemClock`] unless
    /// given).
    pub clock: Arc<dyn Clock>,
    /// Injected latency, server errors and rate limit on the data routes (all off by default).
    pub faults: Faults,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            token_lifetime_secs: 14 * 24 * 3600,
            renew_below_secs: 7 * 24 * 3600,
            jwt_secret: None,
            seeded: true,
            quirks: Quirks::default(),
            clock: Arc::new(SystemClock),
            faults: Faults::default(),
        }
    }
}

/// Shared server state.
pub struct State {
    pub config: SandboxConfig,
    pub crm: Mutex<crm::Crm>,
    pub jwt_secret: Vec<u8>,
    /// Users who signed out: their tokens are refused.
    pub signed_out: Mutex<Vec<String>>,
    /// Counters behind `config.faults`.
    pub faults: faults::FaultState,
}

impl State {
    pub fn new(config: SandboxConfig) -> Self {
        let crm = if config.seeded {
            crm::Crm::seeded()
        } else {
            crm::Crm::empty()
        };
        let jwt_secret = config
            .jwt_secret
            .clone()
            .unwrap_or_else(|| rand::random::<[u8; 32]>().to_vec());
        Self {
            config,
            crm: Mutex::new(crm),
            jwt_secret,
            signed_out: Mutex::new(Vec::new()),
            faults: faults::FaultState::default(),
        }
    }

    pub fn crm(&self) -> std::sync::MutexGuard<'_, crm::Crm> {
        self.crm.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `addr` (port 0 picks a free port) and serves in the background.
    pub async fn start(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<Self> {
        Self::serve(TcpListener::bind(addr).await?, config)
    }

    /// Serves on a socket bound earlier (it must already listen: connections made meanwhile wait
    /// in its backlog). The desktop app binds at once, so its URL is known before the window
    /// opens, and starts serving once the signing key is read from the keychain.
    pub fn start_on(
        listener: std::net::TcpListener,
        config: SandboxConfig,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        Self::serve(TcpListener::from_std(listener)?, config)
    }

    fn serve(listener: TcpListener, config: SandboxConfig) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(config));
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("sandbox server stopped: {e}");
            }
        });
        tracing::info!(%addr, "sandbox connector listening");
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn contact_count(&self) -> usize {
        self.state.crm().contacts.len()
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
