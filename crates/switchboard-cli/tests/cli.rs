//! The built `switchboard` binary, end to end: a standalone sandbox it starts itself, the real
//! Secret Service of the test session (`scripts/with-keyring.sh`), and its output and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

mod support;

use support::{StandaloneSandbox, BIN};
const KEY: &str = "k3y-Sw1tchb0ard-cli-test";

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

fn run(args: &[&str], service: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SWITCHBOARD_KEYCHAIN_SERVICE", service)
        .env_remove("SWITCHBOARD_API_KEY")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn require_secret_service() {
    assert!(
        std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
        "these tests need a Secret Service: run them through `make test` or scripts/with-keyring.sh"
    );
}

#[test]
fn formats_prints_e164_and_each_expansion() {
    let o = run(
        &[
            "formats",
            "(415) 555-0100",
            "--region",
            "US",
            "-f",
            "(***) ***-****",
            "-f",
            "***-***-******",
        ],
        "unused",
    );
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(out.contains("+14155550100"), "{out}");
    assert!(
        out.contains("(415) 555-0100") && out.contains("415-555-0100**"),
        "{out}"
    );
    let o = run(
        &["formats", "+442071838750", "-f", "0## #### ####", "--json"],
        "unused",
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["number"]["significant"], "2071838750");
    assert_eq!(v["expansions"][0]["result"], "020 7183 8750");
}

#[test]
fn help_names_the_client_it_reproduces() {
    use switchboard_core::workbench::view::CLIENT_BEHAVIOUR;
    let o = run(&["--help"], "unused");
    assert!(o.status.success());
    let out = text(&o).0;
    assert!(
        out.contains(
            "Reproduces App Connect extension 1.6.6 (automatic placeholder rule from 1.7.0-beta)"
        ),
        "--help states the client version and the automatic rule's: {out}"
    );
    assert!(
        out.contains(CLIENT_BEHAVIOUR),
        "the same words as the app and the reports: {out}"
    );
    assert!(out.contains("docs/COMPATIBILITY.md"), "{out}");
}

#[test]
fn a_wrong_number_fails_with_the_fix_on_stderr() {
    // A local number is read in the app's default region (US) unless `--region ""` takes it away.
    let o = run(&["formats", "(415) 555-0100"], "unused");
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(text(&o).0.contains("+14155550100"), "{}", text(&o).0);
    let o = run(&["formats", "(415) 555-0100", "--region", ""], "unused");
    let (out, err) = text(&o);
    assert!(!o.status.success());
    assert!(out.is_empty());
    assert!(
        err.contains("no country code") && err.contains("default region"),
        "{err}"
    );
    let o = run(
        &[
            "formats", "+1 415", "-f", "a", "-f", "b", "-f", "c", "-f", "d",
        ],
        "unused",
    );
    assert!(text(&o).1.contains("At most 3"), "{}", text(&o).1);
}

#[test]
fn manifest_describes_every_reference_manifest() {
    for (file, platform, auth, types) in [
        ("bullhorn.json", "bullhorn", "oauth", 3),
        ("clio.json", "clio", "oauth", 2),
        ("insightly.json", "insightly", "apiKey", 2),
        ("pipedrive.json", "pipedrive", "oauth", 0),
        ("testCRM.json", "testCRM", "apiKey", 2),
    ] {
        let path = shared().join("manifests").join(file);
        let o = run(&["manifest", path.to_str().unwrap(), "--json"], "unused");
        assert!(o.status.success(), "{file}: {}", text(&o).1);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["platforms"][0]["name"], platform);
        assert_eq!(v["platforms"][0]["authType"], auth, "{file}");
        assert_eq!(
            v["platforms"][0]["contactTypes"].as_array().unwrap().len(),
            types,
            "{file}"
        );
    }
}

#[test]
fn a_broken_manifest_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\n  \"platforms\": {\n    \"x\": {,\n}").unwrap();
    let o = run(&["manifest", path.to_str().unwrap()], "unused");
    let err = text(&o).1;
    assert!(!o.status.success());
    assert!(err.contains("line 3, column 11"), "{err}");
    let o = run(&["manifest", "/nonexistent/m.json"], "unused");
    assert!(
        text(&o).1.contains("Could not read the manifest file"),
        "{}",
        text(&o).1
    );
}

fn service(name: &str) -> String {
    format!("switchboard-cli-test-{name}-{}", std::process::id())
}

fn secrets_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[test]
fn login_find_create_log_through_the_standalone_sandbox() {
    require_secret_service();
    let sb = StandaloneSandbox::start(KEY, &[]);
    let svc = service("flow");
    let home = tempfile::tempdir().unwrap();
    let server = sb.url.as_str();
    let transcript = std::cell::RefCell::new(String::new());
    let go = |args: &[&str]| {
        let mut full = vec!["--server", server];
        full.extend_from_slice(args);
        let o = Command::new(BIN)
            .args(&full)
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &svc)
            .env("HOME", home.path())
            .output()
            .unwrap();
        let (out, err) = text(&o);
        transcript.borrow_mut().push_str(&out);
        transcript.borrow_mut().push_str(&err);
        assert!(o.status.success(), "{args:?} failed: {err}");
        out
    };

    let out = go(&["login", "--api-key", KEY]);
    assert!(
        out.contains(&format!(
            "Signed in to Sandbox CRM (sandbox at {server}) as Sandbox Demo User"
        )),
        "the sign-in names the server the session is bound to: {out}"
    );

    let out = go(&["find", "+14155550123", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["contact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Katherine Johnson",
            "Dorothy Vaughan",
            "Create new contact..."
        ]
    );

    let out = go(&["find", "+16502530000", "-f", "(***) ***-****"]);
    assert!(
        out.contains("Grace Hopper (contact - 102)")
            || out.contains("Grace Hopper  (contact - 102)"),
        "{out}"
    );

    let out = go(&["find", "+1 202 555 0188"]);
    assert!(out.contains("No contact found. Enter a name"), "{out}");

    let out = go(&[
        "create",
        "+1 202 555 0188",
        "--name",
        "Pat Placeholder",
        "--type",
        "lead",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = v["contact"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["contact"]["type"], "lead");

    let out = go(&[
        "log",
        "+12025550188",
        "--contact",
        &id,
        "--contact-name",
        "Pat Placeholder",
        "--session",
        "cli-s1",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["logId"].as_str().unwrap().starts_with("log-"));

    let out = go(&["find", "+12025550188", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["contact"][0]["id"],
        id.as_str(),
        "the placeholder is found afterwards"
    );

    // The session token is in the keychain, never in output or under HOME.
    let account = format!("session:sandbox@{}", server.trim_end_matches('/'));
    let jwt = Command::new("secret-tool")
        .args(["lookup", "service", &svc, "username", &account])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    let jwt = String::from_utf8_lossy(&jwt.stdout).trim().to_owned();
    assert!(
        jwt.starts_with("eyJ"),
        "the session JWT was stored in the Secret Service"
    );
    assert!(
        !transcript.borrow().contains(&jwt),
        "the JWT never appears in output"
    );
    assert!(
        !transcript.borrow().contains(KEY),
        "the API key never appears in output"
    );
    assert!(
        secrets_in(home.path()).is_empty(),
        "nothing is written under HOME: {:?}",
        secrets_in(home.path())
    );

    let out = go(&["logout"]);
    assert!(out.contains("Signed out"), "{out}");
    let o = run(&["--server", server, "find", "+14155550100"], &svc);
    assert!(text(&o).1.contains("Not signed in"), "{}", text(&o).1);

    // "Forget everything" removes every entry the service holds.
    go(&["login", "--api-key", KEY]);
    let out = go(&["forget-all"]);
    assert!(out.contains("Forgot 1 stored secret"), "{out}");
    let o = run(&["--server", server, "find", "+14155550100"], &svc);
    assert!(text(&o).1.contains("Not signed in"), "{}", text(&o).1);
    let left = Command::new("secret-tool")
        .args(["search", "--all", "service", &svc])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "no entry is left");
}

#[test]
fn a_wrong_key_is_refused_and_nothing_is_stored() {
    require_secret_service();
    let sb = StandaloneSandbox::start(KEY, &[]);
    let svc = service("wrongkey");
    let o = run(
        &["--server", &sb.url, "login", "--api-key", "not-the-key"],
        &svc,
    );
    let err = text(&o).1;
    assert!(!o.status.success());
    assert!(err.contains("API key was not accepted"), "{err}");
    let o = run(&["--server", &sb.url, "find", "+14155550100"], &svc);
    assert!(text(&o).1.contains("Not signed in"));
}

#[test]
fn no_secret_service_is_a_clear_error_not_a_plaintext_fallback() {
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args(["--server", "http://127.0.0.1:9", "login", "--api-key", KEY])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/switchboard-bus",
        )
        .env_remove("DISPLAY")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .output()
        .unwrap();
    let err = text(&o).1;
    assert!(!o.status.success());
    assert!(
        err.contains("keychain is not available") && err.contains("gnome-keyring"),
        "{err}"
    );
    assert!(!err.contains(KEY));
    assert!(
        secrets_in(home.path()).is_empty(),
        "no fallback file was written"
    );
}

#[test]
fn manifest_check_lists_findings_and_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        "{\n \"serverUrl\": \"https://x.example.com/\",\n \"platforms\": {\n  \"x\": {\"name\": \"y\", \"auth\": {\"type\": \"apiKey\"}, \"contactTypes\": [{\"id\": 1, \"name\": \"Lead\"}]}\n }\n}\n",
    )
    .unwrap();
    let o = run(&["manifest", "check", path.to_str().unwrap()], "unused");
    let (out, err) = text(&o);
    assert!(
        !o.status.success(),
        "errors make the check fail, for manifest authors' CI"
    );
    assert!(
        out.contains(":4:17: error[platform-name] platforms.x.name"),
        "{out}"
    );
    assert!(
        out.contains("error[contact-type-shape] platforms.x.contactTypes[0]"),
        "{out}"
    );
    assert!(out.contains("warning[server-url]"), "{out}");
    assert!(out.contains("3 errors, 2 warnings."), "{out}");
    assert!(err.contains("3 errors found"), "{err}");

    let o = run(
        &["manifest", "check", path.to_str().unwrap(), "--json"],
        "unused",
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"api-key-page") && rules.contains(&"platform-name"),
        "{rules:?}"
    );

    for file in [
        "bullhorn.json",
        "clio.json",
        "insightly.json",
        "pipedrive.json",
        "testCRM.json",
    ] {
        let p = shared().join("manifests").join(file);
        let o = run(&["manifest", "check", p.to_str().unwrap()], "unused");
        assert!(o.status.success(), "{file}: {}", text(&o).0);
    }
}

#[test]
fn a_closed_pipe_ends_quietly_instead_of_panicking() {
    let path = shared().join("manifests/clio.json");
    let args = ["manifest", path.to_str().unwrap()];
    let normal = run(&args, "unused");
    assert!(
        normal.status.success() && !normal.stdout.is_empty(),
        "the command prints something: {:?}",
        text(&normal)
    );

    // Deterministic, unlike closing our end of a `Stdio::piped()` after spawning (the child may
    // have written everything into the pipe buffer by then and never meet a closed pipe): the
    // read end is closed before the child exists (and is close-on-exec, so no other child keeps
    // it), so no reader remains and the child's first write to stdout fails with EPIPE, whatever
    // the scheduling. Rust ignores SIGPIPE, so the error reaches the program, where a plain
    // `println!` would panic and exit 101; the run above shows there is output to write.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(BIN)
        .args(args)
        .env("SWITCHBOARD_KEYCHAIN_SERVICE", "unused")
        .env_remove("SWITCHBOARD_API_KEY")
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {err}", out.status.code());
    assert!(!err.contains("panicked"), "{err}");
}

/// Every item the Secret Service holds for `svc`, as libsecret's `secret-tool` lists them (the
/// index cannot hide an entry from this count).
fn items_in_service(svc: &str) -> usize {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", svc])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("[/"))
        .count()
}

#[test]
fn concurrent_sign_ins_are_all_indexed_and_forget_all_leaves_nothing() {
    require_secret_service();
    const N: usize = 8;
    // One server each, so every sign-in writes its own session entry and updates the index.
    let servers: Vec<StandaloneSandbox> =
        (0..N).map(|_| StandaloneSandbox::start(KEY, &[])).collect();
    let svc = service("concurrent");
    let children: Vec<Child> = servers
        .iter()
        .map(|sb| {
            Command::new(BIN)
                .args(["--server", &sb.url, "login", "--api-key", KEY])
                .env("SWITCHBOARD_KEYCHAIN_SERVICE", &svc)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary runs")
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "a concurrent sign-in failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let index = Command::new("secret-tool")
        .args(["lookup", "service", &svc, "username", "switchboard:index"])
        .output()
        .unwrap();
    let names: Vec<String> =
        serde_json::from_slice(&index.stdout).expect("the index is a JSON list");
    assert_eq!(
        names.len(),
        N,
        "every concurrent sign-in is in the index, none lost to another's update: {names:?}"
    );
    assert_eq!(items_in_service(&svc), N + 1, "N sessions and the index");

    let o = run(&["forget-all"], &svc);
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(
        text(&o).0.contains(&format!("Forgot {N} stored secrets")),
        "{}",
        text(&o).0
    );
    assert_eq!(
        items_in_service(&svc),
        0,
        "forget-all leaves nothing in the Secret Service"
    );
}
