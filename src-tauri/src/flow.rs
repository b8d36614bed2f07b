//! The create-placeholder-contact flow, manual and automatic.

use serde_json::{Map, Value};
use switchboard_core::flow::AutoSettings;
use switchboard_core::workbench::view::{CallInput, FlowView, PhoneInput};
use switchboard_core::UserError;
use tauri::State;

use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

/// Starts a placeholder flow: looks the number up.
#[tauri::command]
pub async fn flow_start(wb: State<'_, Bench>, phone: PhoneInput) -> Result<FlowView> {
    wb.flow_start(&phone).await
}

#[tauri::command]
pub async fn flow_create(
    wb: State<'_, Bench>,
    name: String,
    contact_type: Option<String>,
    additional: Option<Map<String, Value>>,
) -> Result<FlowView> {
    wb.flow_create(&name, contact_type, additional.unwrap_or_default())
        .await
}

#[tauri::command]
pub async fn flow_log(wb: State<'_, Bench>, call: CallInput) -> Result<FlowView> {
    wb.flow_log(call).await
}

#[tauri::command]
pub async fn flow_verify(wb: State<'_, Bench>) -> Result<FlowView> {
    wb.flow_verify().await
}

/// The automatic variant: an unknown call creates its placeholder with no prompt.
#[tauri::command]
pub async fn flow_auto(
    wb: State<'_, Bench>,
    phone: PhoneInput,
    settings: AutoSettings,
    call: CallInput,
) -> Result<FlowView> {
    wb.flow_auto(&phone, settings, call).await
}
