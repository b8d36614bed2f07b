//! OAuth sign-in as the App Connect client does it (SPEC §5): the authorize URL built from the
//! manifest's `authUrl`, `clientId`, raw `scope` fragment and `state`, and the callback URL handed
//! to the connector server's `GET /oauth-callback`. The browser comes back either to a loopback
//! listener (`LoopbackRedirect`) or the person pastes the redirected URL (`check_callback`).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use crate::sensitive::Sensitive;

use crate::error::{ErrorCode, UserError};
use crate::manifest::{Manifest, OAuth};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OAuthError {
    #[error(
        "{platform} has no OAuth settings (auth.oauth). Add authUrl and clientId to the manifest."
    )]
    NotOAuth { platform: String },
    #[error("{platform}'s auth.oauth.{field} is missing or empty. Add it to the manifest.")]
    Missing {
        platform: String,
        field: &'static str,
    },
    #[error("{platform}'s auth.oauth.authUrl \"{url}\" is not a URL ({reason}).")]
    BadAuthUrl {
        platform: String,
        url: String,
        reason: String,
    },
    #[error(
        "No redirect URI: set auth.oauth.redirectUri or the manifest's top-level redirectUri."
    )]
    NoRedirect,
    #[error("Could not listen for the browser's redirect on 127.0.0.1 ({0}). Paste the redirected URL instead.")]
    Listen(String),
    #[error("The browser did not come back within {0} s. Finish signing in in the browser, or paste the redirected URL instead.")]
    TimedOut(u64),
    #[error("The CRM refused the sign-in: {error}{description}. Check the client id and scope in the manifest, then try again.")]
    Denied { error: String, description: String },
    #[error("The redirected URL has no authorization code (no `code=`). Paste the whole address from the browser's address bar after signing in.")]
    NoCode,
    #[error("The redirected URL's state does not match this sign-in (expected \"{expected}\"). Start the sign-in again and use the newest redirect.")]
    StateMismatch { expected: String },
    #[error("The redirected URL has no state (expected \"{expected}\"), so it cannot be told apart from a forged one. Paste the whole address the CRM redirected to.")]
    NoState { expected: String },
    #[error("Port {0} on 127.0.0.1 is taken by another program. Choose another port (it must match the redirect URI registered with the CRM), or paste the redirected URL instead.")]
    PortTaken(u16),
}

impl From<OAuthError> for UserError {
    fn from(e: OAuthError) -> Self {
        UserError::new(ErrorCode::ManifestInvalid, e.to_string())
    }
}

/// `platform=<name>`, unless the manifest sets `customState`.
pub fn state(platform: &str, oauth: &OAuth) -> String {
    match oauth.custom_state.as_deref().filter(|s| !s.is_empty()) {
        Some(custom) => custom.to_owned(),
        None => format!("platform={platform}"),
    }
}

/// The redirect URI the client uses: the platform's own, else the manifest's.
pub fn redirect_uri(manifest: &Manifest, oauth: &OAuth) -> Option<String> {
    oauth
        .redirect_uri
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| manifest.redirect_uri.clone().filter(|s| !s.is_empty()))
}

/// A setting that must be present and non-empty.
fn required<'a>(
    platform: &str,
    value: &'a Option<String>,
    field: &'static str,
) -> Result<&'a str, OAuthError> {
    value
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::Missing {
            platform: platform.to_owned(),
            field,
        })
}

/// The URL the user's browser opens to authorize: `authUrl` with `response_type=code`, `client_id`,
/// the raw `scope` fragment appended as written, `state` and `redirect_uri`.
pub fn authorize_url(platform: &str, oauth: &OAuth, redirect_uri: &str) -> Result<Url, OAuthError> {
    let auth_url = required(platform, &oauth.auth_url, "authUrl")?;
    let client_id = required(platform, &oauth.client_id, "clientId")?;
    let mut url = Url::parse(auth_url).map_err(|e| OAuthError::BadAuthUrl {
        platform: platform.to_owned(),
        url: auth_url.to_owned(),
        reason: e.to_string(),
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id);
    // The scope is a raw query fragment (`scope=contacts.read`), appended exactly as written.
    if let Some(scope) = oauth
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let query = format!(
            "{}&{}",
            url.query().unwrap_or(""),
            scope.trim_start_matches('&')
        );
        url.set_query(Some(&query));
    }
    url.query_pairs_mut()
        .append_pair("state", &state(platform, oauth))
        .append_pair("redirect_uri", redirect_uri);
    Ok(url)
}

/// Checks a callback URL (from the loopback listener or pasted by a person): the authorization
/// server's `error` is reported, a `code` is required, and a returned `state` must match.
pub fn check_callback(url: &str, expected_state: &str) -> Result<Sensitive<String>, OAuthError> {
    let parsed = Url::parse(url.trim()).map_err(|_| OAuthError::NoCode)?;
    let get = |k: &str| {
        parsed
            .query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = get("error") {
        let description = get("error_description")
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Err(OAuthError::Denied { error, description });
    }
    if get("code").filter(|c| !c.is_empty()).is_none() {
        return Err(OAuthError::NoCode);
    }
    match get("state") {
        None => Err(OAuthError::NoState {
            expected: expected_state.to_owned(),
        }),
        Some(state) if state != expected_state => Err(OAuthError::StateMismatch {
            expected: expected_state.to_owned(),
        }),
        Some(_) => Ok(Sensitive::new(url.trim().to_owned())),
    }
}

/// True when a callback URL carries exactly this state (a loopback request without it is not the
/// browser coming back from this sign-in).
fn has_state(url: &str, expected: &str) -> bool {
    Url::parse(url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v == expected)
        })
        .unwrap_or(false)
}

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 32;

/// A one-shot listener on 127.0.0.1 that receives the browser's redirect after sign-in.
///
/// Its redirect URI keeps the *path* of the manifest's redirect URI: server-side OAuth libraries
/// compare the callback's path with the one they are configured with. Connections are served
/// concurrently (a slow or idle one does not hold up the browser), and a request for another path
/// or without this sign-in's `state` is answered and ignored: only the real redirect ends it.
#[derive(Debug)]
pub struct LoopbackRedirect {
    listener: TcpListener,
    redirect_uri: String,
    path: String,
}

const PAGE_DONE: &str = "<!doctype html><meta charset=utf-8><title>Switchboard</title><body style=\"font:16px system-ui;margin:3em\"><h1>Signed in</h1><p>Switchboard received the sign-in. You can close this tab and return to the app.</p>";
const PAGE_FAILED: &str = "<!doctype html><meta charset=utf-8><title>Switchboard</title><body style=\"font:16px system-ui;margin:3em\"><h1>Sign-in not completed</h1><p>Switchboard shows the reason in the app.</p>";

impl LoopbackRedirect {
    /// Listens on 127.0.0.1 (`port` 0 picks a free one, for CRMs that need a registered port).
    pub async fn bind(like: Option<&str>, port: u16) -> Result<Self, OAuthError> {
        let listener =
            TcpListener::bind(("127.0.0.1", port))
                .await
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AddrInUse if port != 0 => OAuthError::PortTaken(port),
                    _ => OAuthError::Listen(e.to_string()),
                })?;
        let port = listener
            .local_addr()
            .map_err(|e| OAuthError::Listen(e.to_string()))?
            .port();
        let path = like
            .and_then(|u| Url::parse(u).ok())
            .map(|u| u.path().to_owned())
            .filter(|p| p.len() > 1)
            .unwrap_or_else(|| "/callback".to_owned());
        Ok(Self {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            path,
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for the redirect and answers the browser with a short page. Requests for other
    /// paths (a favicon) get a 404, requests without this sign-in's state a 400, and waiting goes
    /// on; the CRM's answer with the right state (a code, or its error) ends the wait.
    pub async fn wait(
        self,
        expected_state: String,
        timeout: Duration,
    ) -> Result<Sensitive<String>, OAuthError> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let origin = self.redirect_uri.trim_end_matches(&self.path).to_owned();
        let work = async {
            loop {
                tokio::select! {
                    accepted = self.listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        // Past the limit, a connection is closed at once rather than queued.
                        let Ok(slot) = slots.clone().try_acquire_owned() else { continue };
                        let (tx, origin, path, expected) =
                            (tx.clone(), origin.clone(), self.path.clone(), expected_state.clone());
                        tokio::spawn(async move {
                            let _slot = slot;
                            if let Some(result) = serve(stream, &origin, &path, &expected).await {
                                let _ = tx.send(result).await;
                            }
                        });
                    }
                    Some(result) = rx.recv() => return result,
                }
            }
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| OAuthError::TimedOut(timeout.as_secs()))?
    }
}

const PAGE_IGNORED: &str = "<!doctype html><meta charset=utf-8><title>Switchboard</title><body style=\"font:16px system-ui;margin:3em\"><h1>Not this sign-in</h1><p>This address does not carry the state of the sign-in Switchboard is waiting for. Start the sign-in from the app.</p>";

/// Serves one connection; returns the sign-in's outcome when this was the CRM's redirect.
async fn serve(
    mut stream: TcpStream,
    origin: &str,
    path: &str,
    expected_state: &str,
) -> Option<Result<Sensitive<String>, OAuthError>> {
    let target = read_target(&mut stream).await?;
    if target.split('?').next() != Some(path) {
        respond(&mut stream, "404 Not Found", "").await;
        return None;
    }
    let url = format!("{origin}{target}");
    if !has_state(&url, expected_state) {
        respond(&mut stream, "400 Bad Request", PAGE_IGNORED).await;
        return None;
    }
    let result = check_callback(&url, expected_state);
    let page = if result.is_ok() {
        PAGE_DONE
    } else {
        PAGE_FAILED
    };
    respond(&mut stream, "200 OK", page).await;
    Some(result)
}

/// Reads one request head (at most 16 KiB, 5 s) and returns its target, e.g. `/cb?code=…`.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut len = 0;
    let read = async {
        loop {
            let n = stream.read(&mut buf[len..]).await.ok()?;
            if n == 0 {
                return None;
            }
            len += n;
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf[..len]) {
                Ok(httparse::Status::Complete(_)) => return req.path.map(str::to_owned),
                Ok(httparse::Status::Partial) if len < buf.len() => continue,
                _ => return None,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()
        .flatten()
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(scope: Option<&str>, custom: Option<&str>) -> OAuth {
        OAuth {
            auth_url: Some("https://crm.example.com/oauth/authorize".into()),
            client_id: Some("abc 123".into()),
            scope: scope.map(str::to_owned),
            custom_state: custom.map(str::to_owned),
            redirect_uri: None,
        }
    }

    #[test]
    fn the_url_carries_client_raw_scope_state_and_redirect() {
        let u = authorize_url(
            "clio",
            &oauth(Some("scope=contacts.read calls.write"), None),
            "https://app.test/redirect",
        )
        .unwrap();
        let q = u.query().unwrap();
        assert!(
            q.starts_with(
                "response_type=code&client_id=abc+123&scope=contacts.read%20calls.write&"
            ),
            "{q}"
        );
        let pairs: Vec<(String, String)> =
            u.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        assert!(pairs.contains(&("state".into(), "platform=clio".into())));
        assert!(pairs.contains(&("redirect_uri".into(), "https://app.test/redirect".into())));
    }

    #[test]
    fn custom_state_replaces_the_platform_state() {
        let u = authorize_url("x", &oauth(None, Some("platform=x&tenant=7")), "r").unwrap();
        let state: String = u
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into();
        assert_eq!(state, "platform=x&tenant=7");
    }

    #[test]
    fn missing_settings_name_the_field() {
        let mut o = oauth(None, None);
        o.client_id = Some(String::new());
        let e = authorize_url("x", &o, "r").unwrap_err();
        assert!(e.to_string().contains("clientId"), "{e}");
    }

    #[test]
    fn a_pasted_url_needs_a_code_and_the_same_state() {
        let ok = check_callback(
            "https://x.test/cb?code=abc&state=platform%3Dclio",
            "platform=clio",
        )
        .unwrap();
        assert!(ok.expose().contains("code=abc"));
        assert_eq!(
            check_callback("https://x.test/cb?state=platform%3Dclio", "platform=clio"),
            Err(OAuthError::NoCode)
        );
        assert!(matches!(
            check_callback(
                "https://x.test/cb?code=a&state=platform%3Dother",
                "platform=clio"
            ),
            Err(OAuthError::StateMismatch { .. })
        ));
        let denied = check_callback(
            "https://x.test/cb?error=access_denied&error_description=User+said+no",
            "s",
        )
        .unwrap_err();
        assert!(
            denied.to_string().contains("access_denied (User said no)"),
            "{denied}"
        );
        assert_eq!(check_callback("not a url", "s"), Err(OAuthError::NoCode));
    }

    #[tokio::test]
    async fn the_loopback_listener_takes_the_redirect_and_ignores_other_paths() {
        let l = LoopbackRedirect::bind(Some("https://app.test/oauth/redirect.html"), 0)
            .await
            .unwrap();
        let redirect = l.redirect_uri().to_owned();
        assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
        assert!(
            redirect.ends_with("/oauth/redirect.html"),
            "the path is kept"
        );
        let waiting = tokio::spawn(l.wait("platform=x".into(), Duration::from_secs(10)));
        let browser = reqwest::Client::new();
        let origin = redirect.trim_end_matches("/oauth/redirect.html");
        let favicon = browser
            .get(format!("{origin}/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(favicon.status(), 404);
        let page = browser
            .get(format!("{redirect}?code=c0de&state=platform%3Dx"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Signed in"));
        let url = waiting.await.unwrap().unwrap();
        assert_eq!(
            url.expose(),
            &format!("{redirect}?code=c0de&state=platform%3Dx")
        );
    }

    #[tokio::test]
    async fn the_loopback_listener_gives_up_with_a_hint() {
        let l = LoopbackRedirect::bind(None, 0).await.unwrap();
        assert!(l.redirect_uri().ends_with("/callback"));
        let e = l
            .wait("s".into(), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("paste the redirected URL"), "{e}");
    }

    #[test]
    fn a_pasted_url_without_state_is_refused() {
        let e = check_callback("https://x.test/cb?code=abc", "platform=clio").unwrap_err();
        assert!(matches!(e, OAuthError::NoState { .. }), "{e}");
        assert!(e.to_string().contains("no state"), "{e}");
    }

    #[tokio::test]
    async fn only_the_redirect_with_this_state_ends_the_wait_and_idle_connections_do_not_delay_it()
    {
        let l = LoopbackRedirect::bind(Some("https://app.test/cb"), 0)
            .await
            .unwrap();
        let redirect = l.redirect_uri().to_owned();
        let addr = redirect
            .trim_start_matches("http://")
            .trim_end_matches("/cb")
            .to_owned();
        let waiting = tokio::spawn(l.wait("platform=x".into(), Duration::from_secs(20)));
        // Eight connections that never send a request; served one at a time they would hold the
        // listener for 8 × 5 s.
        let mut idle = Vec::new();
        for _ in 0..8 {
            idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
        }
        let browser = reqwest::Client::new();
        for forged in [
            format!("{redirect}?code=evil"),
            format!("{redirect}?code=evil&state=platform%3Dother"),
            format!("{redirect}?error=access_denied"),
        ] {
            let r = browser.get(&forged).send().await.unwrap();
            assert_eq!(r.status(), 400, "{forged} is not this sign-in's redirect");
        }
        assert!(
            !waiting.is_finished(),
            "a forged redirect does not end the sign-in"
        );
        let started = std::time::Instant::now();
        let page = browser
            .get(format!("{redirect}?code=good&state=platform%3Dx"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let url = waiting.await.unwrap().unwrap();
        assert!(url.expose().contains("code=good"));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the real redirect is served at once, not after the idle connections' 5 s read limit"
        );
        drop(idle);
    }

    #[tokio::test]
    async fn a_taken_port_is_named_with_the_fix() {
        let taken = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let e = LoopbackRedirect::bind(None, port).await.unwrap_err();
        assert_eq!(e, OAuthError::PortTaken(port));
        assert!(e.to_string().contains("registered with the CRM"), "{e}");
    }
}
