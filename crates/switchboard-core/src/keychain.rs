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

    /// The build's service, or SWITCHBOARD_KEYCHAIN_SERVICE when set (tests use their own).
    pub fn from_env() -> Self {
        match std::env::var("SWITCHBOARD_KEYCHAIN_SERVICE") {
            Ok(s) if !s.trim().is_empty() => Self::new(&s),
            _ => Self::default(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, account).map_err(|e| map_err(account, e))
    }

    fn raw_get(&self, account: &str) -> Result<Option<String>, KeychainError> {
        match self.entry(account)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(account, e)),
        }
    }

    fn raw_delete(&self, account: &str) -> Result<bool, KeychainError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_err(account, e)),
        }
    }

    /// The accounts this service has written. Keychains cannot be listed portably, so every
    /// `set` records its account in an index entry (a list of names, no secrets).
    pub fn accounts(&self) -> Result<Vec<String>, KeychainError> {
        Ok(self
            .raw_get(INDEX_ACCOUNT)?
            .and_then(|text| serde_json::from_str::<Vec<String>>(&text).ok())
            .unwrap_or_default())
    }

    fn write_index(&self, accounts: &[String]) -> Result<(), KeychainError> {
        if accounts.is_empty() {
            self.raw_delete(INDEX_ACCOUNT)?;
            return Ok(());
        }
        let text = serde_json::to_string(accounts).unwrap_or_else(|_| "[]".to_owned());
        self.entry(INDEX_ACCOUNT)?
            .set_password(&text)
            .map_err(|e| map_err(INDEX_ACCOUNT, e))
    }

    /// "Forget everything": deletes every entry this service wrote (sessions, login fields, for
    /// every profile and for the CLI) and the index. Returns how many secrets were deleted.
    pub fn forget_all(&self) -> Result<usize, KeychainError> {
        let mut deleted = 0;
        for account in self.accounts()? {
            if self.raw_delete(&account)? {
                deleted += 1;
            }
        }
        self.raw_delete(INDEX_ACCOUNT)?;
        Ok(deleted)
    }
}

/// The keychain account that lists the others.
const INDEX_ACCOUNT: &str = "switchboard:index";

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
        Ok(self.raw_get(account)?.map(Sensitive::new))
    }

    fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), KeychainError> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(|e| map_err(account, e))?;
        let mut accounts = self.accounts()?;
        if !accounts.iter().any(|a| a == account) {
            accounts.push(account.to_owned());
            self.write_index(&accounts)?;
        }
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        let existed = self.raw_delete(account)?;
        let mut accounts = self.accounts()?;
        let before = accounts.len();
        accounts.retain(|a| a != account);
        if accounts.len() != before {
            self.write_index(&accounts)?;
        }
        Ok(existed)
    }
}

/// What a profile keeps in the keychain, one entry per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The App Connect session JWT (from API-key login or the OAuth callback).
    Session,
    /// The values of the manifest's API-key login page, as one JSON object by `const`.
    Login,
}

impl SecretKind {
    pub const ALL: [SecretKind; 2] = [SecretKind::Session, SecretKind::Login];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Session => "session",
            SecretKind::Login => "login",
        }
    }
}

/// The keychain account of one profile's secret of one kind.
pub fn profile_account(profile_id: &str, kind: SecretKind) -> String {
    format!("profile:{profile_id}:{}", kind.as_str())
}

/// A profile's stored login-page values by `const` (empty when none are stored).
pub fn login_values(
    store: &dyn SecretStore,
    profile_id: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, KeychainError> {
    Ok(store
        .get(&profile_account(profile_id, SecretKind::Login))?
        .and_then(|t| serde_json::from_str(t.expose()).ok())
        .unwrap_or_default())
}

/// Deletes every secret of a profile; returns how many existed.
pub fn delete_profile(store: &dyn SecretStore, profile_id: &str) -> Result<usize, KeychainError> {
    let mut n = 0;
    for kind in SecretKind::ALL {
        if store.delete(&profile_account(profile_id, kind))? {
            n += 1;
        }
    }
    Ok(n)
}

/// The keychain account of a CLI session JWT: one per server and platform.
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
