//! Sign-in, stored credentials and sign-out. Secrets arrive from the web view once (typed into the
//! login page), go to the keychain bound to the server, and never travel back.

use switchboard_core::workbench::view::{AppView, ForgottenView, OAuthStartView, SignInView};
use switchboard_core::workbench::SignIn;
use switchboard_core::UserError;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_opener::OpenerExt;

use crate::ops::Ops;
use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

#[tauri::command]
pub async fn sign_in(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    input: SignIn,
    op: Option<String>,
) -> Result<SignInView> {
    ops.run(op, wb.sign_in(input)).await
}

#[tauri::command]
pub async fn sign_out(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    op: Option<String>,
) -> Result<AppView> {
    ops.run(op, wb.sign_out()).await
}

#[tauri::command]
pub async fn forget_login(wb: State<'_, Bench>) -> Result<AppView> {
    wb.forget_login().await
}

#[tauri::command]
pub async fn forget_everything(wb: State<'_, Bench>) -> Result<ForgottenView> {
    wb.forget_everything().await
}

/// Starts an OAuth sign-in and opens the CRM's page in the system browser. With `loopback`, the
/// window hears `oauth-finished` when the browser comes back.
#[tauri::command]
pub async fn oauth_start(
    app: AppHandle,
    wb: State<'_, Bench>,
    loopback: bool,
    hostname: Option<String>,
    port: Option<u16>,
) -> Result<OAuthStartView> {
    let started = wb
        .oauth_start(loopback, hostname, port.unwrap_or(0))
        .await?;
    if let Some(wait) = started.wait {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if let Some(finished) = wait.await {
                if let Err(e) = app.emit("oauth-finished", finished) {
                    tracing::warn!("could not tell the window the sign-in ended: {e}");
                }
            }
        });
    }
    let mut view = started.view;
    view.browser_error = app
        .opener()
        .open_url(view.authorize_url.clone(), None::<&str>)
        .err()
        .map(|e| {
            format!("The system browser could not be opened ({e}). Copy the address into a browser yourself.")
        });
    Ok(view)
}

/// Finishes an OAuth sign-in with the address the browser ended on, pasted by the person.
#[tauri::command]
pub async fn oauth_paste(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    url: String,
    op: Option<String>,
) -> Result<SignInView> {
    ops.run(op, wb.oauth_paste(url)).await
}

#[tauri::command]
pub async fn oauth_cancel(wb: State<'_, Bench>) -> Result<()> {
    wb.oauth_cancel().await;
    Ok(())
}
