//! Where a session was issued. A session token, and the login values that obtained it, belong to
//! one connector server (its origin: scheme, host, port and path prefix) and one platform. The
//! keychain keys them by that binding, so a token is only ever sent back to the server that issued
//! it: pointing a profile at another server, or opening a manifest with another `serverUrl`,
//! leaves the person signed out *there*, and signed in again on return.

use url::Url;

use crate::error::{ErrorCode, UserError};

/// The origin label of the sandbox that runs inside the app. Its port changes on every start but
/// it is the same server (it signs sessions with a key kept in the keychain), so its sessions are
/// bound to this label rather than to the port of the moment.
pub const IN_APP_SANDBOX: &str = "in-app-sandbox";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Binding {
    /// `http://127.0.0.1:6066`, `https://crm.example.com:443/connector`, or [`IN_APP_SANDBOX`].
    pub origin: String,
    pub platform: String,
}

/// What is kept per binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The App Connect session JWT (API-key login or OAuth callback).
    Session,
    /// The values of the manifest's API-key login page, as one JSON object by `const`.
    Login,
}

impl SecretKind {
    pub const ALL: [SecretKind; 2] = [SecretKind::Session, SecretKind::Login];

    fn as_str(self) -> &'static str {
        match self {
            SecretKind::Session => "session",
            SecretKind::Login => "login",
        }
    }
}

/// The comparable origin of a server URL: scheme, lower-case host, explicit port (the scheme's
/// default when none is written) and the path prefix without a trailing slash.
pub fn origin_of(server_url: &str) -> Result<String, UserError> {
    let url = Url::parse(server_url.trim()).map_err(|_| bad_server(server_url))?;
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Err(bad_server(server_url));
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad_server(server_url));
    }
    Ok(format!(
        "{}://{}:{}{}",
        url.scheme(),
        host.to_ascii_lowercase(),
        port,
        url.path().trim_end_matches('/')
    ))
}

fn bad_server(s: &str) -> UserError {
    UserError::new(
        ErrorCode::InvalidInput,
        format!(
            "\"{s}\" is not a server URL; use http(s)://host[:port], e.g. http://localhost:6066."
        ),
    )
}

impl Binding {
    /// The binding of a server URL and platform; `in_app_sandbox` is the address of the sandbox
    /// inside the app, when one runs.
    pub fn new(
        server_url: &str,
        platform: &str,
        in_app_sandbox: Option<&str>,
    ) -> Result<Self, UserError> {
        let origin = origin_of(server_url)?;
        let sandbox = in_app_sandbox.and_then(|s| origin_of(s).ok());
        Ok(Self {
            origin: if sandbox.as_deref() == Some(origin.as_str()) {
                IN_APP_SANDBOX.to_owned()
            } else {
                origin
            },
            platform: platform.to_owned(),
        })
    }

    /// The keychain account of this binding's secret of one kind, e.g.
    /// `session:sandbox@http://127.0.0.1:6066`.
    pub fn account(&self, kind: SecretKind) -> String {
        format!("{}:{}@{}", kind.as_str(), self.platform, self.origin)
    }

    /// How the binding is named to a person.
    pub fn describe(&self) -> String {
        if self.origin == IN_APP_SANDBOX {
            format!("{} on the in-app sandbox", self.platform)
        } else {
            format!("{} at {}", self.platform, self.origin)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_port_and_path_prefix() {
        let o = |s| origin_of(s).unwrap();
        assert_eq!(o("http://LOCALHOST:6066/"), o("http://localhost:6066"));
        assert_eq!(
            o("https://crm.example.com"),
            o("https://crm.example.com:443/")
        );
        assert_ne!(o("http://localhost:6066"), o("http://localhost:6067"));
        assert_ne!(o("http://localhost:6066"), o("https://localhost:6066"));
        assert_ne!(o("http://a.test/one"), o("http://a.test/two"));
        assert_ne!(o("http://a.test"), o("http://b.test"));
        assert!(origin_of("localhost:6066").is_err());
        assert!(origin_of("ftp://a.test").is_err());
    }

    #[test]
    fn accounts_separate_servers_and_platforms() {
        let a = Binding::new("http://127.0.0.1:1", "x", None).unwrap();
        let b = Binding::new("http://127.0.0.1:2", "x", None).unwrap();
        let c = Binding::new("http://127.0.0.1:1", "y", None).unwrap();
        assert_ne!(
            a.account(SecretKind::Session),
            b.account(SecretKind::Session)
        );
        assert_ne!(
            a.account(SecretKind::Session),
            c.account(SecretKind::Session)
        );
        assert_ne!(a.account(SecretKind::Session), a.account(SecretKind::Login));
        assert_eq!(
            a.account(SecretKind::Session),
            "session:x@http://127.0.0.1:1"
        );
    }

    #[test]
    fn the_in_app_sandbox_keeps_its_binding_across_ports() {
        let today = Binding::new(
            "http://127.0.0.1:40001",
            "sandbox",
            Some("http://127.0.0.1:40001"),
        )
        .unwrap();
        let tomorrow = Binding::new(
            "http://127.0.0.1:40777/",
            "sandbox",
            Some("http://127.0.0.1:40777"),
        )
        .unwrap();
        assert_eq!(today, tomorrow);
        assert_eq!(today.origin, IN_APP_SANDBOX);
        let other = Binding::new(
            "http://127.0.0.1:40002",
            "sandbox",
            Some("http://127.0.0.1:40001"),
        )
        .unwrap();
        assert_ne!(other, today, "another local server is not the sandbox");
    }
}
