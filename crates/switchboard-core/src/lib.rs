//! Switchboard's core: everything the workbench knows about App Connect, with no UI and no Tauri.
//!
//! The desktop shell and the CLI are thin adapters over these modules.

pub mod batch;
pub mod cancel;
pub mod check;
pub mod client;
pub mod error;
pub mod flow;
pub mod forms;
pub mod keychain;
pub mod lint;
pub mod manifest;
pub mod oauth;
pub mod phone;
pub mod profile;
pub mod redact;
pub mod report;
pub mod scenario;
pub mod sensitive;
pub mod store;
pub mod wire;
pub mod workbench;

#[cfg(test)]
mod test_http;

pub use error::{ErrorCode, UserError};
pub use sensitive::Sensitive;
