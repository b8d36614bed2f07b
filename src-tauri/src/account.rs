//! Sign-in, stored credentials and sign-out for the active profile. Secrets arrive from the web
//! view once (typed into the login page), go to the keychain, and never travel back: the window
//! learns only which ones are stored.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use switchboard_core::client::{AppConnectClient, Called};
use switchboard_core::keychain::{self, SecretKind, SecretStore};
use switchboard_core::oauth::{self, LoopbackRedirect};
use switchboard_core::wire::LoginResponse;
use switchboard_core::{ErrorCode, Sensitive, UserError};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_opener::OpenerExt;

use crate::state::{keychain_error, AppState, PendingOAuth, Session};
use crate::views::{AppView, SignInView};

type Result<T> = std::result::Result<T, UserError>;

/// How long the loopback listener waits for the browser.
const OAUTH_WAIT: Duration = Duration::from_secs(300);

/// The CRM hostname sent with a sign-in: what the person chose, else the fixed environment's.
fn hostname_for(s: &Session, chosen: Option<String>) -> Result<String> {
    let (_, platform) = s.loaded.manifest.platform(Some(&s.platform))?;
    Ok(chosen
        .filter(|h| !h.trim().is_empty())
        .or_else(|| platform.environment.as_ref().and_then(|e| e.url.clone()))
        .map(|h| host_of(&h))
        .unwrap_or_default())
}

/// Records a sign-in's exchange, stores its session token and updates the session.
async fn finish_sign_in(
    state: &AppState,
    client: &AppConnectClient,
    profile_id: &str,
    called: Called<LoginResponse>,
) -> Result<SignInView> {
    let mut s = state.session.lock().await;
    let _ = s.record(called.exchange);
    let resp = called.result?;
    let token = client.jwt().ok_or_else(|| {
        UserError::new(ErrorCode::BadResponse, "The server gave no session token.")
    })?;
    state
        .keychain
        .set(
            &keychain::profile_account(profile_id, SecretKind::Session),
            &token,
        )
        .map_err(keychain_error)?;
    if s.profile().id == profile_id {
        s.signed_in = true;
        s.user_name = resp.name.clone();
        s.keychain_problem = None;
    }
    tracing::info!(profile = profile_id, "signed in");
    Ok(SignInView {
        user_name: resp.name,
        return_message: resp.return_message,
    })
}

/// API-key sign-in. `fields` are the login page's values by `const`; a blank one takes the value
/// stored in the keychain. With `remember`, the values are stored (one keychain entry per profile)
/// for next time. The session token goes to the keychain.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    fields: Vec<(String, String)>,
    hostname: Option<String>,
    remember: Option<bool>,
) -> Result<SignInView> {
    let (client, profile_id, host, mut values) = {
        let s = state.session.lock().await;
        let host = hostname_for(&s, hostname.clone())?;
        // Ask the keychain first, so a missing keychain fails before any request.
        let stored =
            keychain::login_values(&state.keychain, &s.profile().id).map_err(keychain_error)?;
        (s.client.clone(), s.profile().id.clone(), host, stored)
    };
    for (k, v) in fields {
        if !v.trim().is_empty() {
            values.insert(k, Value::String(v));
        }
    }
    let pairs: Vec<(String, Sensitive<String>)> = values
        .iter()
        .filter_map(|(k, v)| {
            v.as_str()
                .map(|v| (k.clone(), Sensitive::new(v.to_owned())))
        })
        .collect();
    let api_key = pairs
        .iter()
        .find(|(k, _)| k == "apiKey")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.expose().trim().is_empty())
        .ok_or_else(|| UserError::new(ErrorCode::FlowOrder, "Enter the API key."))?;
    let called = client.api_key_login(&api_key, &host, &pairs).await;
    let view = finish_sign_in(&state, &client, &profile_id, called).await?;
    let mut s = state.session.lock().await;
    if remember.unwrap_or(true) {
        let text = Sensitive::new(Value::Object(values).to_string());
        state
            .keychain
            .set(
                &keychain::profile_account(&profile_id, SecretKind::Login),
                &text,
            )
            .map_err(keychain_error)?;
    }
    if let Some(h) = hostname.filter(|h| !h.trim().is_empty()) {
        s.update_profile(|p| p.hostname = Some(h))?;
    }
    s.refresh_stored(&state.keychain);
    Ok(view)
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<AppView> {
    let (client, profile_id) = {
        let s = state.session.lock().await;
        (s.client.clone(), s.profile().id.clone())
    };
    let called = client.unauthorize().await;
    let mut s = state.session.lock().await;
    let _ = s.record(called.exchange);
    keychain::delete_profile(&state.keychain, &profile_id).map_err(keychain_error)?;
    s.signed_in = false;
    s.user_name = None;
    s.flow = None;
    s.refresh_stored(&state.keychain);
    Ok(state.view(&s))
}

/// Deletes the stored login-page values (the session stays).
#[tauri::command]
pub async fn forget_login(state: State<'_, AppState>) -> Result<AppView> {
    let mut s = state.session.lock().await;
    state
        .keychain
        .delete(&s.account(SecretKind::Login))
        .map_err(keychain_error)?;
    s.refresh_stored(&state.keychain);
    Ok(state.view(&s))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgottenView {
    pub deleted: usize,
    pub view: AppView,
}

/// "Forget everything": every keychain entry Switchboard wrote, for every profile and the CLI.
#[tauri::command]
pub async fn forget_everything(state: State<'_, AppState>) -> Result<ForgottenView> {
    let mut s = state.session.lock().await;
    let deleted = state.keychain.forget_all().map_err(keychain_error)?;
    s.client.set_jwt(None);
    s.signed_in = false;
    s.user_name = None;
    s.flow = None;
    s.refresh_stored(&state.keychain);
    tracing::info!(deleted, "forgot every stored secret");
    Ok(ForgottenView {
        deleted,
        view: state.view(&s),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthStartView {
    pub authorize_url: String,
    pub redirect_uri: String,
    /// True when the listener waits for the browser; false when the person pastes the URL.
    pub listening: bool,
    /// Why the system browser could not be opened (the URL can be copied instead).
    pub browser_error: Option<String>,
}

/// What the window hears when a loopback sign-in ends.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthFinished {
    pub user_name: Option<String>,
    pub error: Option<UserError>,
}

/// Starts an OAuth sign-in: builds the authorize URL as the client does and opens it in the
/// system browser. `loopback`: a listener on 127.0.0.1 receives the redirect (its path mirrors the
/// manifest's redirect URI). Otherwise the manifest's redirect URI is used and the person pastes
/// the address the browser ends on.
#[tauri::command]
pub async fn oauth_start(
    app: AppHandle,
    state: State<'_, AppState>,
    loopback: bool,
    hostname: Option<String>,
) -> Result<OAuthStartView> {
    let mut s = state.session.lock().await;
    let (name, platform) = s.loaded.manifest.platform(Some(&s.platform))?;
    let name = name.to_owned();
    let settings = platform
        .auth
        .as_ref()
        .and_then(|a| a.oauth.clone())
        .ok_or_else(|| oauth::OAuthError::NotOAuth {
            platform: name.clone(),
        })?;
    let manifest_redirect = oauth::redirect_uri(&s.loaded.manifest, &settings);
    let oauth_state = oauth::state(&name, &settings);
    s.drop_oauth();
    let (redirect, listener) = if loopback {
        let l = LoopbackRedirect::bind(manifest_redirect.as_deref(), 0).await?;
        (l.redirect_uri().to_owned(), Some(l))
    } else {
        (
            manifest_redirect.ok_or(oauth::OAuthError::NoRedirect)?,
            None,
        )
    };
    let url = oauth::authorize_url(&name, &settings, &redirect)?.to_string();
    let profile_id = s.profile().id.clone();
    if let Some(h) = hostname.clone().filter(|h| !h.trim().is_empty()) {
        s.update_profile(|p| p.hostname = Some(h))?;
    }
    let host = hostname_for(&s, hostname)?;
    let mut cancel = None;
    if let Some(listener) = listener {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        cancel = Some(tx);
        let wanted = oauth_state.clone();
        let app2 = app.clone();
        let profile = profile_id.clone();
        tauri::async_runtime::spawn(async move {
            let result = tokio::select! {
                r = listener.wait(wanted.clone(), OAUTH_WAIT) => r,
                _ = rx => return,
            };
            let finished = match result {
                Ok(callback) => {
                    let state = app2.state::<AppState>();
                    match complete(&state, &profile, &wanted, &callback, &host).await {
                        Ok(v) => OAuthFinished {
                            user_name: v.user_name,
                            error: None,
                        },
                        Err(e) => OAuthFinished {
                            user_name: None,
                            error: Some(e),
                        },
                    }
                }
                Err(e) => OAuthFinished {
                    user_name: None,
                    error: Some(e.into()),
                },
            };
            let state = app2.state::<AppState>();
            let mut s = state.session.lock().await;
            if s.oauth.as_ref().map(|p| p.state.as_str()) == Some(wanted.as_str()) {
                s.oauth = None;
            }
            drop(s);
            if let Err(e) = app2.emit("oauth-finished", finished) {
                tracing::warn!("could not tell the window the sign-in ended: {e}");
            }
        });
    }
    s.oauth = Some(PendingOAuth {
        state: oauth_state,
        authorize_url: url.clone(),
        profile_id,
        cancel,
    });
    drop(s);
    let browser_error = app
        .opener()
        .open_url(url.clone(), None::<&str>)
        .err()
        .map(|e| {
            format!("The system browser could not be opened ({e}). Copy the address into a browser yourself.")
        });
    Ok(OAuthStartView {
        authorize_url: url,
        redirect_uri: redirect,
        listening: loopback,
        browser_error,
    })
}

/// Sends the callback URL to the connector server's `GET /oauth-callback`.
async fn complete(
    state: &AppState,
    profile_id: &str,
    expected_state: &str,
    callback: &Sensitive<String>,
    host: &str,
) -> Result<SignInView> {
    let client: Arc<AppConnectClient> = {
        let s = state.session.lock().await;
        if s.profile().id != profile_id {
            return Err(UserError::new(
                ErrorCode::FlowOrder,
                "The profile changed during sign-in; sign in again in this profile.",
            ));
        }
        s.client.clone()
    };
    let callback = oauth::check_callback(callback.expose(), expected_state)?;
    let called = client.oauth_callback(&callback, host).await;
    finish_sign_in(state, &client, profile_id, called).await
}

/// Finishes an OAuth sign-in with the address the browser ended on, pasted by the person.
#[tauri::command]
pub async fn oauth_paste(
    state: State<'_, AppState>,
    url: String,
    hostname: Option<String>,
) -> Result<SignInView> {
    let (profile_id, wanted, host) = {
        let mut s = state.session.lock().await;
        let pending = s.drop_oauth().ok_or_else(|| {
            UserError::new(
                ErrorCode::FlowOrder,
                "Start the sign-in first (Open the CRM's sign-in page), then paste the address.",
            )
        })?;
        (
            pending.profile_id,
            pending.state,
            hostname_for(&s, hostname)?,
        )
    };
    let result = complete(&state, &profile_id, &wanted, &Sensitive::new(url), &host).await;
    let mut s = state.session.lock().await;
    s.refresh_stored(&state.keychain);
    result
}

#[tauri::command]
pub async fn oauth_cancel(state: State<'_, AppState>) -> Result<()> {
    state.session.lock().await.drop_oauth();
    Ok(())
}

fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_owned()
}
