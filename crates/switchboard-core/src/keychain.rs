//! Secrets in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on
//! Windows) through the `keyring` crate. There is no plaintext fallback: when no keychain is
//! reachable the caller gets `KeychainError::Unavailable` with the cause and the fix.

use crate::error::{ErrorCode, UserError};
use crate::sensitive::Sensitive;
pub use crate::workbench::binding::{Binding, SecretKind};

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
    /// "Forget everything": deletes every entry the store holds for Switchboard; returns how many.
    fn forget_all(&self) -> Result<usize, KeychainError>;
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
        let entry = self.entry(account)?;
        match once_more(|| entry.get_password()) {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(account, e)),
        }
    }

    fn raw_delete(&self, account: &str) -> Result<bool, KeychainError> {
        let entry = self.entry(account)?;
        match once_more(|| entry.delete_credential()) {
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

    /// Serialises the index's read-modify-write across processes (the app and any number of CLI
    /// runs): an exclusive advisory lock on a file named after the service, in the user's runtime
    /// dir (else the temp dir), held until the returned file is dropped. Without it, concurrent
    /// sign-ins lost names from the index and "forget everything" left their secrets behind. When
    /// no lock file can be made, the update goes ahead unlocked (as before) rather than failing.
    fn index_lock(&self) -> Option<std::fs::File> {
        let dir = std::env::var_os("XDG_RUNTIME_DIR")
            .map(std::path::PathBuf::from)
            .filter(|d| d.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let name: String = self
            .service
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{name}.keychain-index.lock")))
            .ok()?;
        file.lock().ok()?;
        Some(file)
    }

    fn write_index(&self, accounts: &[String]) -> Result<(), KeychainError> {
        if accounts.is_empty() {
            self.raw_delete(INDEX_ACCOUNT)?;
            return Ok(());
        }
        let text = serde_json::to_string(accounts).unwrap_or_else(|_| "[]".to_owned());
        let entry = self.entry(INDEX_ACCOUNT)?;
        once_more(|| entry.set_password(&text)).map_err(|e| map_err(INDEX_ACCOUNT, e))
    }

    /// "Forget everything": deletes every entry this service wrote (sessions, login fields, for
    /// every profile and for the CLI) and the index. Returns how many secrets were deleted.
    fn forget_everything(&self) -> Result<usize, KeychainError> {
        let _lock = self.index_lock();
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

/// A Secret Service call that failed because the service went away mid-call (the daemon was
/// restarted, or a second one started by D-Bus activation while the first was still coming up
/// left without answering) is tried once more, a moment later, on a fresh connection: the person
/// would otherwise see "the keychain is not available" for a keychain that is there.
fn once_more<T>(call: impl Fn() -> keyring::Result<T>) -> keyring::Result<T> {
    match call() {
        Err(e) if went_away(&e) => {
            tracing::debug!("the Secret Service went away mid-call; trying once more");
            std::thread::sleep(std::time::Duration::from_millis(150));
            call()
        }
        other => other,
    }
}

fn went_away(e: &keyring::Error) -> bool {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            let cause = inner.to_string().to_ascii_lowercase();
            [
                "disconnected from message bus",
                "noreply",
                "did not receive a reply",
                // The call opened its session with the daemon that went away, and the one D-Bus
                // started in its place does not know it.
                "session wrapping the secret does not exist",
            ]
            .iter()
            .any(|m| cause.contains(m))
        }
        _ => false,
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
        Ok(self.raw_get(account)?.map(Sensitive::new))
    }

    fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), KeychainError> {
        let _lock = self.index_lock();
        let entry = self.entry(account)?;
        once_more(|| entry.set_password(secret.expose())).map_err(|e| map_err(account, e))?;
        let mut accounts = self.accounts()?;
        if !accounts.iter().any(|a| a == account) {
            accounts.push(account.to_owned());
            self.write_index(&accounts)?;
        }
        Ok(())
    }

    fn forget_all(&self) -> Result<usize, KeychainError> {
        self.forget_everything()
    }

    fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        let _lock = self.index_lock();
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

/// A binding's stored login-page values by `const` (empty when none are stored).
pub fn login_values(
    store: &dyn SecretStore,
    binding: &Binding,
) -> Result<serde_json::Map<String, serde_json::Value>, KeychainError> {
    Ok(store
        .get(&binding.account(SecretKind::Login))?
        .and_then(|t| serde_json::from_str(t.expose()).ok())
        .unwrap_or_default())
}

/// Deletes every secret of a binding; returns how many existed.
pub fn delete_binding(store: &dyn SecretStore, binding: &Binding) -> Result<usize, KeychainError> {
    let mut n = 0;
    for kind in SecretKind::ALL {
        if store.delete(&binding.account(kind))? {
            n += 1;
        }
    }
    Ok(n)
}

/// Secrets in memory, for tests of the code that uses a store. `unavailable` makes every call fail
/// as a machine without a Secret Service does.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    unavailable: std::sync::atomic::AtomicBool,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose every call fails with `KeychainError::Unavailable`.
    pub fn unavailable() -> Self {
        let s = Self::default();
        s.set_unavailable(true);
        s
    }

    pub fn set_unavailable(&self, on: bool) {
        self.unavailable
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// Every account with an entry.
    pub fn accounts(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, String>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check(&self) -> Result<(), KeychainError> {
        if self.unavailable.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(KeychainError::Unavailable {
                cause: "no Secret Service (test store)".to_owned(),
            });
        }
        Ok(())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>, KeychainError> {
        self.check()?;
        Ok(self.lock().get(account).cloned().map(Sensitive::new))
    }

    fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), KeychainError> {
        self.check()?;
        self.lock()
            .insert(account.to_owned(), secret.expose().clone());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        self.check()?;
        Ok(self.lock().remove(account).is_some())
    }

    fn forget_all(&self) -> Result<usize, KeychainError> {
        self.check()?;
        let mut entries = self.lock();
        let n = entries.len();
        entries.clear();
        Ok(n)
    }
}

impl<T: SecretStore> SecretStore for std::sync::Arc<T> {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>, KeychainError> {
        (**self).get(account)
    }
    fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), KeychainError> {
        (**self).set(account, secret)
    }
    fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        (**self).delete(account)
    }
    fn forget_all(&self) -> Result<usize, KeychainError> {
        (**self).forget_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_message_names_the_fix() {
        let e = map_err(
            "a",
            keyring::Error::PlatformFailure("Unable to autolaunch a dbus-daemon".into()),
        );
        assert!(matches!(e, KeychainError::Unavailable { .. }));
        assert!(e.to_string().contains("gnome-keyring"));
    }

    #[test]
    fn a_service_that_went_away_mid_call_is_tried_once_more_and_only_then() {
        use std::cell::Cell;
        let gone = || {
            keyring::Error::PlatformFailure(
                "DBus error: Message recipient disconnected from message bus without replying"
                    .into(),
            )
        };
        let calls = Cell::new(0);
        let r = once_more(|| {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                Err(gone())
            } else {
                Ok("value")
            }
        });
        assert_eq!(r.unwrap(), "value");
        assert_eq!(calls.get(), 2, "one more try");
        // A call whose secret session was opened with the daemon that went away.
        calls.set(0);
        let r = once_more(|| {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                Err(keyring::Error::PlatformFailure(
                    "DBus error: The session wrapping the secret does not exist".into(),
                ))
            } else {
                Ok("value")
            }
        });
        assert_eq!((r.unwrap(), calls.get()), ("value", 2));
        // Still gone: the second failure is the answer (no loop).
        calls.set(0);
        let r: keyring::Result<()> = once_more(|| {
            calls.set(calls.get() + 1);
            Err(gone())
        });
        assert!(r.is_err());
        assert_eq!(calls.get(), 2);
        // Other failures are not retried (a locked keychain, no service at all, no entry).
        for e in [
            keyring::Error::NoEntry,
            keyring::Error::PlatformFailure("Unable to autolaunch a dbus-daemon".into()),
            keyring::Error::NoStorageAccess("the collection is locked".into()),
        ] {
            let once = Cell::new(Some(e));
            calls.set(0);
            let r: keyring::Result<()> = once_more(|| {
                calls.set(calls.get() + 1);
                Err(once.take().unwrap_or(keyring::Error::NoEntry))
            });
            assert!(r.is_err());
            assert_eq!(calls.get(), 1, "not retried");
        }
    }

    #[test]
    fn the_memory_store_behaves_like_a_keychain() {
        let s = MemoryStore::new();
        let b = Binding::new("http://127.0.0.1:1", "x", None).unwrap();
        s.set(&b.account(SecretKind::Session), &Sensitive::from("t"))
            .unwrap();
        assert_eq!(delete_binding(&s, &b).unwrap(), 1);
        assert!(s.accounts().is_empty());
        s.set_unavailable(true);
        assert!(matches!(s.get("a"), Err(KeychainError::Unavailable { .. })));
    }
}
