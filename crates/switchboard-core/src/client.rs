//! The App Connect HTTP client: Switchboard plays the browser extension's part against a connector
//! server, with the exact parameter names and encodings of SPEC §2.
//!
//! Every call returns its raw exchange (redacted) beside the decoded result, so the inspector can
//! show what went over the wire even when the call failed.

use std::sync::Mutex;
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

/// Used when the manifest gives no `requestConfig.timeout`.
pub const DEFAULT_TIMEOUT: Duration = crate::manifest::DEFAULT_REQUEST_TIMEOUT;
/// The server processes at most this many session ids per `GET /callLog`.
pub const MAX_SESSION_IDS: usize = 5;
/// Bodies longer than this are cut in the exchange record (the UI is not a hex dump).
const MAX_RECORDED_BODY: usize = 256 * 1024;

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
    #[error("The connector server at {url} did not answer within {secs} s. Check the server's logs, or raise requestConfig.timeout in the manifest.")]
    Timeout { url: String, secs: u64 },
    #[error("The server refused the session ({message}). Sign in again.")]
    Unauthorized { message: String },
    #[error("The connector said no: {}", .message.as_deref().unwrap_or("successful was false, with no returnMessage"))]
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
}

impl ClientError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unreachable { .. } => ErrorCode::ServerUnreachable,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Unauthorized { .. } => ErrorCode::Unauthorized,
            Self::Rejected { .. } => ErrorCode::Rejected,
            Self::ServerError { .. } | Self::BadResponse { .. } => ErrorCode::BadResponse,
            Self::NotSignedIn { .. } => ErrorCode::NotSignedIn,
            Self::Invalid(_) => ErrorCode::Internal,
        }
    }

    /// The connector's own message, when it sent one.
    pub fn return_message(&self) -> Option<&ReturnMessage> {
        match self {
            Self::Rejected { return_message, .. } => return_message.as_deref(),
            _ => None,
        }
    }
}

impl From<ClientError> for UserError {
    fn from(e: ClientError) -> Self {
        UserError::new(e.code(), e.to_string())
    }
}

/// Turns a transport error into words a person can act on.
pub fn describe_transport_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut reason = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    if reason.contains("Connection refused") {
        "connection refused (nothing is listening there)".to_owned()
    } else {
        reason
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
    http: reqwest::Client,
    base: Url,
    platform: String,
    timeout: Duration,
    token_style: TokenStyle,
    jwt: Mutex<Option<Sensitive<String>>>,
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
    text: String,
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
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Invalid(format!("could not set up HTTP: {e}")))?;
        Ok(Self {
            http,
            base,
            platform: platform.to_owned(),
            timeout,
            token_style: TokenStyle::Query,
            jwt: Mutex::new(None),
        })
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

    pub fn set_jwt(&self, jwt: Option<Sensitive<String>>) {
        *self.jwt.lock().unwrap_or_else(|p| p.into_inner()) = jwt;
    }

    pub fn jwt(&self) -> Option<Sensitive<String>> {
        self.jwt.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn require_jwt(&self) -> Result<Sensitive<String>, ClientError> {
        self.jwt().ok_or_else(|| ClientError::NotSignedIn {
            platform: self.platform.clone(),
        })
    }

    fn url(&self, path: &str) -> Url {
        // `path` is one of our fixed route names, so joining cannot fail on a valid base.
        self.base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.base.clone())
    }

    /// Sends one request and records it. `jwt` is added the way `token_style` says.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        jwt: Option<&Sensitive<String>>,
    ) -> (
        Exchange,
        Result<Raw, ClientError>,
        Option<Sensitive<String>>,
    ) {
        let mut url = self.url(path);
        {
            let mut pairs = url.query_pairs_mut();
            if let (Some(token), TokenStyle::Query) = (jwt, self.token_style) {
                pairs.append_pair("jwtToken", token.expose());
            }
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        // `query_pairs_mut` leaves an empty `?` when nothing was appended.
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut request_headers = vec![("accept".to_owned(), "application/json".to_owned())];
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .header("accept", "application/json");
        if let (Some(token), TokenStyle::Bearer) = (jwt, self.token_style) {
            req = req.header("authorization", format!("Bearer {}", token.expose()));
            request_headers.push(("authorization".to_owned(), redact::REDACTED.to_owned()));
        }
        let request_body = match body {
            Body::None => None,
            Body::Json(v) => {
                req = req.json(v);
                request_headers.push(("content-type".to_owned(), "application/json".to_owned()));
                Some(redact::body(&v.to_string()))
            }
        };
        let mut exchange = Exchange {
            method: method.to_string(),
            url: redact::url(url.as_str()),
            request_headers,
            request_body,
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            elapsed_ms: 0,
            refreshed_token: false,
        };
        let started = Instant::now();
        let sent = req.send().await;
        let result = match sent {
            Err(e) => {
                exchange.elapsed_ms = elapsed_ms(started);
                let err = if e.is_timeout() {
                    ClientError::Timeout {
                        url: exchange.url.clone(),
                        secs: self.timeout.as_secs(),
                    }
                } else {
                    ClientError::Unreachable {
                        url: self.server_url().to_owned(),
                        reason: describe_transport_error(&e),
                    }
                };
                return (exchange, Err(err), None);
            }
            Ok(resp) => resp,
        };
        let status = result.status().as_u16();
        exchange.status = Some(status);
        let mut refreshed = None;
        for (name, value) in result.headers() {
            let v = value.to_str().unwrap_or("<binary>");
            if name.as_str().eq_ignore_ascii_case("x-refreshed-jwt-token") && !v.is_empty() {
                refreshed = Some(Sensitive::new(v.to_owned()));
            }
            exchange
                .response_headers
                .push((name.as_str().to_owned(), redact::header(name.as_str(), v)));
        }
        exchange.refreshed_token = refreshed.is_some();
        let text = match result.text().await {
            Ok(t) => t,
            Err(e) => {
                exchange.elapsed_ms = elapsed_ms(started);
                let err = if e.is_timeout() {
                    ClientError::Timeout {
                        url: exchange.url.clone(),
                        secs: self.timeout.as_secs(),
                    }
                } else {
                    ClientError::BadResponse {
                        reason: format!(
                            "the body could not be read: {}",
                            describe_transport_error(&e)
                        ),
                    }
                };
                return (exchange, Err(err), refreshed);
            }
        };
        exchange.elapsed_ms = elapsed_ms(started);
        let mut shown = redact::body(&text);
        if shown.len() > MAX_RECORDED_BODY {
            let mut cut = MAX_RECORDED_BODY;
            while !shown.is_char_boundary(cut) {
                cut -= 1;
            }
            shown.truncate(cut);
            shown.push_str("\n… (cut)");
        }
        exchange.response_body = Some(shown);
        if let Some(token) = &refreshed {
            self.set_jwt(Some(token.clone()));
        }
        (exchange, Ok(Raw { status, text }), refreshed)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        authed: bool,
    ) -> Called<T> {
        let jwt = if authed {
            match self.require_jwt() {
                Ok(t) => Some(t),
                Err(e) => {
                    return Called {
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
                    }
                }
            }
        } else {
            None
        };
        let (exchange, raw, refreshed_jwt) =
            self.send(method, path, query, body, jwt.as_ref()).await;
        let result = raw.and_then(decode::<T>);
        Called {
            exchange,
            result,
            refreshed_jwt,
        }
    }

    /// `GET /isAlive`: true when the server answers `OK`.
    #[tracing::instrument(skip(self))]
    pub async fn is_alive(&self) -> Called<bool> {
        let (exchange, raw, refreshed_jwt) = self
            .send(Method::GET, "isAlive", &[], Body::None, None)
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
        self.call(Method::GET, "implementedInterfaces", &q, Body::None, false)
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
        let called: Called<LoginResponse> = self
            .call(Method::POST, "apiKeyLogin", &[], Body::Json(&body), false)
            .await;
        self.keep_session(called, "login")
    }

    /// A sign-in answer must carry a session token; keep it for later calls.
    fn keep_session(&self, mut called: Called<LoginResponse>, what: &str) -> Called<LoginResponse> {
        called.result = called.result.and_then(|r| {
            if r.jwt_token.is_empty() {
                Err(ClientError::BadResponse {
                    reason: format!("the {what} answer has no jwtToken"),
                })
            } else {
                Ok(r)
            }
        });
        if let Ok(r) = &called.result {
            self.set_jwt(Some(Sensitive::new(r.jwt_token.clone())));
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
        let called: Called<LoginResponse> = self
            .call(Method::GET, "oauth-callback", &q, Body::None, false)
            .await;
        self.keep_session(called, "OAuth callback")
    }

    /// `GET /authValidation`.
    pub async fn auth_validation(&self) -> Called<Value> {
        self.call(Method::GET, "authValidation", &[], Body::None, true)
            .await
    }

    /// `POST /unAuthorize`; forgets the session token whatever the answer.
    pub async fn unauthorize(&self) -> Called<Value> {
        let called = self
            .call(Method::POST, "unAuthorize", &[], Body::None, true)
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
        self.call(Method::GET, "contact", &q, Body::None, true)
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
            .call(Method::POST, "contact", &[], Body::Json(&body), true)
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
        self.call(Method::POST, "callLog", &[], Body::Json(&body), true)
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
        self.call(Method::GET, "callLog", &q, Body::None, true)
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

/// Maps a status and body to a result, the way the real client reads them (SPEC §2).
fn decode<T: DeserializeOwned>(raw: Raw) -> Result<T, ClientError> {
    let parsed: Result<Value, _> = serde_json::from_str(&raw.text);
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
            reason: format!(
                "HTTP {} with a body that is not JSON ({e}): {}",
                raw.status,
                snippet(&raw.text)
            ),
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
        Raw {
            status,
            text: text.to_owned(),
        }
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
}
