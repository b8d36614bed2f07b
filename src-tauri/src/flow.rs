//! The create-placeholder-contact flow, manual and automatic.

use switchboard_core::flow::AutoSettings;
use switchboard_core::workbench::view::{CallInput, FlowView, PhoneInput, SaveInput};
use switchboard_core::UserError;
use tauri::State;

use crate::ops::Ops;
use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

/// Starts a placeholder flow: looks the number up.
#[tauri::command]
pub async fn flow_start(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    phone: PhoneInput,
    op: Option<String>,
) -> Result<FlowView> {
    ops.run(op, wb.flow_start(&phone)).await
}

/// The log form's one Save with the create row chosen: create, then log (extension 1.6.6).
#[tauri::command]
pub async fn flow_save(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    save: SaveInput,
    op: Option<String>,
) -> Result<FlowView> {
    ops.run(op, wb.flow_save(save)).await
}

#[tauri::command]
pub async fn flow_verify(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    op: Option<String>,
) -> Result<FlowView> {
    ops.run(op, wb.flow_verify()).await
}

/// The automatic variant: an unknown call creates its placeholder with no prompt.
#[tauri::command]
pub async fn flow_auto(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    phone: PhoneInput,
    settings: AutoSettings,
    call: CallInput,
    op: Option<String>,
) -> Result<FlowView> {
    ops.run(op, wb.flow_auto(&phone, settings, call)).await
}
