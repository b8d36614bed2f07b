//! Manifest, platform and server: which connector the app talks to, and the form previews.

use switchboard_core::forms::LogForm;
use switchboard_core::wire::{ContactInfo, Direction};
use switchboard_core::workbench::view::{AppView, FirstView};
use switchboard_core::UserError;
use tauri::State;

use crate::ops::Ops;
use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

#[tauri::command]
pub async fn app_view(wb: State<'_, Bench>) -> Result<AppView> {
    Ok(wb.view().await)
}

/// The window's first view with the manifest page's preview in the same answer: one command and
/// one paint at start-up instead of two of each. Waits, as `app_view` does, while the profile opens.
#[tauri::command]
pub async fn first_view(wb: State<'_, Bench>) -> Result<FirstView> {
    let view = wb.view().await;
    let preview = wb.log_form(None, None, Direction::Inbound).await.ok();
    Ok(FirstView { view, preview })
}

/// Opens a manifest from a file path, an http(s) URL, or `bundled:sandbox`, in the active profile.
#[tauri::command]
pub async fn open_manifest(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    source: String,
    op: Option<String>,
) -> Result<AppView> {
    ops.run_droppable(op, "opening the manifest", wb.open_manifest(&source))
        .await
}

#[tauri::command]
pub async fn select_platform(wb: State<'_, Bench>, name: String) -> Result<AppView> {
    wb.select_platform(&name).await
}

/// Points the profile at another server; an empty URL goes back to the manifest's.
#[tauri::command]
pub async fn set_server_url(wb: State<'_, Bench>, url: String) -> Result<AppView> {
    wb.set_server_url(&url).await
}

/// The call-log form the client would show for sample contacts: a preview with no server.
#[tauri::command]
pub async fn preview_log_form(
    wb: State<'_, Bench>,
    selected: Option<String>,
    direction: Direction,
) -> Result<LogForm> {
    wb.log_form(None, selected, direction).await
}

/// The call-log form the client would show for a real lookup result.
#[tauri::command]
pub async fn log_form(
    wb: State<'_, Bench>,
    contacts: Vec<ContactInfo>,
    selected: Option<String>,
    direction: Direction,
) -> Result<LogForm> {
    wb.log_form(Some(contacts), selected, direction).await
}
