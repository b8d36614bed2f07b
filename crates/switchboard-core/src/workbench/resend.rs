//! The inspector's Resend and Edit and resend: a recorded request sent again, as recorded or with
//! its query and JSON body edited. The recording is redacted, so the session token is put back
//! here, at send time, from the client in use: a `jwtToken` parameter (shown as `<redacted>`) stands
//! for it. A request is only resent to the server the app talks to now, which is the server its
//! session was issued by (see `binding.rs`): a token never reaches another server, whatever URL a
//! front end names. Any other `<redacted>` value (an API key, an OAuth code) is refused: those are
//! not kept, and sending the marker would only confuse the server.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::view::Recorded;
use super::{Clock, Result, Target, Workbench};
use crate::error::{ErrorCode, UserError};
use crate::keychain::SecretStore;
use crate::redact::REDACTED;

/// The query parameter that carries the session in App Connect.
const TOKEN_PARAM: &str = "jwtToken";

/// A request to send again.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ResendRequest {
    pub method: String,
    /// The URL as recorded: it names the server and the route. Its query is sent unless `query`
    /// is given.
    pub url: String,
    /// The query to send instead, in order. A `jwtToken` pair stands for the session token, which
    /// is added at send time; leave it out to send no token.
    #[serde(default)]
    #[ts(optional)]
    pub query: Option<Vec<(String, String)>>,
    /// The JSON body to send; none or blank sends no body.
    #[serde(default)]
    pub body: Option<String>,
}

/// What a resend did: the new history entry, and why it failed if it did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ResendView {
    pub recorded: Recorded,
    pub error: Option<UserError>,
}

/// A checked resend: what goes out, minus the token.
#[derive(Debug, PartialEq)]
struct Plan {
    method: String,
    route: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    with_session: bool,
}

fn invalid(message: impl Into<String>) -> UserError {
    UserError::new(ErrorCode::InvalidInput, message)
}

/// `scheme://host:port` of a URL, as a person reads it.
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Checks a resend against the server in use (`server_url`) and turns it into a plan.
fn plan(server_url: &str, request: &ResendRequest) -> Result<Plan> {
    let method = request.method.trim().to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
        return Err(invalid(format!(
            "\"{}\" is not a method Switchboard resends; use GET, POST, PUT, PATCH or DELETE.",
            request.method
        )));
    }
    let url = Url::parse(request.url.trim())
        .map_err(|e| invalid(format!("\"{}\" is not a URL ({e}).", request.url)))?;
    let base = Url::parse(&format!("{}/", server_url.trim_end_matches('/')))
        .map_err(|e| invalid(format!("The server in use has no usable URL ({e}).")))?;
    let same_server = url.scheme() == base.scheme()
        && url.host_str().map(str::to_ascii_lowercase)
            == base.host_str().map(str::to_ascii_lowercase)
        && url.port_or_known_default() == base.port_or_known_default();
    let route = url.path().strip_prefix(base.path()).filter(|_| same_server);
    let Some(route) = route else {
        return Err(invalid(format!(
            "This request went to {}{}, but the app now talks to {server_url}. Requests are only resent to the server in use, so a session never reaches a server that did not issue it; switch back to that server to resend it.",
            origin(&url),
            url.path(),
        )));
    };
    let mut query: Vec<(String, String)> = match &request.query {
        Some(q) => q.clone(),
        None => url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
    };
    let before = query.len();
    query.retain(|(k, _)| k != TOKEN_PARAM);
    let with_session = query.len() != before;
    if let Some((k, _)) = query
        .iter()
        .find(|(k, v)| k.contains(REDACTED) || v.contains(REDACTED))
    {
        return Err(invalid(format!(
            "The query parameter \"{k}\" holds {REDACTED}: a secret was there and Switchboard does not keep it. Type the value, or remove the parameter, then resend."
        )));
    }
    let body = match request.body.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let value: Value = serde_json::from_str(text).map_err(|e| {
                invalid(format!(
                    "The body is not JSON (line {}, column {}: {e}); App Connect requests carry JSON bodies.",
                    e.line(),
                    e.column()
                ))
            })?;
            if text.contains(REDACTED) {
                return Err(invalid(format!(
                    "The body holds {REDACTED}: a secret (an API key, a code) was there and Switchboard does not keep it. Sign-in requests are made from the Sign in page; for others, type the value or remove it, then resend."
                )));
            }
            Some(value)
        }
    };
    Ok(Plan {
        method,
        route: route.to_owned(),
        query,
        body,
        with_session,
    })
}

impl<S: SecretStore + 'static, C: Clock> Workbench<S, C> {
    /// Sends a recorded request again, edited or not, to the server in use; the session token is
    /// added here when the query names `jwtToken`. The new exchange joins the history.
    pub async fn resend(&self, request: ResendRequest) -> Result<ResendView> {
        let target: Target = self.lock().await.target.clone();
        let plan = plan(target.client.server_url(), &request)?;
        // A request that carried the session needs one now: the same refusal as a lookup's.
        let target = if plan.with_session {
            self.session_target().await?
        } else {
            target
        };
        let called = target
            .client
            .resend(
                &plan.method,
                &plan.route,
                &plan.query,
                plan.body.as_ref(),
                plan.with_session,
            )
            .await;
        let mut s = self.lock().await;
        s.record(called.exchange, &target.platform);
        self.keep_refreshed(&mut s, &target, called.refreshed_jwt);
        let recorded =
            s.history.last().cloned().ok_or_else(|| {
                UserError::new(ErrorCode::Internal, "The resend was not recorded.")
            })?;
        Ok(ResendView {
            recorded,
            error: called.result.err().map(UserError::from),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::net::TcpListener;

    use super::*;
    use crate::cancel::{self, CancelToken};
    use crate::keychain::MemoryStore;
    use crate::profile::{Profile, Profiles};
    use crate::test_http::{answer_json, read_request};
    use crate::workbench::view::PhoneInput;
    use crate::workbench::{ManualClock, SignIn};

    /// A loopback connector that remembers what it received; a lookup of `HUNG` never answers.
    #[derive(Clone)]
    pub(crate) struct Server {
        pub url: String,
        seen: Arc<Mutex<Vec<crate::test_http::Request>>>,
    }

    impl Server {
        pub async fn start(name: &'static str) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let seen = Arc::new(Mutex::new(Vec::new()));
            let log = seen.clone();
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    let log = log.clone();
                    tokio::spawn(async move {
                        let Some(request) = read_request(&mut stream).await else {
                            return;
                        };
                        log.lock().unwrap().push(request.clone());
                        let path = request.target().split('?').next().unwrap_or("").to_owned();
                        let answer = match (request.method(), path.as_str()) {
                            ("POST", "/apiKeyLogin") => format!(
                                r#"{{"jwtToken":"token-of-{name}","name":"User of {name}","echo":"the key was sk-{name}-secret"}}"#
                            ),
                            ("GET", "/contact") if request.target().contains("%2B14155550199") => {
                                tokio::time::sleep(Duration::from_secs(60)).await;
                                return;
                            }
                            ("GET", "/contact") => format!(
                                r#"{{"successful":true,"contact":[{{"id":"c1","name":"Ada at {name}","type":"lead"}}],"debug":"token-of-{name}"}}"#
                            ),
                            _ => r#"{"successful":true}"#.to_owned(),
                        };
                        answer_json(&mut stream, &answer).await;
                    });
                }
            });
            Self { url, seen }
        }

        pub fn seen(&self) -> Vec<crate::test_http::Request> {
            self.seen.lock().unwrap().clone()
        }

        pub fn last_target(&self) -> String {
            self.seen()
                .last()
                .map(|r| r.target().to_owned())
                .unwrap_or_default()
        }
    }

    /// A number the test server never answers for.
    pub(crate) const HUNG: &str = "+14155550199";

    pub(crate) type Bench = Workbench<Arc<MemoryStore>, Arc<ManualClock>>;

    /// A workbench on a one-platform API-key manifest pointing at `server`, signed in with
    /// `sk-<name>-secret`.
    pub(crate) async fn signed_in(server: &Server, name: &str) -> (Bench, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let manifest = format!(
            r#"{{"serverUrl":"{}","platforms":{{"crm":{{"name":"crm","auth":{{"type":"apiKey","apiKey":{{"page":{{"content":[{{"const":"apiKey","title":"API key","type":"string","required":true}}]}}}}}},"contactTypes":[{{"display":"Lead","value":"lead"}}]}}}}}}"#,
            server.url
        );
        std::fs::write(&path, manifest).unwrap();
        let profiles = Profiles::in_memory(Profile {
            name: "Resend".into(),
            manifest: path.display().to_string(),
            ..Profile::default()
        })
        .unwrap();
        let wb = Workbench::new(
            profiles,
            Arc::new(MemoryStore::new()),
            Arc::new(ManualClock::at(1_790_000_000_000)),
            None,
            "test",
        );
        wb.open_profile().await;
        wb.sign_in(SignIn {
            fields: vec![("apiKey".into(), format!("sk-{name}-secret"))],
            hostname: None,
            remember: true,
        })
        .await
        .unwrap();
        (wb, dir)
    }

    pub(crate) fn phone(input: &str) -> PhoneInput {
        PhoneInput {
            input: input.into(),
            region: None,
            formats: vec![],
        }
    }

    #[tokio::test]
    async fn a_resend_puts_the_session_back_in_rust_and_is_recorded_redacted() {
        let a = Server::start("a").await;
        let (wb, _dir) = signed_in(&a, "a").await;
        wb.find_contact(&phone("+14155550100")).await.unwrap();
        let recorded = wb.history().await.last().cloned().unwrap();
        assert!(
            recorded.exchange.url.contains("jwtToken=<redacted>"),
            "{}",
            recorded.exchange.url
        );

        let again = wb
            .resend(ResendRequest {
                method: recorded.exchange.method.clone(),
                url: recorded.exchange.url.clone(),
                query: None,
                body: None,
            })
            .await
            .unwrap();
        assert_eq!(again.error, None);
        assert!(
            a.last_target().contains("jwtToken=token-of-a"),
            "the server got the real token: {}",
            a.last_target()
        );
        assert!(
            a.last_target().contains("phoneNumber=%2B14155550100"),
            "{}",
            a.last_target()
        );
        for shown in [
            &again.recorded.exchange.url,
            &again.recorded.curl,
            again.recorded.exchange.response_body.as_ref().unwrap(),
        ] {
            assert!(!shown.contains("token-of-a"), "never shown: {shown}");
        }
        assert_eq!(wb.history().await.len(), 3, "login, lookup and the resend");

        // Edited: another number, the token pair kept as the placeholder it is shown as.
        let edited = wb
            .resend(ResendRequest {
                method: "GET".into(),
                url: recorded.exchange.url.clone(),
                query: Some(vec![
                    ("jwtToken".into(), "<redacted>".into()),
                    ("phoneNumber".into(), "+16505550123".into()),
                    ("overridingFormat".into(), String::new()),
                ]),
                body: None,
            })
            .await
            .unwrap();
        assert!(
            edited
                .recorded
                .exchange
                .url
                .contains("phoneNumber=%2B16505550123"),
            "{}",
            edited.recorded.exchange.url
        );
        assert!(a.last_target().contains("jwtToken=token-of-a"));

        // Without the token pair, no token goes out.
        wb.resend(ResendRequest {
            method: "GET".into(),
            url: recorded.exchange.url.clone(),
            query: Some(vec![("phoneNumber".into(), "+16505550123".into())]),
            body: None,
        })
        .await
        .unwrap();
        assert!(!a.last_target().contains("jwtToken"), "{}", a.last_target());
    }

    #[tokio::test]
    async fn an_edited_body_is_sent_as_json_and_secrets_left_as_markers_are_refused() {
        let a = Server::start("a").await;
        let (wb, _dir) = signed_in(&a, "a").await;
        let url = format!("{}/contact?jwtToken=<redacted>", a.url);
        let sent = wb
            .resend(ResendRequest {
                method: "post".into(),
                url: url.clone(),
                query: None,
                body: Some(r#"{"phoneNumber":"+14155550100","newContactName":"Edited"}"#.into()),
            })
            .await
            .unwrap();
        assert_eq!(sent.error, None);
        let last = a.seen().last().cloned().unwrap();
        assert_eq!(last.method(), "POST");
        let body: Value = serde_json::from_str(&last.body).unwrap();
        assert_eq!(body["newContactName"], "Edited");

        let count = a.seen().len();
        let login = wb.history().await[0].clone();
        assert!(login.exchange.url.ends_with("/apiKeyLogin"));
        let e = wb
            .resend(ResendRequest {
                method: login.exchange.method.clone(),
                url: login.exchange.url.clone(),
                query: None,
                body: login.exchange.request_body.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains("Sign in page"), "{}", e.message);
        let e = wb
            .resend(ResendRequest {
                method: "POST".into(),
                url: url.clone(),
                query: None,
                body: Some("{\"phoneNumber\": ".into()),
            })
            .await
            .unwrap_err();
        assert!(
            e.message.starts_with("The body is not JSON (line 1"),
            "{}",
            e.message
        );
        let e = wb
            .resend(ResendRequest {
                method: "GET".into(),
                url,
                query: Some(vec![("code".into(), "<redacted>".into())]),
                body: None,
            })
            .await
            .unwrap_err();
        assert!(e.message.contains("\"code\""), "{}", e.message);
        assert_eq!(a.seen().len(), count, "nothing refused reached the server");
    }

    #[tokio::test]
    async fn a_request_is_only_resent_to_the_server_in_use() {
        let a = Server::start("a").await;
        let b = Server::start("b").await;
        let (wb, _dir) = signed_in(&a, "a").await;
        wb.find_contact(&phone("+14155550100")).await.unwrap();
        let from_a = wb.history().await.last().cloned().unwrap();
        wb.set_server_url(&b.url).await.unwrap();
        wb.sign_in(SignIn {
            fields: vec![("apiKey".into(), "sk-b-secret".into())],
            hostname: None,
            remember: false,
        })
        .await
        .unwrap();
        let (a_count, b_count) = (a.seen().len(), b.seen().len());
        let e = wb
            .resend(ResendRequest {
                method: "GET".into(),
                url: from_a.exchange.url.clone(),
                query: None,
                body: None,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(
            e.message.contains(&format!("went to {}/contact", a.url))
                && e.message.contains(&format!("now talks to {}", b.url)),
            "{}",
            e.message
        );
        // Another host spelled into the URL is refused the same way, wherever it points.
        let e = wb
            .resend(ResendRequest {
                method: "GET".into(),
                url: "http://localhost.example:9/contact?jwtToken=x".into(),
                query: None,
                body: None,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(
            (a.seen().len(), b.seen().len()),
            (a_count, b_count),
            "neither server received anything"
        );

        // Back on A, A's request goes out with A's token only.
        wb.set_server_url("").await.unwrap();
        wb.resend(ResendRequest {
            method: "GET".into(),
            url: from_a.exchange.url,
            query: None,
            body: None,
        })
        .await
        .unwrap();
        assert!(a.last_target().contains("jwtToken=token-of-a"));
        assert!(b.seen().iter().all(|r| !r.target().contains("token-of-a")));
    }

    #[tokio::test]
    async fn signed_out_a_request_with_the_session_is_refused_before_sending() {
        let a = Server::start("a").await;
        let (wb, _dir) = signed_in(&a, "a").await;
        wb.sign_out().await.unwrap();
        let count = a.seen().len();
        let e = wb
            .resend(ResendRequest {
                method: "GET".into(),
                url: format!("{}/contact?jwtToken=<redacted>&phoneNumber=%2B1", a.url),
                query: None,
                body: None,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotSignedIn);
        assert_eq!(a.seen().len(), count);
    }

    /// Runs `work` in a cancel scope that is cancelled after `ms`.
    async fn cancelled_after<F: std::future::Future>(ms: u64, work: F) -> F::Output {
        let token = CancelToken::new();
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            t.cancel();
        });
        cancel::scope(token, work).await
    }

    #[tokio::test]
    async fn a_cancelled_lookup_ends_at_once_and_is_recorded_as_unanswered() {
        let a = Server::start("a").await;
        let (wb, _dir) = signed_in(&a, "a").await;
        let started = std::time::Instant::now();
        let view = cancelled_after(100, wb.find_contact(&phone(HUNG)))
            .await
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the cancel ended the wait"
        );
        let error = view.error.expect("a cancelled lookup has an error");
        assert_eq!(error.code, ErrorCode::Cancelled);
        assert!(
            error.message.contains("The request had been sent"),
            "{}",
            error.message
        );
        assert_eq!(view.exchange.status, None, "no answer is recorded as none");
        let last = wb.history().await.last().cloned().unwrap();
        assert_eq!(last.exchange.status, None);
        assert_eq!(last.exchange.response_body, None);
    }

    #[tokio::test]
    async fn a_cancelled_flow_step_leaves_the_flow_usable() {
        let a = Server::start("a").await;
        let (wb, _dir) = signed_in(&a, "a").await;
        let view = cancelled_after(100, wb.flow_start(&phone(HUNG)))
            .await
            .unwrap();
        assert_eq!(
            view.error.map(|e| e.code),
            Some(ErrorCode::Cancelled),
            "the step failed as cancelled"
        );
        // Not stuck "busy": the next flow starts and answers.
        let next = wb.flow_start(&phone("+14155550100")).await.unwrap();
        assert_eq!(next.error, None);
        // A cancel before anything is sent sends nothing.
        let count = a.seen().len();
        let token = CancelToken::new();
        token.cancel();
        let view = cancel::scope(token, wb.find_contact(&phone("+14155550100")))
            .await
            .unwrap();
        let error = view.error.unwrap();
        assert!(
            error.message.contains("nothing reached the server"),
            "{}",
            error.message
        );
        assert_eq!(a.seen().len(), count);
    }

    #[test]
    fn a_plan_keeps_the_route_under_a_path_prefix() {
        let p = plan(
            "http://Host:80/connector",
            &ResendRequest {
                method: "get".into(),
                url: "http://host/connector/contact?jwtToken=%3Credacted%3E&a=1".into(),
                query: None,
                body: None,
            },
        )
        .unwrap();
        assert_eq!(
            p,
            Plan {
                method: "GET".into(),
                route: "contact".into(),
                query: vec![("a".into(), "1".into())],
                body: None,
                with_session: true,
            }
        );
        let outside = plan(
            "http://host/connector",
            &ResendRequest {
                method: "GET".into(),
                url: "http://host/other/contact".into(),
                ..ResendRequest::default()
            },
        );
        assert!(
            outside.is_err(),
            "a path outside the server's prefix is another server"
        );
    }
}
