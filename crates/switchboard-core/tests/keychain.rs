//! The keychain against a real Secret Service (gnome-keyring in the test's D-Bus session, started by
//! `scripts/with-keyring.sh`), and the error when there is none.

use switchboard_core::keychain::{self, Binding, Keychain, KeychainError, SecretKind, SecretStore};

fn binding(port: u16, platform: &str) -> Binding {
    Binding::new(&format!("http://127.0.0.1:{port}"), platform, None).unwrap()
}
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
fn a_server_keeps_one_entry_per_kind_and_signing_out_removes_them() {
    let k = keychain("binding");
    let (a, b) = (binding(1, "crm"), binding(2, "crm"));
    k.set(&a.account(SecretKind::Session), &Sensitive::from("jwt-a"))
        .unwrap();
    k.set(
        &a.account(SecretKind::Login),
        &Sensitive::from(r#"{"apiKey":"key-a"}"#),
    )
    .unwrap();
    k.set(&b.account(SecretKind::Session), &Sensitive::from("jwt-b"))
        .unwrap();
    assert_eq!(
        keychain::login_values(&k, &a).unwrap()["apiKey"],
        "key-a",
        "login values are read back by binding"
    );
    assert_eq!(keychain::delete_binding(&k, &a).unwrap(), 2);
    for kind in SecretKind::ALL {
        assert_eq!(k.get(&a.account(kind)).unwrap(), None);
    }
    assert_eq!(
        k.get(&b.account(SecretKind::Session))
            .unwrap()
            .unwrap()
            .expose(),
        "jwt-b",
        "another server's session is untouched"
    );
    assert_eq!(k.accounts().unwrap(), [b.account(SecretKind::Session)]);
    k.forget_all().unwrap();
}

#[test]
fn forget_everything_removes_every_entry_of_the_service_and_only_those() {
    let k = keychain("forget");
    let other = keychain("forget-other");
    let accounts = [
        binding(1, "a").account(SecretKind::Session),
        binding(1, "a").account(SecretKind::Login),
        binding(2, "a").account(SecretKind::Session),
        binding(6066, "sandbox").account(SecretKind::Session),
    ];
    for (i, a) in accounts.iter().enumerate() {
        k.set(a, &Sensitive::new(format!("secret-{i}"))).unwrap();
    }
    // Replacing an entry does not list it twice.
    k.set(&accounts[0], &Sensitive::from("secret-0b")).unwrap();
    assert_eq!(k.accounts().unwrap(), accounts);
    other.set("kept", &Sensitive::from("other-app")).unwrap();

    assert_eq!(k.forget_all().unwrap(), 4);
    for a in &accounts {
        assert_eq!(k.get(a).unwrap(), None, "{a} was forgotten");
    }
    assert!(k.accounts().unwrap().is_empty());
    assert_eq!(
        other.get("kept").unwrap().unwrap().expose(),
        "other-app",
        "another service's entries stay"
    );
    assert_eq!(k.forget_all().unwrap(), 0, "forgetting twice is fine");
    other.forget_all().unwrap();
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
        let forget = Keychain::new("switchboard-no-bus")
            .forget_all()
            .unwrap_err();
        assert!(
            matches!(forget, KeychainError::Unavailable { .. }),
            "{forget:?}"
        );
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

#[test]
fn a_restarted_secret_service_is_reached_again() {
    // The app runs for hours: when the Secret Service is restarted (a new login session, a
    // crashed daemon), the keychain must reach the new one instead of failing from then on. Run
    // in a child with its own bus and keyring, since restarting the service would disturb the
    // other tests.
    if std::env::var("SWITCHBOARD_RESTART_CHILD").is_err() {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/with-keyring.sh");
        let out = std::process::Command::new(script)
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_restarted_secret_service_is_reached_again",
                "--nocapture",
            ])
            .env("SWITCHBOARD_RESTART_CHILD", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the child read and wrote across the restart: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let k = keychain("restart");
    k.set("a", &Sensitive::from("before")).unwrap();
    assert_eq!(k.get("a").unwrap().unwrap().expose(), "before");
    // A new daemon replaces the running one (the password is the one scripts/with-keyring.sh uses).
    let restarted = std::process::Command::new("sh")
        .args([
            "-c",
            "printf %s switchboard-test-unlock | gnome-keyring-daemon --replace --unlock --components=secrets",
        ])
        .output()
        .unwrap();
    assert!(restarted.status.success(), "gnome-keyring-daemon restarted");
    // The new daemon may take a moment to own the bus name; without a new connection every
    // attempt would fail, however long this waits.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let value = loop {
        match k.get("a") {
            Ok(v) => break v,
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("not yet: {e}");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => panic!("the keychain stayed unreachable after the restart: {e}"),
        }
    };
    assert_eq!(
        value.unwrap().expose(),
        "before",
        "the stored entry outlives the daemon"
    );
    k.set("a", &Sensitive::from("after")).unwrap();
    assert_eq!(k.get("a").unwrap().unwrap().expose(), "after");
    k.forget_all().unwrap();
}
