//! Phone numbers and findContact.

use switchboard_core::workbench::phone_view;
use switchboard_core::workbench::view::{
    AutoPreview, LookupView, PhoneInput, PhoneView, SandboxNumber, SearchView,
};
use switchboard_core::UserError;
use tauri::State;

use crate::ops::Ops;
use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

#[tauri::command]
pub async fn parse_phone(phone: PhoneInput) -> Result<PhoneView> {
    phone_view(&phone)
}

#[tauri::command]
pub async fn find_contact(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    phone: PhoneInput,
    op: Option<String>,
) -> Result<LookupView> {
    ops.run(op, wb.find_contact(&phone)).await
}

/// The client's "Search contacts" row: a name search on the connector.
#[tauri::command]
pub async fn search_contacts(
    wb: State<'_, Bench>,
    ops: State<'_, Ops>,
    name: String,
    op: Option<String>,
) -> Result<SearchView> {
    ops.run(op, wb.search_contacts(&name)).await
}

/// The in-app sandbox's numbers worth trying (shared, format-only, extension, unknown), from its
/// own data.
#[tauri::command]
pub async fn sandbox_numbers() -> Vec<SandboxNumber> {
    switchboard_sandbox::interesting_numbers()
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
