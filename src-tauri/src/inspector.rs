//! The inspector: every exchange, with its lints and a redacted curl command.

use switchboard_core::workbench::view::Recorded;
use switchboard_core::UserError;
use tauri::State;

use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

#[tauri::command]
pub async fn history(wb: State<'_, Bench>) -> Result<Vec<Recorded>> {
    Ok(wb.history().await)
}

#[tauri::command]
pub async fn clear_history(wb: State<'_, Bench>) -> Result<()> {
    wb.clear_history().await;
    Ok(())
}
