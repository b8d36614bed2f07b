//! The keychain against a real Secret Service (gnome-keyring in the test's D-Bus session, started by
//! `scripts/with-keyring.sh`), and the error when there is none.

use switchboard_core::keychain::{Keychain, KeychainError, SecretStore};
use switchboard_core::Sensitive;

fn keychain(name: &str) -> Keychain {
    assert!(
        std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
        "this test needs a Secret Service: run it through `make test` or scripts/with-keyring.sh"
    );
    Keychain::new(&format!(
        "switchboard-core-test-{name}-{}",
        std::process::id()
    ))
}

#[test]
fn store_read_replace_delete() {
    let k = keychain("crud");
    let account = "session:sandbox@http://127.0.0.1:1";
    assert_eq!(
        k.get(account).unwrap(),
        None,
        "a fresh service has no entry"
    );
    k.set(account, &Sensitive::from("first-token")).unwrap();
    assert_eq!(k.get(account).unwrap().unwrap().expose(), "first-token");
    k.set(account, &Sensitive::from("second-token")).unwrap();
    assert_eq!(
        k.get(account).unwrap().unwrap().expose(),
        "second-token",
        "set replaces"
    );
    assert!(
        k.delete(account).unwrap(),
        "delete reports an entry existed"
    );
    assert_eq!(k.get(account).unwrap(), None);
    assert!(
        !k.delete(account).unwrap(),
        "deleting twice is not an error"
    );
}

#[test]
fn entries_are_separate_per_account() {
    let k = keychain("accounts");
    k.set("a", &Sensitive::from("token-a")).unwrap();
    k.set("b", &Sensitive::from("token-b")).unwrap();
    assert_eq!(k.get("a").unwrap().unwrap().expose(), "token-a");
    assert_eq!(k.get("b").unwrap().unwrap().expose(), "token-b");
    k.delete("a").unwrap();
    k.delete("b").unwrap();
}

#[test]
fn no_secret_service_gives_unavailable_with_the_fix() {
    // A child process, so this test's bus address does not leak into the others.
    if std::env::var("SWITCHBOARD_NO_BUS_CHILD").is_ok() {
        let e = Keychain::new("switchboard-no-bus")
            .set("a", &Sensitive::from("x"))
            .unwrap_err();
        assert!(matches!(e, KeychainError::Unavailable { .. }), "{e:?}");
        assert!(e.to_string().contains("gnome-keyring"));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "no_secret_service_gives_unavailable_with_the_fix",
            "--nocapture",
        ])
        .env("SWITCHBOARD_NO_BUS_CHILD", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/switchboard-bus",
        )
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the child saw the right error: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
