//! The App Connect HTTP client: Switchboard plays the browser extension's part against a connector
//! server, with the exact parameter names and encodings of SPEC §2.
//!
//! Every call returns its raw exchange (redacted) beside the decoded result, so the inspector can
//! show what went over the wire even when the call failed.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;
use url::Url;

use crate::error::{ErrorCode, UserError};
use crate::redact;
use crate::sensitive::Sensitive;
use crate::wire::{
    ApiKeyLoginRequest, CallLogLookupResponse, CallLogRequest, CallLogResponse,
    CreateContactRequest, CreateContactResponse, FindContactResponse, LoginResponse, ReturnMessage,
};

mod transport;
use transport::{Failure, Outgoing, Reply, Transport};

/// Used when the manifest gives no `requestConfig.timeout`.
pub const DEFAULT_TIMEOUT: Duration = crate::manifest::DEFAULT_REQUEST_TIMEOUT;
/// The server processes at most this many session ids per `GET /callLog`.
pub const MAX_SESSION_IDS: usize = 5;
/// Bodies longer than this are cut in the exchange record (the UI is not a hex dump).
const MAX_RECORDED_BODY: usize = 256 * 1024;
/// Answers larger than this are refused unread: no App Connect answer comes near it, and reading
/// without a bound lets a runaway server take the process's memory. `with_max_body` changes it.
pub const DEFAULT_MAX_BODY: usize = 5 * 1024 * 1024;

/// One request and its response, redacted, as the inspector shows it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub method: String,
    /// The URL with `jwtToken` and other secrets replaced.
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// `None` when no response arrived.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// True when the server sent a renewed session token (`x-refreshed-jwt-token`).
    pub refreshed_token: bool,
}

/// Quotes a word for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Exchange {
    /// The request as a curl command, with the same redactions as the record (secrets stay
    /// `<redacted>`, so the command is safe to paste into a ticket; put the token back to run it).
    pub fn to_curl(&self) -> String {
        let mut parts = vec![
            "curl".to_owned(),
            "-X".to_owned(),
            self.method.clone(),
            shell_quote(&self.url),
        ];
        for (k, v) in &self.request_headers {
            parts.push("-H".to_owned());
            parts.push(shell_quote(&format!("{k}: {v}")));
        }
        if let Some(body) = &self.request_body {
            parts.push("--data-raw".to_owned());
            parts.push(shell_quote(body));
        }
        parts.join(" ")
    }
}

/// A finished call: what went over the wire, and what it meant.
#[derive(Debug)]
pub struct Called<T> {
    pub exchange: Exchange,
    pub result: Result<T, ClientError>,
    /// A renewed session token the caller should store in place of the old one.
    pub refreshed_jwt: Option<Sensitive<String>>,
}

impl<T> Called<T> {
    pub fn into_result(self) -> Result<T, ClientError> {
        self.result
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    #[error("Could not reach the connector server at {url}: {reason}. Check that it is running and that the server URL is right.")]
    Unreachable { url: String, reason: String },
    #[error("The connector server at {url} did not answer in full within {secs} s. Check the server's logs, or raise requestConfig.timeout in the manifest.")]
    Timeout { url: String, secs: u64 },
    /// The connection broke after the request went out: before the answer, or part-way through it.
    #[error("The connection to the connector server at {url} broke {}({reason}). Retry; if it keeps happening, check the server's logs and any proxy in between.", match .received { 0 => String::new(), n => format!("after {} of the answer had arrived ", human_bytes(*n)) })]
    Interrupted {
        url: String,
        received: u64,
        reason: String,
    },
    /// A 3xx: redirects are never followed, since one could carry credentials to another server.
    #[error("The connector server answered HTTP {status}, {}. Switchboard does not follow redirects (a redirect could carry your credentials to another server); point the Server setting at the final address.", match .location { Some(l) => format!("redirecting to {l}"), None => "a redirect with no Location header".to_owned() })]
    Redirected {
        status: u16,
        /// Where `Location` pointed, resolved against the request URL and redacted.
        location: Option<String>,
    },
    /// The answer went past the body cap; reading stopped there.
    #[error("The answer was larger than {} ({}), so Switchboard stopped reading it; a runaway server cannot fill the memory that way. Check the connector for an unbounded answer.", human_bytes(*.limit as u64), match .declared { Some(d) => format!("the server announced {}", human_bytes(*d)), None => format!("{} had arrived", human_bytes(*.received)) })]
    TooLarge {
        limit: usize,
        /// Bytes read before stopping (0 when `Content-Length` already said too much).
        received: u64,
        /// The `Content-Length` the server sent, when it sent one.
        declared: Option<u64>,
    },
    #[error("The connector server is rate-limiting (HTTP 429); {}", match .retry_after { Some(r) => format!("retry after {r}."), None => "it gave no Retry-After, so wait a little before retrying.".to_owned() })]
    RateLimited {
        /// `Retry-After` as a person reads it: `30 s`, or the date the server gave.
        retry_after: Option<String>,
    },
    /// A 502/503/504 HTML page: a proxy or load balancer answered, not the connector.
    #[error("A gateway in front of the connector answered HTTP {status} with an HTML page{}, not the connector's JSON; check that the connector process is up behind it.", .title.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Gateway { status: u16, title: Option<String> },
    #[error("The server refused the session ({message}). Sign in again.")]
    Unauthorized { message: String },
    #[error("The connector server said no: {}", .message.as_deref().unwrap_or("successful was false, with no returnMessage"))]
    Rejected {
        message: Option<String>,
        return_message: Option<Box<ReturnMessage>>,
    },
    #[error(
        "The connector server failed with HTTP {status}: {detail}. Check the connector's logs."
    )]
    ServerError { status: u16, detail: String },
    #[error(
        "The connector's answer could not be read ({reason}). The inspector shows the raw body."
    )]
    BadResponse { reason: String },
    #[error(
        "Not signed in to {platform}. Sign in first (switchboard login, or the Sign in panel)."
    )]
    NotSignedIn { platform: String },
    #[error("{0}")]
    Invalid(String),
    /// The person cancelled while the call waited (see `crate::cancel`).
    #[error("{}", cancelled_words(.url, *.sent, *.status, *.elapsed_ms))]
    Cancelled {
        url: String,
        /// False when nothing had gone out yet.
        sent: bool,
        /// The answer's status, when its head had arrived before the cancel.
        status: Option<u16>,
        elapsed_ms: u64,
    },
}

/// What a cancel means for what the server did: the honest part is that a request already sent
/// may still be acted on.
fn cancelled_words(url: &str, sent: bool, status: Option<u16>, elapsed_ms: u64) -> String {
    let after = format!("{:.1} s", elapsed_ms as f64 / 1000.0);
    match (sent, status) {
        (false, _) => format!("Cancelled before the request to {url} was sent; nothing reached the server."),
        (true, None) => format!("Cancelled after {after} with no answer from {url}. The request had been sent, so the server may still act on it (a contact may still be created, a call still logged); check before trying again."),
        (true, Some(status)) => format!("Cancelled after {after} while the answer from {url} (HTTP {status}) was arriving: the server had already handled the request; only its answer was not read."),
    }
}

impl ClientError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unreachable { .. }
            | Self::Interrupted { .. }
            | Self::Redirected { .. }
            | Self::RateLimited { .. }
            | Self::Gateway { .. } => ErrorCode::ServerUnreachable,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Unauthorized { .. } => ErrorCode::Unauthorized,
            Self::Rejected { .. } => ErrorCode::Rejected,
            Self::ServerError { .. } | Self::BadResponse { .. } | Self::TooLarge { .. } => {
                ErrorCode::BadResponse
            }
            Self::NotSignedIn { .. } => ErrorCode::NotSignedIn,
            Self::Invalid(_) => ErrorCode::Internal,
            Self::Cancelled { .. } => ErrorCode::Cancelled,
        }
    }

    /// The connector's own message, when it sent one.
    pub fn return_message(&self) -> Option<&ReturnMessage> {
        match self {
            Self::Rejected { return_message, .. } => return_message.as_deref(),
            _ => None,
        }
    }

    /// The same error with every known secret value masked in its words.
    fn masked(self, secrets: &Secrets) -> Self {
        let t = |s: String| secrets.text(&s);
        match self {
            Self::Unreachable { url, reason } => Self::Unreachable {
                url: t(url),
                reason: t(reason),
            },
            Self::Timeout { url, secs } => Self::Timeout { url: t(url), secs },
            Self::Interrupted {
                url,
                received,
                reason,
            } => Self::Interrupted {
                url: t(url),
                received,
                reason: t(reason),
            },
            Self::Redirected { status, location } => Self::Redirected {
                status,
                location: location.map(t),
            },
            Self::RateLimited { retry_after } => Self::RateLimited {
                retry_after: retry_after.map(t),
            },
            Self::Gateway { status, title } => Self::Gateway {
                status,
                title: title.map(t),
            },
            Self::Unauthorized { message } => Self::Unauthorized {
                message: t(message),
            },
            Self::Rejected {
                message,
                return_message,
            } => Self::Rejected {
                message: message.map(t),
                return_message: return_message.map(|m| Box::new(secrets.return_message(*m))),
            },
            Self::ServerError { status, detail } => Self::ServerError {
                status,
                detail: t(detail),
            },
            Self::BadResponse { reason } => Self::BadResponse { reason: t(reason) },
            e @ (Self::TooLarge { .. } | Self::NotSignedIn { .. } | Self::Cancelled { .. }) => e,
            Self::Invalid(m) => Self::Invalid(t(m)),
        }
    }
}

impl From<ClientError> for UserError {
    fn from(e: ClientError) -> Self {
        UserError::new(e.code(), e.to_string())
    }
}

/// `5 MiB`, `5.1 MiB`, `812 KiB`, `17 bytes`.
fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let (value, unit) = match n {
        n if n >= MIB => (n as f64 / MIB as f64, "MiB"),
        n if n >= KIB => (n as f64 / KIB as f64, "KiB"),
        n => return format!("{n} byte{}", if n == 1 { "" } else { "s" }),
    };
    if (value - value.round()).abs() < 0.05 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// The secret values one request carries (API key, login values, session token, OAuth code), so
/// they can be masked by value wherever they would be shown, whatever the server wraps them in.
/// Key-name redaction (`redact`) still runs first; this catches a server that echoes a secret
/// under an innocent name, in plain text, or in a header.
#[derive(Default, Clone)]
struct Secrets(Vec<std::sync::Arc<str>>);

impl Secrets {
    /// Values shorter than four characters are not masked: they would hit ordinary words.
    const MIN_LEN: usize = 4;

    fn add(&mut self, secret: &str) {
        if secret.chars().count() < Self::MIN_LEN {
            return;
        }
        // A secret also travels encoded: inside a JSON string, or in a query string.
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or(secret);
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let percent = form.replace('+', "%20");
        for v in [secret, json, &form, &percent] {
            if !self.0.iter().any(|s| &**s == v) {
                self.0.push(v.into());
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        self.0.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    fn with(mut self, secret: &str) -> Self {
        self.add(secret);
        self
    }

    /// Whether `s` holds one of the secrets. Most strings of an answer are shorter than any
    /// secret (a session token is hundreds of characters), and those are not searched at all.
    fn hits(&self, s: &str) -> bool {
        self.0
            .iter()
            .any(|secret| secret.len() <= s.len() && s.contains(&**secret))
    }

    fn text(&self, s: &str) -> String {
        if !self.hits(s) {
            return s.to_owned();
        }
        let mut out = s.to_owned();
        // Longest first (see `add`), so a secret that contains another is masked whole.
        for secret in &self.0 {
            if secret.len() <= out.len() && out.contains(&**secret) {
                out = out.replace(&**secret, redact::REDACTED);
            }
        }
        out
    }

    /// Masks inside JSON strings and keys, keeping the document valid JSON; a number that spells
    /// a secret becomes the redaction marker.
    fn value(&self, mut v: Value) -> Value {
        self.mask(&mut v);
        v
    }

    /// [`Self::value`] in place: only a string that holds a secret is rewritten, and a map is
    /// rebuilt only when one of its keys does.
    fn mask(&self, v: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        match v {
            Value::String(s) => {
                if self.hits(s) {
                    *s = self.text(s);
                }
            }
            Value::Number(n) => {
                if self.hits(&n.to_string()) {
                    *v = Value::String(redact::REDACTED.to_owned());
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.mask(i)),
            Value::Object(map) => {
                if map.keys().any(|k| self.hits(k)) {
                    *map = std::mem::take(map)
                        .into_iter()
                        .map(|(k, mut v)| {
                            self.mask(&mut v);
                            (self.text(&k), v)
                        })
                        .collect();
                } else {
                    map.values_mut().for_each(|v| self.mask(v));
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn return_message(&self, m: ReturnMessage) -> ReturnMessage {
        ReturnMessage {
            message: m.message.map(|s| self.text(&s)),
            details: m.details.map(|d| self.value(d)),
            ..m
        }
    }

    /// A body as the inspector shows it: JSON pretty-printed with secret-named keys and secret
    /// values masked, anything else as text with secret values masked.
    fn body(&self, text: &str) -> String {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => self.pretty(&v, text),
            Err(_) => self.text(text),
        }
    }

    /// A parsed JSON body as the inspector shows it (`text` is the body, for when it cannot be
    /// printed).
    fn pretty(&self, v: &Value, text: &str) -> String {
        serde_json::to_string_pretty(&self.json(v)).unwrap_or_else(|_| self.text(text))
    }

    /// A parsed JSON body with secret-named keys and secret values masked.
    fn json(&self, v: &Value) -> Value {
        let mut shown = v.clone();
        self.json_in_place(&mut shown);
        shown
    }

    /// [`Self::json`] on the value itself.
    fn json_in_place(&self, v: &mut Value) {
        redact::json_in_place(v);
        self.mask(v);
    }

    /// Masks every shown part of a record.
    fn exchange(&self, mut ex: Exchange) -> Exchange {
        if self.0.is_empty() {
            return ex;
        }
        ex.url = self.text(&ex.url);
        for (_, v) in ex
            .request_headers
            .iter_mut()
            .chain(ex.response_headers.iter_mut())
        {
            *v = self.text(v);
        }
        ex.request_body = ex.request_body.map(|b| self.text(&b));
        ex.response_body = ex.response_body.map(|b| self.text(&b));
        ex
    }
}

/// Turns a transport error into words a person can act on.
pub fn describe_transport_error(e: &reqwest::Error) -> String {
    transport::describe_chain(e)
}

/// The TLS connector every client shares: the system's root certificates and ALPN (h2, then
/// http/1.1), as reqwest would set them up itself. Setting it up reads and parses the system's
/// certificate bundle twice (OpenSSL's default paths, then native-tls's probe): about 45 ms of
/// CPU with OpenSSL 3 on a 2-core machine. reqwest did that for every client it built, plain-http
/// ones included; here it happens once per process, on a background thread started by the first
/// https client, and only a request waits for it. Plain-http servers never need it.
mod tls {
    use std::sync::OnceLock;

    static CONNECTOR: OnceLock<Result<native_tls::TlsConnector, String>> = OnceLock::new();

    pub(super) fn connector() -> Result<native_tls::TlsConnector, String> {
        CONNECTOR
            .get_or_init(|| {
                native_tls::TlsConnector::builder()
                    .request_alpns(&["h2", "http/1.1"])
                    .build()
                    .map_err(|e| format!("the TLS settings could not be loaded: {e}"))
            })
            .clone()
    }

    /// Starts building the connector on its own thread (once per process). A request that comes
    /// first waits for that build rather than starting a second one.
    pub(super) fn warm_up() {
        static STARTED: std::sync::Once = std::sync::Once::new();
        STARTED.call_once(|| {
            let spawned = std::thread::Builder::new()
                .name("tls-setup".to_owned())
                .spawn(|| {
                    let _ = connector();
                });
            if let Err(e) = spawned {
                tracing::debug!("TLS set-up stays on first use: {e}");
            }
        });
    }
}

/// How the session JWT travels: the real client puts it in the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenStyle {
    #[default]
    Query,
    Bearer,
}

pub struct AppConnectClient {
    /// Built on the first request (see [`Self::http`]): a client that never sends costs nothing.
    http: OnceLock<Result<Transport, String>>,
    base: Url,
    platform: String,
    timeout: Duration,
    token_style: TokenStyle,
    max_body: usize,
    jwt: Mutex<Option<Sensitive<String>>>,
    /// The session token with the encodings [`Secrets`] masks it in, made once per token rather
    /// than once per request.
    token_secrets: Mutex<Option<(Sensitive<String>, Secrets)>>,
    /// Send `is-debug: true`, so a framework server adds its `_debug` trace to JSON answers.
    debug: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for AppConnectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConnectClient")
            .field("base", &self.base.as_str())
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

enum Body<'a> {
    None,
    Json(&'a Value),
}

struct Raw {
    status: u16,
    /// The body as text; bytes that are not UTF-8 are replaced (see `not_utf8`).
    text: String,
    /// Why the body is not UTF-8, when it is not.
    not_utf8: Option<String>,
    content_type: Option<String>,
    retry_after: Option<String>,
    /// `text` parsed as JSON, once, for the record and the decoder (none: not parsed yet).
    json: Option<Result<Value, serde_json::Error>>,
    /// With [`Record::Lean`]: `json` is a value the record's text was not written from; the
    /// caller gets it back redacted and masked, as the record would show it.
    lean: bool,
}

impl Raw {
    #[cfg(test)]
    fn new(status: u16, text: &str) -> Self {
        Self {
            status,
            text: text.to_owned(),
            not_utf8: None,
            content_type: None,
            retry_after: None,
            json: None,
            lean: false,
        }
    }
}

/// How an answer's body goes into its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    /// As the inspector shows it: JSON pretty-printed, redacted and masked.
    Text,
    /// For batches, whose records are dropped unless the lookup failed: a JSON answer (up to
    /// `LEAN_MAX`) is handed over as a masked `Value` and the text is written only when the
    /// record is kept ([`shown_body`]); any other body is recorded as text as usual.
    Lean,
}

/// Answers larger than this are recorded as text even in [`Record::Lean`], so that what a batch
/// lints is what the record shows (the record is cut at `MAX_RECORDED_BODY`).
const LEAN_MAX: usize = 16 * 1024;

/// Why reading a body stopped early.
enum BodyError {
    TooLarge {
        received: u64,
        declared: Option<u64>,
    },
    Transport {
        received: u64,
        error: Failure,
    },
}

impl AppConnectClient {
    /// `server_url` is the manifest's `serverUrl` (or an override); a trailing slash is tolerated.
    pub fn new(
        server_url: &str,
        platform: &str,
        timeout: Option<Duration>,
    ) -> Result<Self, ClientError> {
        let trimmed = server_url.trim().trim_end_matches('/');
        let base = Url::parse(&format!("{trimmed}/")).map_err(|e| {
            ClientError::Invalid(format!(
                "\"{server_url}\" is not a server URL ({e}). Use a full URL such as http://localhost:6066."
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::Invalid(format!(
                "\"{server_url}\" is not an http(s) URL. Use a full URL such as http://localhost:6066."
            )));
        }
        let timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
        // The TLS settings take ~45 ms of certificate loading; for an https server they start
        // now, on another thread, so the first request finds them ready or nearly. A plain-http
        // server never needs them (see `transport`).
        if base.scheme() == "https" {
            tls::warm_up();
        }
        Ok(Self {
            http: OnceLock::new(),
            base,
            platform: platform.to_owned(),
            timeout,
            token_style: TokenStyle::Query,
            max_body: DEFAULT_MAX_BODY,
            jwt: Mutex::new(None),
            token_secrets: Mutex::new(None),
            debug: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The largest answer body read, in bytes (default `DEFAULT_MAX_BODY`); larger answers fail
    /// with `ClientError::TooLarge` without being held in memory.
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    pub fn with_token_style(mut self, style: TokenStyle) -> Self {
        self.token_style = style;
        self
    }

    pub fn platform(&self) -> &str {
        &self.platform
    }

    pub fn server_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// How long a request may take in all (the manifest's `requestConfig.timeout`, or 30 s).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn set_jwt(&self, jwt: Option<Sensitive<String>>) {
        *self.jwt.lock().unwrap_or_else(|p| p.into_inner()) = jwt;
    }

    /// Asks the server for its debug trace (`is-debug: true`) on every later request, or stops.
    pub fn set_debug(&self, on: bool) {
        self.debug.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn jwt(&self) -> Option<Sensitive<String>> {
        self.jwt.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn require_jwt(&self) -> Result<Sensitive<String>, ClientError> {
        self.jwt().ok_or_else(|| ClientError::NotSignedIn {
            platform: self.platform.clone(),
        })
    }

    /// The transport, built on first use: hyper for a plain-http server, reqwest with the
    /// process's shared TLS settings for an https one.
    fn http(&self) -> Result<&Transport, ClientError> {
        self.http
            .get_or_init(|| {
                if self.base.scheme() == "https" {
                    Transport::tls(self.timeout, tls::connector()?)
                } else {
                    Ok(Transport::plain())
                }
            })
            .as_ref()
            .map_err(|e| ClientError::Invalid(format!("could not set up HTTP: {e}")))
    }

    fn url(&self, path: &str) -> Url {
        // `path` is one of our fixed route names, so joining cannot fail on a valid base.
        self.base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.base.clone())
    }

    /// `secrets.add(token)`: when `secrets` holds nothing else (every request but a sign-in's),
    /// from what the same token gave before.
    fn add_token(&self, secrets: &mut Secrets, token: &Sensitive<String>) {
        if !secrets.0.is_empty() {
            secrets.add(token.expose());
            return;
        }
        let mut cached = self.token_secrets.lock().unwrap_or_else(|p| p.into_inner());
        match cached.as_ref() {
            Some((t, made)) if t.expose() == token.expose() => secrets.clone_from(made),
            _ => {
                secrets.add(token.expose());
                *cached = Some((token.clone(), secrets.clone()));
            }
        }
    }

    /// Sends one request and records it. `jwt` is added the way `token_style` says; `secrets`
    /// are the other secret values the request carries, masked wherever they would be shown.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        jwt: Option<&Sensitive<String>>,
        secrets: &mut Secrets,
        record: Record,
    ) -> (
        Exchange,
        Result<Raw, ClientError>,
        Option<Sensitive<String>>,
    ) {
        if let Some(token) = jwt {
            self.add_token(secrets, token);
        }
        let (exchange, result, refreshed) = self
            .send_unmasked(method, path, query, body, jwt, secrets, record)
            .await;
        // Everything shown has been through the key-name redaction already; this masks by value
        // (the bodies were masked as they were recorded, JSON-aware; a second pass changes nothing).
        let exchange = secrets.exchange(exchange);
        let result = result.map_err(|e| e.masked(secrets));
        (exchange, result, refreshed)
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_unmasked(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        jwt: Option<&Sensitive<String>>,
        secrets: &mut Secrets,
        record: Record,
    ) -> (
        Exchange,
        Result<Raw, ClientError>,
        Option<Sensitive<String>>,
    ) {
        let mut url = self.url(path);
        // The address as the record shows it is built beside the real one, each secret-named
        // parameter given the redaction marker: what `redact::url` makes of the real address,
        // without parsing it again (once per request of a long batch).
        let mut shown_url = url.clone();
        {
            let mut pairs = url.query_pairs_mut();
            let mut shown = shown_url.query_pairs_mut();
            let token = match (jwt, self.token_style) {
                (Some(token), TokenStyle::Query) => Some(("jwtToken", token.expose().as_str())),
                _ => None,
            };
            for (k, v) in token
                .into_iter()
                .chain(query.iter().map(|(k, v)| (*k, v.as_str())))
            {
                pairs.append_pair(k, v);
                shown.append_pair(k, redact::query_value(k, v));
            }
        }
        // `query_pairs_mut` leaves an empty `?` when nothing was appended.
        for u in [&mut url, &mut shown_url] {
            if u.query() == Some("") {
                u.set_query(None);
            }
        }
        let shown_url = redact::built_url(&shown_url);
        debug_assert_eq!(shown_url, redact::url(url.as_str()));
        let mut request_headers = vec![("accept".to_owned(), "application/json".to_owned())];
        let http = match self.http() {
            Ok(http) => http,
            Err(e) => {
                let exchange = Exchange {
                    method: method.to_string(),
                    url: shown_url,
                    request_headers,
                    request_body: None,
                    status: None,
                    response_headers: Vec::new(),
                    response_body: None,
                    elapsed_ms: 0,
                    refreshed_token: false,
                };
                return (exchange, Err(e), None);
            }
        };
        let mut headers = vec![("accept", "application/json".to_owned())];
        if let (Some(token), TokenStyle::Bearer) = (jwt, self.token_style) {
            headers.push(("authorization", format!("Bearer {}", token.expose())));
            request_headers.push(("authorization".to_owned(), redact::REDACTED.to_owned()));
        }
        if self.debug.load(std::sync::atomic::Ordering::Relaxed) {
            headers.push(("is-debug", "true".to_owned()));
            request_headers.push(("is-debug".to_owned(), "true".to_owned()));
        }
        let (request_body, body) = match body {
            Body::None => (None, None),
            Body::Json(v) => {
                let text = v.to_string();
                headers.push(("content-type", "application/json".to_owned()));
                request_headers.push(("content-type".to_owned(), "application/json".to_owned()));
                (Some(secrets.body(&text)), Some(text.into_bytes()))
            }
        };
        let outgoing = Outgoing {
            method: method.clone(),
            url: url.clone(),
            headers,
            body,
        };
        let mut exchange = Exchange {
            method: method.to_string(),
            url: shown_url,
            request_headers,
            request_body,
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            elapsed_ms: 0,
            refreshed_token: false,
        };
        let started = Instant::now();
        let cancelled = |exchange: Exchange, sent: bool, refreshed: Option<Sensitive<String>>| {
            let error = ClientError::Cancelled {
                url: self.server_url().to_owned(),
                sent,
                status: exchange.status,
                elapsed_ms: exchange.elapsed_ms,
            };
            (exchange, Err(error), refreshed)
        };
        if crate::cancel::current().is_some_and(|t| t.is_cancelled()) {
            return cancelled(exchange, false, None);
        }
        let Some(sent) = crate::cancel::race(http.send(outgoing, self.timeout)).await else {
            exchange.elapsed_ms = elapsed_ms(started);
            return cancelled(exchange, true, None);
        };
        let mut resp = match sent {
            Err(e) => {
                exchange.elapsed_ms = elapsed_ms(started);
                return (exchange, Err(self.transport_error(&e, &url, 0)), None);
            }
            Ok(resp) => resp,
        };
        let status = resp.status();
        exchange.status = Some(status);
        let mut refreshed = None;
        let mut location = None;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        for (name, value) in resp.headers() {
            let v = value.to_str().unwrap_or("<binary>");
            let shown = match name.as_str() {
                "x-refreshed-jwt-token" if !v.is_empty() => {
                    refreshed = Some(Sensitive::new(v.to_owned()));
                    secrets.add(v);
                    redact::REDACTED.to_owned()
                }
                // A relative Location is resolved, so the record says where it really pointed.
                "location" | "content-location" => {
                    let target = url.join(v).map(|u| redact::url(u.as_str()));
                    let target = target.unwrap_or_else(|_| v.to_owned());
                    if name.as_str() == "location" {
                        location = Some(target.clone());
                    }
                    target
                }
                n => redact::header(n, v),
            };
            exchange
                .response_headers
                .push((name.as_str().to_owned(), shown));
        }
        exchange.refreshed_token = refreshed.is_some();
        let read = crate::cancel::race(self.read_body(&mut resp)).await;
        exchange.elapsed_ms = elapsed_ms(started);
        // A renewed token that arrived with the head is kept even when the body is not read.
        let Some(read) = read else {
            if let Some(token) = &refreshed {
                self.set_jwt(Some(token.clone()));
            }
            return cancelled(exchange, true, refreshed);
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err((partial, e)) => {
                exchange.response_body = Some(recorded_body(&partial, secrets, true));
                let err = match e {
                    // Where a redirect pointed matters more than how its body failed.
                    _ if (300..400).contains(&status) => {
                        ClientError::Redirected { status, location }
                    }
                    BodyError::TooLarge { received, declared } => ClientError::TooLarge {
                        limit: self.max_body,
                        received,
                        declared,
                    },
                    BodyError::Transport { received, error } => {
                        self.transport_error(&error, &url, received)
                    }
                };
                return (exchange, Err(err), refreshed);
            }
        };
        let (text, not_utf8) = match String::from_utf8(bytes) {
            Ok(t) => (t, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let why = format!(
                    "byte 0x{:02X} at offset {at} is not UTF-8, and JSON must be UTF-8",
                    e.as_bytes().get(at).copied().unwrap_or_default()
                );
                (
                    String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    Some(why),
                )
            }
        };
        // The body is parsed once: for the record and, below, for the decoder.
        let json = serde_json::from_str::<Value>(&text);
        let lean = record == Record::Lean && text.len() <= LEAN_MAX && json.is_ok();
        match &json {
            // A lean record's JSON is masked after decoding, in place (`call_with`).
            Ok(_) if lean => {}
            Ok(v) => exchange.response_body = Some(cut_record(secrets.pretty(v, &text))),
            Err(_) => exchange.response_body = Some(cut_record(secrets.text(&text))),
        }
        if (300..400).contains(&status) {
            if let (true, Ok(v)) = (lean, &json) {
                exchange.response_body = Some(shown_body(&secrets.json(v)));
            }
            return (
                exchange,
                Err(ClientError::Redirected { status, location }),
                refreshed,
            );
        }
        if let Some(token) = &refreshed {
            self.set_jwt(Some(token.clone()));
        }
        let raw = Raw {
            status,
            text,
            not_utf8,
            content_type,
            retry_after,
            json: Some(json),
            lean,
        };
        (exchange, Ok(raw), refreshed)
    }

    /// Reads the body in chunks, never holding more than `max_body` plus one chunk. On failure,
    /// gives back what had arrived (for the record) with the reason.
    async fn read_body(&self, resp: &mut Reply) -> Result<Vec<u8>, (Vec<u8>, BodyError)> {
        let declared = resp.content_length();
        if let Some(len) = declared.filter(|&len| len > self.max_body as u64) {
            return Err((
                Vec::new(),
                BodyError::TooLarge {
                    received: 0,
                    declared: Some(len),
                },
            ));
        }
        let expected = declared.map_or(0, |l| usize::try_from(l).unwrap_or(0));
        let mut buf = Vec::with_capacity(expected.min(self.max_body));
        loop {
            match resp.chunk().await {
                Ok(None) => return Ok(buf),
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > self.max_body {
                        let received = (buf.len() + chunk.len()) as u64;
                        return Err((buf, BodyError::TooLarge { received, declared }));
                    }
                    // Grow by doubling, but never past the cap: the cap bounds the allocation too.
                    let need = buf.len() + chunk.len();
                    if need > buf.capacity() {
                        let target = need.max(buf.capacity() * 2).min(self.max_body);
                        buf.reserve_exact(target - buf.len());
                    }
                    buf.extend_from_slice(&chunk);
                }
                Err(error) => {
                    let received = buf.len() as u64;
                    return Err((buf, BodyError::Transport { received, error }));
                }
            }
        }
    }

    /// A failed send or body read, in words: timeout, unreachable, or a connection that broke.
    fn transport_error(&self, e: &Failure, url: &Url, received: u64) -> ClientError {
        if e.is_timeout() {
            ClientError::Timeout {
                url: redact::url(url.as_str()),
                secs: self.timeout.as_secs(),
            }
        } else if e.is_connect() {
            ClientError::Unreachable {
                url: self.server_url().to_owned(),
                reason: e.reason().to_owned(),
            }
        } else {
            ClientError::Interrupted {
                url: self.server_url().to_owned(),
                received,
                reason: e.reason().to_owned(),
            }
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        authed: bool,
        secrets: Secrets,
    ) -> Called<T> {
        let (called, _) = self
            .call_with(
                method,
                path,
                query,
                body,
                authed,
                secrets,
                Record::Text,
                |_| None,
            )
            .await;
        called
    }

    /// `call`, recording the body as `record` says; gives the shown JSON of a lean record.
    /// `usual` decodes a lean record's ordinary 2xx answer as serde would, without copies, or
    /// gives `None` to leave it to serde (`FindContactResponse::from_usual`).
    #[allow(clippy::too_many_arguments)]
    async fn call_with<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        authed: bool,
        mut secrets: Secrets,
        record: Record,
        usual: fn(&Value) -> Option<T>,
    ) -> (Called<T>, Option<Value>) {
        let jwt = if authed {
            match self.require_jwt() {
                Ok(t) => Some(t),
                Err(e) => {
                    let called = Called {
                        exchange: Exchange {
                            method: method.to_string(),
                            url: redact::url(self.url(path).as_str()),
                            request_headers: Vec::new(),
                            request_body: None,
                            status: None,
                            response_headers: Vec::new(),
                            response_body: None,
                            elapsed_ms: 0,
                            refreshed_token: false,
                        },
                        result: Err(e),
                        refreshed_jwt: None,
                    };
                    return (called, None);
                }
            }
        } else {
            None
        };
        let (exchange, raw, refreshed_jwt) = self
            .send(
                method,
                path,
                query,
                body,
                jwt.as_ref(),
                &mut secrets,
                record,
            )
            .await;
        let mut shown = None;
        // Decoding quotes the body in its errors, so they are masked too.
        let result = raw.and_then(|mut r| match r.json.take() {
            Some(Ok(v)) if r.lean => {
                let (result, mut v) = decode_keeping::<T>(r, v, usual);
                // The answer as the record shows it: the parsed value itself, redacted and
                // masked in place once decoding is done with it.
                secrets.json_in_place(&mut v);
                shown = Some(v);
                result.map_err(|e| e.masked(&secrets))
            }
            json => {
                r.json = json;
                decode::<T>(r).map_err(|e| e.masked(&secrets))
            }
        });
        let called = Called {
            exchange,
            result,
            refreshed_jwt,
        };
        (called, shown)
    }

    /// Sends a recorded request again (the inspector's Resend): `route` is a path under this
    /// server (`contact`, `callLog`), `query` the parameters without the session token, which is
    /// added here when `authed` (as `token_style` says), so it never passes through a front end.
    /// The answer is read as any App Connect answer is (`successful: false` is a rejection).
    pub async fn resend(
        &self,
        method: &str,
        route: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        authed: bool,
    ) -> Called<Value> {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let query: Vec<(&str, String)> =
            query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let body = body.map_or(Body::None, Body::Json);
        self.call(method, route, &query, body, authed, Secrets::default())
            .await
    }

    /// `GET /isAlive`: true when the server answers `OK`.
    #[tracing::instrument(skip(self))]
    pub async fn is_alive(&self) -> Called<bool> {
        let (exchange, raw, refreshed_jwt) = self
            .send(
                Method::GET,
                "isAlive",
                &[],
                Body::None,
                None,
                &mut Secrets::default(),
                Record::Text,
            )
            .await;
        let result = raw.map(|r| r.status == 200 && r.text.trim() == "OK");
        Called {
            exchange,
            result,
            refreshed_jwt,
        }
    }

    /// `GET /implementedInterfaces?platform=`.
    #[tracing::instrument(skip(self))]
    pub async fn implemented_interfaces(&self) -> Called<Map<String, Value>> {
        let q = [("platform", self.platform.clone())];
        self.call(
            Method::GET,
            "implementedInterfaces",
            &q,
            Body::None,
            false,
            Secrets::default(),
        )
        .await
    }

    /// `POST /apiKeyLogin`. `fields` are every field of the manifest's API-key page by `const`
    /// (the `apiKey` field included); on success the session token is kept for later calls.
    #[tracing::instrument(skip(self, api_key, fields))]
    pub async fn api_key_login(
        &self,
        api_key: &Sensitive<String>,
        hostname: &str,
        fields: &[(String, Sensitive<String>)],
    ) -> Called<LoginResponse> {
        let mut additional_info = Map::new();
        for (k, v) in fields {
            additional_info.insert(k.clone(), Value::String(v.expose().clone()));
        }
        let body = ApiKeyLoginRequest {
            platform: self.platform.clone(),
            api_key: api_key.expose().clone(),
            hostname: hostname.to_owned(),
            additional_info,
        };
        let body = serde_json::to_value(body).unwrap_or(Value::Null);
        // Every login value is masked, whatever its field is called: the page is the connector's.
        let mut secrets = Secrets::default().with(api_key.expose());
        for (_, v) in fields {
            secrets.add(v.expose());
        }
        let called: Called<LoginResponse> = self
            .call(
                Method::POST,
                "apiKeyLogin",
                &[],
                Body::Json(&body),
                false,
                secrets.clone(),
            )
            .await;
        self.keep_session(called, "login", secrets)
    }

    /// A sign-in answer must carry a session token; keep it for later calls. What the answer
    /// says around the token (name, message) is shown, so the sign-in's secrets are masked there,
    /// and the new token is masked wherever the record shows it.
    fn keep_session(
        &self,
        mut called: Called<LoginResponse>,
        what: &str,
        mut secrets: Secrets,
    ) -> Called<LoginResponse> {
        called.result = called.result.and_then(|r| {
            if r.jwt_token.is_empty() {
                Err(ClientError::BadResponse {
                    reason: format!("the {what} answer has no jwtToken"),
                })
            } else {
                Ok(LoginResponse {
                    name: r.name.map(|n| secrets.text(&n)),
                    return_message: r.return_message.map(|m| secrets.return_message(m)),
                    jwt_token: r.jwt_token,
                })
            }
        });
        if let Ok(r) = &called.result {
            self.set_jwt(Some(Sensitive::new(r.jwt_token.clone())));
            secrets.add(&r.jwt_token);
            called.exchange = secrets.exchange(called.exchange);
        }
        called
    }

    /// `GET /oauth-callback`: hands the server the full redirect URL (with `code` and `state`); on
    /// success the session token is kept for later calls.
    #[tracing::instrument(skip_all)]
    pub async fn oauth_callback(
        &self,
        callback_uri: &Sensitive<String>,
        hostname: &str,
    ) -> Called<LoginResponse> {
        let q = [
            ("callbackUri", callback_uri.expose().clone()),
            ("hostname", hostname.to_owned()),
        ];
        // The code is the secret in the callback URL; the whole URL is masked too.
        let mut secrets = Secrets::default().with(callback_uri.expose());
        if let Ok(u) = Url::parse(callback_uri.expose()) {
            for (k, v) in u.query_pairs() {
                if k == "code" {
                    secrets.add(&v);
                }
            }
        }
        let called: Called<LoginResponse> = self
            .call(
                Method::GET,
                "oauth-callback",
                &q,
                Body::None,
                false,
                secrets.clone(),
            )
            .await;
        self.keep_session(called, "OAuth callback", secrets)
    }

    /// `GET /authValidation`.
    pub async fn auth_validation(&self) -> Called<Value> {
        self.call(
            Method::GET,
            "authValidation",
            &[],
            Body::None,
            true,
            Secrets::default(),
        )
        .await
    }

    /// `POST /unAuthorize`; forgets the session token whatever the answer.
    pub async fn unauthorize(&self) -> Called<Value> {
        let called = self
            .call(
                Method::POST,
                "unAuthorize",
                &[],
                Body::None,
                true,
                Secrets::default(),
            )
            .await;
        self.set_jwt(None);
        called
    }

    /// `GET /contact`: `overridingFormat` is always sent (empty when none), `isExtension` as text.
    #[tracing::instrument(skip(self))]
    pub async fn find_contact(
        &self,
        phone_number: &str,
        overriding_format: &str,
        is_extension: bool,
    ) -> Called<FindContactResponse> {
        let q = [
            ("phoneNumber", phone_number.to_owned()),
            ("overridingFormat", overriding_format.to_owned()),
            ("isExtension", is_extension.to_string()),
        ];
        self.call(
            Method::GET,
            "contact",
            &q,
            Body::None,
            true,
            Secrets::default(),
        )
        .await
    }

    /// `find_contact` for a batch, whose records are dropped unless the lookup failed: a JSON
    /// answer comes back as the record would show it (redacted and masked, for lints and the
    /// toast) and the record's `response_body` is left `None`; [`shown_body`] writes it when the
    /// record is kept. Other answers are recorded as `find_contact` records them (and no JSON is
    /// given). Saves pretty-printing and re-parsing every answer of a long batch.
    pub async fn find_contact_lean(
        &self,
        phone_number: &str,
        overriding_format: &str,
        is_extension: bool,
    ) -> (Called<FindContactResponse>, Option<Value>) {
        let q = [
            ("phoneNumber", phone_number.to_owned()),
            ("overridingFormat", overriding_format.to_owned()),
            ("isExtension", is_extension.to_string()),
        ];
        let (method, path, secrets) = (Method::GET, "contact", Secrets::default());
        let usual = FindContactResponse::from_usual;
        self.call_with(
            method,
            path,
            &q,
            Body::None,
            true,
            secrets,
            Record::Lean,
            usual,
        )
        .await
    }

    /// `GET /custom/contact/search?name=`: the client's "Search contacts" row (`useContactSearch`).
    pub async fn search_contacts(&self, name: &str) -> Called<FindContactResponse> {
        let (q, get) = ([("name", name.to_owned())], Method::GET);
        let path = "custom/contact/search";
        self.call(get, path, &q, Body::None, true, Secrets::default())
            .await
    }

    /// `POST /contact`.
    #[tracing::instrument(skip(self, request), fields(phone = %request.phone_number))]
    pub async fn create_contact(
        &self,
        request: &CreateContactRequest,
    ) -> Called<CreateContactResponse> {
        let body = serde_json::to_value(request).unwrap_or(Value::Null);
        let mut called: Called<CreateContactResponse> = self
            .call(
                Method::POST,
                "contact",
                &[],
                Body::Json(&body),
                true,
                Secrets::default(),
            )
            .await;
        called.result = called.result.and_then(|r| match &r.contact {
            Some(c) if !c.id.is_empty() => Ok(r),
            _ => Err(ClientError::BadResponse {
                reason: "the create answer has no contact with an id".to_owned(),
            }),
        });
        called
    }

    /// `POST /callLog`.
    #[tracing::instrument(skip(self, request), fields(session = %request.log_info.session_id))]
    pub async fn create_call_log(&self, request: &CallLogRequest) -> Called<CallLogResponse> {
        let body = serde_json::to_value(request).unwrap_or(Value::Null);
        self.call(
            Method::POST,
            "callLog",
            &[],
            Body::Json(&body),
            true,
            Secrets::default(),
        )
        .await
    }

    /// `GET /callLog?sessionIds=`: at most five ids, as the server processes no more.
    #[tracing::instrument(skip(self))]
    pub async fn get_call_logs(&self, session_ids: &[String]) -> Called<CallLogLookupResponse> {
        if session_ids.len() > MAX_SESSION_IDS {
            return Called {
                exchange: Exchange {
                    method: "GET".into(),
                    url: redact::url(self.url("callLog").as_str()),
                    request_headers: Vec::new(),
                    request_body: None,
                    status: None,
                    response_headers: Vec::new(),
                    response_body: None,
                    elapsed_ms: 0,
                    refreshed_token: false,
                },
                result: Err(ClientError::Invalid(format!(
                    "At most {MAX_SESSION_IDS} session ids per lookup; {} were given.",
                    session_ids.len()
                ))),
                refreshed_jwt: None,
            };
        }
        let q = [("sessionIds", session_ids.join(","))];
        self.call(
            Method::GET,
            "callLog",
            &q,
            Body::None,
            true,
            Secrets::default(),
        )
        .await
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn snippet(text: &str) -> String {
    let t = text.trim();
    let mut s: String = t.chars().take(200).collect();
    if t.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// A body as the exchange records it: masked, then cut to `MAX_RECORDED_BODY` (masking first, so
/// a cut never leaves half a secret). `partial` marks a body whose reading stopped early.
fn recorded_body(bytes: &[u8], secrets: &Secrets, partial: bool) -> String {
    // A partial body is never parsed, so only what can be shown is decoded (with room for a
    // secret that straddles the cut, so that it is masked whole).
    let bytes = if partial {
        &bytes[..bytes.len().min(MAX_RECORDED_BODY + 4096)]
    } else {
        bytes
    };
    let text = String::from_utf8_lossy(bytes);
    let shown = if partial {
        secrets.text(&text)
    } else {
        secrets.body(&text)
    };
    let mut shown = cut_record(shown);
    if partial {
        shown.push_str("\n… (incomplete: reading stopped here)");
    }
    shown
}

/// The record's text of a JSON answer a lean call gave back ([`AppConnectClient::find_contact_lean`]),
/// the same text `find_contact` would have recorded.
pub fn shown_body(shown: &Value) -> String {
    cut_record(serde_json::to_string_pretty(shown).unwrap_or_else(|_| shown.to_string()))
}

/// Cuts a shown body to `MAX_RECORDED_BODY`.
fn cut_record(mut shown: String) -> String {
    if shown.len() > MAX_RECORDED_BODY {
        let mut cut = MAX_RECORDED_BODY;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push_str("\n… (cut)");
    }
    shown
}

/// `Retry-After` in words: `30 s` for a number of seconds, else the date as the server wrote it.
fn retry_after(value: &str) -> String {
    let v = value.trim();
    match v.parse::<u64>() {
        Ok(secs) => format!("{secs} s"),
        Err(_) => v.chars().take(64).collect(),
    }
}

/// The `<title>` of an HTML page, if it has a short one.
fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower.get(start..)?.find("</title>")?;
    let title = html.get(start..end)?.trim();
    (!title.is_empty()).then(|| snippet(title))
}

fn looks_like_html(raw: &Raw) -> bool {
    raw.content_type
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
        || raw.text.trim_start().starts_with('<')
}

/// What serde_json's parse error means to a person; nesting past its recursion limit is named
/// (and not quoted: the start of such a body is only brackets).
fn json_problem(status: u16, e: &serde_json::Error, body: &str) -> String {
    let why = e.to_string();
    if why.contains("recursion limit") {
        format!("HTTP {status} with JSON nested deeper than Switchboard reads (more than 128 levels; {why})")
    } else {
        format!(
            "HTTP {status} with a body that is not JSON ({why}): {}",
            snippet(body)
        )
    }
}

/// [`decode`] of an answer parsed as `v`, giving `v` back (for the lean record) with the same
/// result. A 2xx answer that is not a rejection (the usual one) is decoded into `T` from `&v`,
/// which is what `from_value` makes of a copy, without the copy.
fn decode_keeping<T: DeserializeOwned>(
    mut raw: Raw,
    v: Value,
    usual: fn(&Value) -> Option<T>,
) -> (Result<T, ClientError>, Value) {
    let plain_success = (200..=299).contains(&raw.status)
        && raw.not_utf8.is_none()
        && v.get("successful") != Some(&Value::Bool(false));
    if plain_success {
        if let Some(typed) = usual(&v) {
            return (Ok(typed), v);
        }
        let typed =
            <T as serde::Deserialize>::deserialize(&v).map_err(|e| ClientError::BadResponse {
                reason: format!("unexpected shape: {e}"),
            });
        return (typed, v);
    }
    raw.json = Some(Ok(v.clone()));
    (decode(raw), v)
}

/// Maps a status and body to a result, the way the real client reads them (SPEC §2).
fn decode<T: DeserializeOwned>(raw: Raw) -> Result<T, ClientError> {
    match raw.status {
        429 => {
            return Err(ClientError::RateLimited {
                retry_after: raw.retry_after.as_deref().map(retry_after),
            })
        }
        502..=504 if looks_like_html(&raw) => {
            return Err(ClientError::Gateway {
                status: raw.status,
                title: html_title(&raw.text),
            })
        }
        _ => {}
    }
    if let Some(why) = &raw.not_utf8 {
        return Err(ClientError::BadResponse {
            reason: format!("HTTP {} with a body that is not text: {why}", raw.status),
        });
    }
    let parsed: Result<Value, _> = match raw.json {
        Some(parsed) => parsed,
        None => serde_json::from_str(&raw.text),
    };
    match (raw.status, parsed) {
        (200..=299, Ok(v)) => {
            if v.get("successful") == Some(&Value::Bool(false)) {
                let return_message: Option<ReturnMessage> = v
                    .get("returnMessage")
                    .and_then(|m| serde_json::from_value(m.clone()).ok());
                return Err(ClientError::Rejected {
                    message: return_message.as_ref().and_then(|m| m.message.clone()),
                    return_message: return_message.map(Box::new),
                });
            }
            serde_json::from_value(v).map_err(|e| ClientError::BadResponse {
                reason: format!("unexpected shape: {e}"),
            })
        }
        (200..=299, Err(e)) => Err(ClientError::BadResponse {
            reason: json_problem(raw.status, &e, &raw.text),
        }),
        (401, Ok(v)) => Err(ClientError::Unauthorized {
            message: v
                .pointer("/returnMessage/message")
                .and_then(Value::as_str)
                .or_else(|| v.get("errorCode").and_then(Value::as_str))
                .unwrap_or("HTTP 401")
                .to_owned(),
        }),
        (400, Ok(v)) if v.get("returnMessage").is_some() => {
            let return_message: Option<ReturnMessage> = v
                .get("returnMessage")
                .and_then(|m| serde_json::from_value(m.clone()).ok());
            Err(ClientError::Rejected {
                message: return_message.as_ref().and_then(|m| m.message.clone()),
                return_message: return_message.map(Box::new),
            })
        }
        (status, Ok(v)) => Err(ClientError::ServerError {
            status,
            detail: v
                .get("error")
                .map(|e| {
                    e.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| e.to_string())
                })
                .unwrap_or_else(|| snippet(&v.to_string())),
        }),
        // The framework answers a missing or bad token with 400 and plain text.
        (400 | 401, Err(_)) => Err(ClientError::Unauthorized {
            message: snippet(&raw.text),
        }),
        (status, Err(_)) => Err(ClientError::ServerError {
            status,
            detail: snippet(&raw.text),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, text: &str) -> Raw {
        Raw::new(status, text)
    }

    #[test]
    fn successful_false_is_a_rejection_carrying_the_message() {
        let e = decode::<FindContactResponse>(raw(
            200,
            r#"{"successful":false,"returnMessage":{"message":"Extension numbers are not supported","messageType":"warning","ttl":3000}}"#,
        ))
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Rejected);
        assert_eq!(e.return_message().and_then(|m| m.ttl), Some(3000));
        assert!(e.to_string().contains("Extension numbers"));
    }

    #[test]
    fn plain_text_400_means_the_session_is_missing_or_bad() {
        let e = decode::<Value>(raw(400, "Please go to Settings and authorize CRM platform"))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        assert!(e.to_string().contains("authorize CRM platform"));
    }

    #[test]
    fn revoked_session_401_and_crash_400_are_distinct() {
        let revoked = decode::<Value>(raw(
            401,
            r#"{"successful":false,"returnMessage":{"message":"Session revoked"},"errorCode":"CRM_SESSION_REVOKED"}"#,
        ))
        .unwrap_err();
        assert_eq!(revoked.code(), ErrorCode::Unauthorized);
        let crash =
            decode::<Value>(raw(400, r#"{"error":"TypeError: x is undefined"}"#)).unwrap_err();
        assert_eq!(crash.code(), ErrorCode::BadResponse);
        assert!(crash.to_string().contains("TypeError"));
    }

    #[test]
    fn non_json_success_is_a_bad_response_naming_the_body() {
        let e = decode::<Value>(raw(200, "<html>oops</html>")).unwrap_err();
        assert!(matches!(e, ClientError::BadResponse { .. }));
        assert!(e.to_string().contains("inspector"));
    }

    #[test]
    fn rate_limits_name_retry_after_and_gateway_pages_name_the_gateway() {
        let mut r = raw(429, r#"{"error":"slow down"}"#);
        r.retry_after = Some("30".into());
        let e = decode::<Value>(r).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The connector server is rate-limiting (HTTP 429); retry after 30 s."
        );
        let e = decode::<Value>(raw(429, "")).unwrap_err();
        assert!(e.to_string().contains("no Retry-After"), "{e}");

        let mut r = raw(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        );
        r.content_type = Some("text/html".into());
        let e = decode::<Value>(r).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "A gateway in front of the connector answered HTTP 502 with an HTML page (502 Bad Gateway)"
            ) && e.to_string().contains("connector process is up behind it"),
            "{e}"
        );
        let e = decode::<Value>(raw(503, r#"{"error":"draining"}"#)).unwrap_err();
        assert!(
            matches!(e, ClientError::ServerError { status: 503, .. }),
            "a JSON 503 is the connector's own answer: {e:?}"
        );
    }

    #[test]
    fn bodies_that_are_not_utf8_or_nest_too_deep_are_bad_responses() {
        let mut r = raw(200, "{\"a\":\"\u{FFFD}\"}");
        r.not_utf8 = Some("byte 0xFF at offset 6 is not UTF-8, and JSON must be UTF-8".into());
        let e = decode::<Value>(r).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadResponse);
        assert!(e.to_string().contains("not UTF-8"), "{e}");

        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = decode::<Value>(raw(200, &deep)).unwrap_err();
        assert!(e.to_string().contains("nested deeper"), "{e}");
    }

    #[test]
    fn sizes_read_as_a_person_writes_them() {
        assert_eq!(human_bytes(DEFAULT_MAX_BODY as u64), "5 MiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 + 200 * 1024), "5.2 MiB");
        assert_eq!(human_bytes(2048), "2 KiB");
        assert_eq!(human_bytes(1), "1 byte");
    }

    #[test]
    fn secret_values_are_masked_in_any_encoding_and_json_stays_json() {
        let secrets = Secrets::default()
            .with("s3cr et\"x")
            .with("12345678")
            .with("abc");
        let body =
            secrets.body(r#"{"echo":"bad key s3cr et\"x","n":12345678,"s3cr et\"x":1,"ok":"abc"}"#);
        let v: Value = serde_json::from_str(&body).expect("still JSON");
        assert_eq!(v["echo"], "bad key <redacted>");
        assert_eq!(v["n"], "<redacted>");
        assert_eq!(v["<redacted>"], 1, "keys are masked too");
        assert_eq!(v["ok"], "abc", "values shorter than 4 are left alone");
        assert_eq!(
            secrets.text("q=s3cr+et%22x&r=s3cr%20et%22x"),
            "q=<redacted>&r=<redacted>"
        );
    }

    #[test]
    fn curl_keeps_the_redactions_and_quotes_for_the_shell() {
        let ex = Exchange {
            method: "POST".into(),
            url: "http://127.0.0.1:1/contact?jwtToken=<redacted>".into(),
            request_headers: vec![("authorization".into(), "<redacted>".into())],
            request_body: Some(r#"{"newContactName": "O'Brien"}"#.into()),
            status: Some(200),
            response_headers: Vec::new(),
            response_body: None,
            elapsed_ms: 1,
            refreshed_token: false,
        };
        assert_eq!(
            ex.to_curl(),
            r#"curl -X POST 'http://127.0.0.1:1/contact?jwtToken=<redacted>' -H 'authorization: <redacted>' --data-raw '{"newContactName": "O'\''Brien"}'"#
        );
    }

    #[test]
    fn bad_server_urls_are_refused_with_an_example() {
        let e = AppConnectClient::new("localhost:6066", "x", None).unwrap_err();
        assert!(e.to_string().contains("http://localhost:6066"), "{e}");
        assert!(AppConnectClient::new("http://localhost:6066/", "x", None).is_ok());
    }

    /// A loopback server answering every request with `status` and `body`, then closing.
    async fn answering(status: u16, body: String) -> String {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = crate::test_http::read_request(&mut stream).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn a_lean_lookup_gives_what_a_recorded_one_shows() {
        let token = "session-token-1234";
        let contact = r#"{"id":"1","name":"Ada","phone":"+14155550100","additionalInfo":{"apiKey":"k-123456"}}"#;
        let big = format!(
            r#"{{"successful":true,"contact":[{}]}}"#,
            vec![contact; 200].join(",")
        );
        let answers = [
            (
                200,
                format!(r#"{{"successful":true,"contact":[{contact}],"echo":"{token}"}}"#),
            ),
            (
                200,
                r#"{"successful":true,"returnMessage":{"message":"none","messageType":"warning"}}"#
                    .to_owned(),
            ),
            (
                200,
                r#"{"successful":false,"returnMessage":{"message":"no"}}"#.to_owned(),
            ),
            (200, "not json".to_owned()),
            // A field written twice: what the parsed value holds (the last one) decides.
            (
                200,
                format!(r#"{{"successful":true,"contact":[],"contact":[{contact}]}}"#),
            ),
            (
                200,
                r#"{"successful":true,"contact":{"id":"2","name":"Lone"}}"#.to_owned(),
            ),
            (200, r#"{"successful":"yes","contact":[]}"#.to_owned()),
            (500, r#"{"error":"TypeError: x is undefined"}"#.to_owned()),
            (200, big),
        ];
        for (status, body) in answers {
            let url = answering(status, body.clone()).await;
            let client = AppConnectClient::new(&url, "sandbox", None).unwrap();
            client.set_jwt(Some(Sensitive::new(token.to_owned())));
            let full = client.find_contact("+14155550100", "", false).await;
            let (mut lean, shown) = client.find_contact_lean("+14155550100", "", false).await;
            assert_eq!(
                shown.is_some(),
                !body.starts_with("not") && body.len() <= LEAN_MAX,
                "{body}"
            );
            let lints = match &shown {
                Some(v) => {
                    let lints = crate::lint::for_json(&lean.exchange, v, None);
                    // What a batch runs on a lean lookup's answer.
                    assert_eq!(crate::lint::find_contact(v, None), lints, "{body}");
                    lints
                }
                None => crate::lint::for_exchange(&lean.exchange, None),
            };
            let ok = (200..300).contains(&status);
            let toast = match &shown {
                Some(v) => crate::flow::lookup_toast_for(ok.then_some(v), &lean.result),
                None => crate::flow::lookup_toast(&lean.exchange, &lean.result),
            };
            assert_eq!(
                lints,
                crate::lint::for_exchange(&full.exchange, None),
                "{body}"
            );
            assert_eq!(
                toast,
                crate::flow::lookup_toast(&full.exchange, &full.result)
            );
            assert_eq!(format!("{:?}", lean.result), format!("{:?}", full.result));
            if let Some(v) = &shown {
                assert_eq!(lean.exchange.response_body, None);
                lean.exchange.response_body = Some(shown_body(v));
            }
            lean.exchange.elapsed_ms = full.exchange.elapsed_ms;
            assert_eq!(lean.exchange, full.exchange, "{body}");
            let recorded = full.exchange.response_body.unwrap_or_default();
            assert!(
                !recorded.contains(token) && !recorded.contains("k-123456"),
                "{recorded}"
            );
        }
    }

    /// JSON-ish text: real tokens of App Connect answers in any order, so the decoder sees near
    /// misses (unbalanced braces, wrong types, stray keys) as well as valid answers.
    fn jsonish() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let token = prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"successful\"",
            "\"contact\"",
            "\"returnMessage\"",
            "\"message\"",
            "\"messageType\"",
            "\"ttl\"",
            "\"id\"",
            "\"name\"",
            "\"logs\"",
            "\"error\"",
            "true",
            "false",
            "null",
            "0",
            "-1",
            "1e400",
            "\"x\"",
            "\"\\u0000\"",
        ]);
        prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn decoding_any_status_and_body_never_panics(
            status in 100u16..600,
            body in proptest::prop_oneof![jsonish(), ".{0,120}"],
        ) {
            // Every result is fine; a panic is the failure.
            let _ = decode::<FindContactResponse>(raw(status, &body));
            let _ = decode::<CreateContactResponse>(raw(status, &body));
            let _ = decode::<CallLogLookupResponse>(raw(status, &body));
            let _ = decode::<Value>(raw(status, &body));
        }

        #[test]
        fn a_valid_find_answer_decodes_to_what_was_sent(
            ids in proptest::collection::vec("[a-z0-9]{1,8}", 0..5),
        ) {
            let contact: Vec<Value> = ids.iter().map(|id| serde_json::json!({"id": id, "name": id})).collect();
            let body = serde_json::json!({"successful": true, "contact": contact}).to_string();
            let r = decode::<FindContactResponse>(raw(200, &body)).unwrap();
            let got: Vec<String> = r.contact.iter().map(|c| c.id.clone()).collect();
            proptest::prop_assert_eq!(got, ids);
        }
    }
}
