//! Phone numbers and findContact.

use switchboard_core::workbench::phone_view;
use switchboard_core::workbench::view::{AutoPreview, LookupView, PhoneInput, PhoneView};
use switchboard_core::UserError;
use tauri::State;

use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

#[tauri::command]
pub async fn parse_phone(phone: PhoneInput) -> Result<PhoneView> {
    phone_view(&phone)
}

#[tauri::command]
pub async fn find_contact(wb: State<'_, Bench>, phone: PhoneInput) -> Result<LookupView> {
    wb.find_contact(&phone).await
}

/// The name the automatic variant would send for this number and caller.
#[tauri::command]
pub async fn auto_preview(
    phone: PhoneInput,
    prefix: String,
    caller_name: Option<String>,
) -> Result<AutoPreview> {
    Ok(Bench::auto_preview(&phone, &prefix, caller_name.as_deref()))
}
