//! Secrets in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on
//! Windows) through the `keyring` crate. There is no plaintext fallback: when no keychain is
//! reachable the caller gets `KeychainError::Unavailable` with the cause and the fix.

use crate::error::{ErrorCode, UserError};
use crate::sensitive::Sensitive;

/// Debug and release builds keep separate entries, so a dev build never touches real sessions.
pub const SERVICE: &str = if cfg!(debug_assertions) {
    "dev.switchboard.debug"
} else {
    "dev.switchboard"
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeychainError {
    #[error("The OS keychain is not available ({cause}). On Linux, start a Secret Service such as gnome-keyring or KWallet in your session (and unlock it), then retry. Switchboard never stores secrets in plain files.")]
    Unavailable { cause: String },
    #[error(
        "The keychain refused access to \"{account}\" ({cause}). Unlock the keychain, then retry."
    )]
    Refused { account: String, cause: String },
}

impl From<KeychainError> for UserError {
    fn from(e: KeychainError) -> Self {
        UserError::new(ErrorCode::KeychainUnavailable, e.to_string())
    }
}

/// Where secrets are kept. `Keychain` is the real one; tests of callers may use their own.
pub trait SecretStore: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>, KeychainError>;
    fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), KeychainError>;
    /// True when an entry existed.
    fn delete(&self, account: &str) -> Result<bool, KeychainError>;
}

#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Self::new(SERVICE)
    }
}

impl Keychain {
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, account).map_err(|e| map_err(account, e))
    }
}

fn map_err(account: &str, e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            let cause = inner.to_string();
            if cause.contains("locked") || cause.contains("Locked") {
                KeychainError::Refused {
                    account: account.to_owned(),
                    cause,
                }
            } else {
                KeychainError::Unavailable { cause }
            }
        }
        other => KeychainError::Refused {
            account: account.to_owned(),
            cause: other.to_string(),
        },
    }
}

impl SecretStore for Keychain {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>, KeychainError> {
        match self.entry(account)?.get_password() {
            Ok(s) => Ok(Some(Sensitive::new(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(account, e)),
        }
    }

    fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), KeychainError> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(|e| map_err(account, e))
    }

    fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_err(account, e)),
        }
    }
}

/// The keychain account of a session JWT: one per server and platform.
pub fn session_account(server_url: &str, platform: &str) -> String {
    format!("session:{platform}@{}", server_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_separate_servers_and_platforms() {
        assert_ne!(
            session_account("http://a:1", "x"),
            session_account("http://a:2", "x")
        );
        assert_eq!(
            session_account("http://a:1/", "x"),
            session_account("http://a:1", "x")
        );
    }

    #[test]
    fn unavailable_message_names_the_fix() {
        let e = map_err(
            "a",
            keyring::Error::PlatformFailure("Unable to autolaunch a dbus-daemon".into()),
        );
        assert!(matches!(e, KeychainError::Unavailable { .. }));
        assert!(e.to_string().contains("gnome-keyring"));
    }
}
