//! Profiles (create, duplicate, switch, delete, edit) and the report export.

use std::path::PathBuf;

use switchboard_core::workbench::view::{AppView, ProfileEdit};
use switchboard_core::{ErrorCode, UserError};
use tauri::{AppHandle, Manager, State};

use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

#[tauri::command]
pub async fn profile_create(
    wb: State<'_, Bench>,
    name: String,
    copy_current: bool,
) -> Result<AppView> {
    wb.profile_create(&name, copy_current).await
}

#[tauri::command]
pub async fn profile_duplicate(wb: State<'_, Bench>, id: String) -> Result<AppView> {
    wb.profile_duplicate(&id).await
}

#[tauri::command]
pub async fn profile_switch(wb: State<'_, Bench>, id: String) -> Result<AppView> {
    wb.profile_switch(&id).await
}

#[tauri::command]
pub async fn profile_delete(wb: State<'_, Bench>, id: String) -> Result<AppView> {
    wb.profile_delete(&id).await
}

#[tauri::command]
pub async fn profile_update(
    wb: State<'_, Bench>,
    id: String,
    edit: ProfileEdit,
) -> Result<AppView> {
    wb.profile_update(&id, edit).await
}

/// Where reports go by default: `~/Documents/Switchboard reports`, else the app's data dir.
fn reports_dir(app: &AppHandle) -> Result<PathBuf> {
    let paths = app.path();
    paths
        .document_dir()
        .map(|d| d.join("Switchboard reports"))
        .or_else(|_| paths.app_data_dir().map(|d| d.join("reports")))
        .map_err(|e| {
            UserError::new(
                ErrorCode::Storage,
                format!("No folder for reports ({e}). Choose one with Export as…"),
            )
        })
}

/// Writes a Markdown report of what was checked and returns its path: the path the person chose
/// in the save dialog, else a new file in the reports folder.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    wb: State<'_, Bench>,
    path: Option<String>,
) -> Result<String> {
    let target = match path.filter(|p| !p.trim().is_empty()) {
        Some(p) => PathBuf::from(p),
        None => reports_dir(&app)?.join(wb.report().await.1),
    };
    Ok(wb.write_report(&target).await?.display().to_string())
}
