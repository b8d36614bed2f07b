//! How a request reaches the connector. An `https` server is reached through reqwest with the
//! process's shared TLS settings; a plain-`http` server (the usual development set-up: a connector
//! on localhost) through hyper directly, the HTTP/1.1 client reqwest itself runs on. reqwest
//! cannot build a client without TLS settings, and loading them costs ~45 ms of certificate
//! parsing that a loopback request never uses (docs/PERFORMANCE.md, "Command line").
//!
//! Both paths behave the same to the caller: no redirect is followed, the timeout covers the
//! whole exchange (head and body), connecting gives up after [`CONNECT_TIMEOUT`], and failures
//! come back as a [`Failure`] that says whether it was a timeout, a refused or failed connection,
//! or a broken exchange.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use http_body::Body as _;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::Instant;
use url::Url;

/// How long connecting may take before the server counts as unreachable.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an idle kept-alive connection is kept for the next request.
const POOL_IDLE: Duration = Duration::from_secs(90);
const USER_AGENT: &str = concat!("Switchboard/", env!("CARGO_PKG_VERSION"));

/// One request, as the client wants it sent.
pub(super) struct Outgoing {
    pub method: Method,
    pub url: Url,
    /// Header names are lower-case constants; values are the real ones (tokens included).
    pub headers: Vec<(&'static str, String)>,
    /// A JSON body, already serialized.
    pub body: Option<Vec<u8>>,
}

/// The way requests go out: chosen once per client from its server's scheme.
pub(super) enum Transport {
    Tls(reqwest::Client),
    Plain(Box<Client<HttpConnector, Full<Bytes>>>),
}

impl Transport {
    /// A transport for `https` servers: reqwest with the shared TLS settings.
    pub fn tls(timeout: Duration, tls: native_tls::TlsConnector) -> Result<Self, String> {
        reqwest::Client::builder()
            // A redirect is shown as the answer, never followed: following one re-sends the API
            // key or the session token to wherever `Location` points.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(USER_AGENT)
            .tls_backend_preconfigured(tls)
            .build()
            .map(Self::Tls)
            .map_err(|e| e.to_string())
    }

    /// A transport for plain-`http` servers: hyper's pooled HTTP/1.1 client, no TLS at all.
    pub fn plain() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE)
            .build(connector);
        Self::Plain(Box::new(client))
    }

    /// Sends `out`; the answer's head comes back, its body is read through [`Reply::chunk`].
    /// `timeout` covers the head and the body.
    pub async fn send(&self, out: Outgoing, timeout: Duration) -> Result<Reply, Failure> {
        match self {
            Self::Tls(client) => {
                let mut req = client.request(out.method, out.url);
                for (name, value) in out.headers {
                    req = req.header(name, value);
                }
                if let Some(body) = out.body {
                    req = req.body(body);
                }
                req.send()
                    .await
                    .map(Reply::Tls)
                    .map_err(|e| Failure::from_reqwest(&e))
            }
            Self::Plain(client) => {
                let deadline = Instant::now() + timeout;
                let uri: http::Uri = out
                    .url
                    .as_str()
                    .parse()
                    .map_err(|e| Failure::other(format!("the address cannot be sent: {e}")))?;
                let mut req = http::Request::builder().method(out.method).uri(uri);
                let headers = req.headers_mut().expect("a fresh builder has headers");
                headers.insert(
                    http::header::USER_AGENT,
                    HeaderValue::from_static(USER_AGENT),
                );
                for (name, value) in out.headers {
                    let value = HeaderValue::from_str(&value).map_err(|_| {
                        Failure::other(format!(
                            "the {name} header holds characters HTTP cannot carry"
                        ))
                    })?;
                    headers.insert(name, value);
                }
                let body = Full::new(Bytes::from(out.body.unwrap_or_default()));
                let req = req
                    .body(body)
                    .map_err(|e| Failure::other(format!("the request cannot be built: {e}")))?;
                match tokio::time::timeout_at(deadline, client.request(req)).await {
                    Err(_) => Err(Failure::timeout()),
                    Ok(Err(e)) => Err(Failure::from_hyper(&e)),
                    Ok(Ok(resp)) => Ok(Reply::Plain { resp, deadline }),
                }
            }
        }
    }
}

/// An answer whose head has arrived.
pub(super) enum Reply {
    Tls(reqwest::Response),
    Plain {
        resp: http::Response<hyper::body::Incoming>,
        deadline: Instant,
    },
}

impl Reply {
    pub fn status(&self) -> u16 {
        match self {
            Self::Tls(r) => r.status().as_u16(),
            Self::Plain { resp, .. } => resp.status().as_u16(),
        }
    }

    pub fn headers(&self) -> &HeaderMap {
        match self {
            Self::Tls(r) => r.headers(),
            Self::Plain { resp, .. } => resp.headers(),
        }
    }

    /// The body's length when the server declared it.
    pub fn content_length(&self) -> Option<u64> {
        match self {
            Self::Tls(r) => r.content_length(),
            Self::Plain { resp, .. } => resp.body().size_hint().exact(),
        }
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Failure> {
        match self {
            Self::Tls(r) => r.chunk().await.map_err(|e| Failure::from_reqwest(&e)),
            Self::Plain { resp, deadline } => loop {
                let frame = match tokio::time::timeout_at(*deadline, resp.body_mut().frame()).await
                {
                    Err(_) => return Err(Failure::timeout()),
                    Ok(None) => return Ok(None),
                    Ok(Some(Err(e))) => return Err(Failure::other(describe_chain(&e))),
                    Ok(Some(Ok(frame))) => frame,
                };
                // Trailers and empty pieces carry nothing for the record.
                if let Ok(data) = frame.into_data() {
                    if !data.is_empty() {
                        return Ok(Some(data));
                    }
                }
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Timeout,
    Connect,
    Other,
}

/// Why an exchange failed before a whole answer arrived, in words a person can act on.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    kind: Kind,
    reason: String,
}

impl Failure {
    fn timeout() -> Self {
        Self {
            kind: Kind::Timeout,
            reason: "no answer in time".to_owned(),
        }
    }

    fn other(reason: String) -> Self {
        Self {
            kind: Kind::Other,
            reason,
        }
    }

    pub(crate) fn from_reqwest(e: &reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            Kind::Timeout
        } else if e.is_connect() {
            Kind::Connect
        } else {
            Kind::Other
        };
        Self {
            kind,
            reason: describe_chain(e),
        }
    }

    fn from_hyper(e: &hyper_util::client::legacy::Error) -> Self {
        let kind = if e.is_connect() {
            Kind::Connect
        } else {
            Kind::Other
        };
        Self {
            kind,
            reason: describe_chain(e),
        }
    }

    pub fn is_timeout(&self) -> bool {
        self.kind == Kind::Timeout
    }

    pub fn is_connect(&self) -> bool {
        self.kind == Kind::Connect
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The innermost cause of an error (the outer ones only say "error sending request"), with a
/// refused connection said plainly.
pub(crate) fn describe_chain(e: &(dyn std::error::Error + 'static)) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_http::{answer_json, read_request};
    use tokio::net::TcpListener;

    /// A server that answers one JSON request and hands back what it received.
    async fn one_answer(body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let req = read_request(&mut stream).await.unwrap();
            answer_json(&mut stream, body).await;
            format!("{}{}", req.head, req.body)
        });
        (format!("127.0.0.1:{}", addr.port()), task)
    }

    fn outgoing(url: &str, body: Option<&str>) -> Outgoing {
        Outgoing {
            method: Method::POST,
            url: Url::parse(url).unwrap(),
            headers: vec![
                ("accept", "application/json".to_owned()),
                ("content-type", "application/json".to_owned()),
            ],
            body: body.map(|b| b.as_bytes().to_vec()),
        }
    }

    #[tokio::test]
    async fn plain_http_sends_the_head_and_body_the_client_built() {
        let (addr, seen) = one_answer(r#"{"ok":true}"#).await;
        let plain = Transport::plain();
        let out = outgoing(
            &format!("http://{addr}/contact?phoneNumber=%2B1"),
            Some(r#"{"a":1}"#),
        );
        let mut reply = plain.send(out, Duration::from_secs(5)).await.unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.content_length(), Some(11));
        let mut body = Vec::new();
        while let Some(chunk) = reply.chunk().await.unwrap() {
            body.extend_from_slice(&chunk);
        }
        assert_eq!(body, br#"{"ok":true}"#);
        let head = seen.await.unwrap().to_lowercase();
        assert!(
            head.starts_with("post /contact?phonenumber=%2b1 http/1.1"),
            "{head}"
        );
        for line in [
            format!("host: {addr}"),
            format!("user-agent: {}", USER_AGENT.to_lowercase()),
            "content-type: application/json".to_owned(),
            "content-length: 7".to_owned(),
        ] {
            assert!(head.contains(&line), "{line} missing in {head}");
        }
        assert!(head.ends_with(r#"{"a":1}"#), "{head}");
    }

    #[tokio::test]
    async fn an_https_address_goes_through_tls_and_never_in_plain_text() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // A server that speaks plain HTTP on the port: it keeps the first bytes it gets, answers
        // as a plain server would and hangs up.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let first = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 16];
            let n = stream.read(&mut buf).await.unwrap();
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            buf[..n].to_vec()
        });
        let tls = native_tls::TlsConnector::builder().build().unwrap();
        let transport = Transport::tls(Duration::from_secs(5), tls).unwrap();
        let out = outgoing(&format!("https://127.0.0.1:{port}/contact"), Some("{}"));
        let err = match transport.send(out, Duration::from_secs(5)).await {
            Ok(r) => panic!("a plain server answered {} over https", r.status()),
            Err(e) => e,
        };
        assert!(err.is_connect() && !err.is_timeout(), "{err:?}");
        let first = first.await.unwrap();
        // 0x16: a TLS handshake record (the client's hello), not "POST /contact".
        assert_eq!(first.first(), Some(&0x16), "{first:?}");
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_failure_said_plainly() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = match Transport::plain()
            .send(
                outgoing(&format!("http://127.0.0.1:{port}/"), None),
                Duration::from_secs(5),
            )
            .await
        {
            Ok(r) => panic!("a closed port answered {}", r.status()),
            Err(e) => e,
        };
        assert!(err.is_connect() && !err.is_timeout(), "{err:?}");
        assert_eq!(
            err.reason(),
            "connection refused (nothing is listening there)"
        );
    }
}
