//! OAuth sign-in as the App Connect client does it (SPEC §5): the authorize URL built from the
//! manifest's `authUrl`, `clientId`, raw `scope` fragment and `state`, and the callback URL handed
//! to the connector server's `GET /oauth-callback`.

use url::Url;

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

/// The URL the user's browser opens to authorize: `authUrl` with `response_type=code`, `client_id`,
/// the raw `scope` fragment appended as written, `state` and `redirect_uri`.
pub fn authorize_url(platform: &str, oauth: &OAuth, redirect_uri: &str) -> Result<Url, OAuthError> {
    let auth_url = oauth
        .auth_url
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::Missing {
            platform: platform.to_owned(),
            field: "authUrl",
        })?;
    let client_id = oauth
        .client_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::Missing {
            platform: platform.to_owned(),
            field: "clientId",
        })?;
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
}
