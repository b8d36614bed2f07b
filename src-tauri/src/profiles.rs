//! Profiles (create, duplicate, switch, delete, edit) and the report export.

use std::path::PathBuf;

use switchboard_core::report::ReportFormat;
use switchboard_core::workbench::view::{AppView, ProfileEdit};
use switchboard_core::{ErrorCode, UserError};
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

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

/// Writes a report of what was checked (Markdown, or one self-contained HTML page) and returns its
/// path: a new file in the reports folder, or, with `choose`, where the person picks in the
/// system's save dialog (opened here, so the web view can never name a path to write). `None` when
/// the dialog was cancelled.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    wb: State<'_, Bench>,
    choose: bool,
    format: Option<ReportFormat>,
) -> Result<Option<String>> {
    let format = format.unwrap_or_default();
    let dir = reports_dir(&app)?;
    let name = wb.report(format).await.1;
    let target = if choose {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let filter = match format {
            ReportFormat::Markdown => "Markdown report",
            ReportFormat::Html => "HTML report",
        };
        app.dialog()
            .file()
            .add_filter(filter, &[format.extension()])
            .set_directory(&dir)
            .set_file_name(&name)
            .save_file(move |picked| {
                let _ = tx.send(picked);
            });
        let picked = rx.await.ok().flatten();
        match picked.map(|p| p.into_path()) {
            None => return Ok(None),
            Some(Ok(path)) => path,
            Some(Err(e)) => {
                return Err(UserError::new(
                    ErrorCode::Storage,
                    format!("The chosen location cannot be written as a file ({e}). Choose a folder on this computer."),
                ))
            }
        }
    } else {
        dir.join(name)
    };
    Ok(Some(
        wb.write_report(&target, format)
            .await?
            .display()
            .to_string(),
    ))
}
