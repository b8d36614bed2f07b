//! The error shape every user-facing surface (CLI, IPC) shares: a small stable code the UI can branch
//! on, and a message that says what happened and what to do next.

use serde::Serialize;
use ts_rs::TS;

/// Stable error codes. Add one only when a caller branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub enum ErrorCode {
    ManifestInvalid,
    PhoneInvalid,
    ServerUnreachable,
    Timeout,
    Unauthorized,
    Rejected,
    BadResponse,
    KeychainUnavailable,
    NotSignedIn,
    FlowOrder,
    InvalidInput,
    Storage,
    /// The person cancelled the action while it waited for a server.
    Cancelled,
    Internal,
}

/// What crosses to a person: `{ "code": "...", "message": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UserError {
    pub code: ErrorCode,
    pub message: String,
}

impl UserError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}
