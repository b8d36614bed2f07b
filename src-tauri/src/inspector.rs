//! The inspector: every exchange, with its lints and a redacted curl command; Resend and Edit and
//! resend (the session token is added by the engine at send time, never by the window).

use switchboard_core::workbench::resend::{ResendRequest, ResendView};
use switchboard_core::workbench::view::Recorded;
use switchboard_core::UserError;
use tauri::State;

use crate::ops::Ops;
use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

#[tauri::command]
pub async fn history(wb: State<'_, Bench>) -> Result<Vec<Recorded>> {
    Ok(wb.history().await)
}

#[tauri::command]
pub async fn resend(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    request: ResendRequest,
    op: Option<String>,
) -> Result<ResendView> {
    ops.run(op, wb.resend(request)).await
}

#[tauri::command]
pub async fn clear_history(wb: State<'_, Bench>) -> Result<()> {
    wb.clear_history().await;
    Ok(())
}
