//! `switchboard flow`, `verify`, `log` and `--json` output against the standalone sandbox, with
//! the real Secret Service of the test session (`scripts/with-keyring.sh`).

use std::process::{Command, Output};

mod support;

use serde_json::{json, Value};
use support::{Framework, StandaloneSandbox, BIN};

const KEY: &str = "k3y-Sw1tchb0ard-flow-test";

struct Cli {
    server: String,
    /// Flags given to every command (e.g. `--manifest`).
    flags: Vec<String>,
    service: String,
    _home: tempfile::TempDir,
}

impl Cli {
    fn new(sb: &StandaloneSandbox, name: &str) -> Self {
        Self::with(&sb.url, KEY, name, &[])
    }

    /// Signed in with `key` at `server`, with `flags` on every command.
    fn with(server: &str, key: &str, name: &str, flags: &[&str]) -> Self {
        assert!(
            std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
            "these tests need a Secret Service: run them through `make test` or scripts/with-keyring.sh"
        );
        let cli = Self {
            server: server.to_owned(),
            flags: flags.iter().map(|f| (*f).to_owned()).collect(),
            service: format!("switchboard-cli-flow-{name}-{}", std::process::id()),
            _home: tempfile::tempdir().unwrap(),
        };
        let o = cli.run(&["login", "--api-key", key]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        cli
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(["--server", &self.server])
            .args(&self.flags)
            .args(args)
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
            .env("HOME", self._home.path())
            .output()
            .expect("the binary runs")
    }

    /// Runs with --json; the exit status and the one JSON document on stdout.
    fn json(&self, args: &[&str]) -> (bool, Value) {
        let mut full = args.to_vec();
        full.push("--json");
        let o = self.run(&full);
        let out = String::from_utf8_lossy(&o.stdout);
        let v = serde_json::from_str(&out).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not one JSON document ({e}): {out}\nstderr: {}",
                String::from_utf8_lossy(&o.stderr)
            )
        });
        (o.status.success(), v)
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = Command::new(BIN)
            .arg("forget-all")
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
            .output();
    }
}

#[test]
fn flow_runs_the_clients_one_save_then_verifies() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    let cli = Cli::new(&sb, "save");
    let (ok, v) = cli.json(&[
        "flow",
        "+12025550177",
        "--name",
        "Flow Person",
        "--session",
        "flow-s1",
        "-f",
        "(***) ***-****",
    ]);
    assert!(ok, "{v:#}");
    assert_eq!(v["verified"], true);
    assert_eq!(
        v["client"],
        "App Connect extension 1.6.6 (automatic placeholder rule from 1.7.0-beta)"
    );
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["lookup", "create", "log", "verify"]);
    let create = &v["steps"][1]["requests"][0];
    assert_eq!(create["method"], "POST");
    assert_eq!(
        create["requestBody"]["newContactType"], "",
        "no type picked and no defaultContactType: the empty string"
    );
    let id = create["answer"]["contact"]["id"].clone();
    let log = &v["steps"][2]["requests"][0]["requestBody"];
    assert_eq!(log["contactId"], id, "the created id, in its JSON type");
    assert_eq!(log["contactName"], "Flow Person");
    assert_eq!(log["overridingFormat"], json!(["(***) ***-****"]));
    assert_eq!(
        log["logInfo"]["customSubject"],
        "Inbound call from Flow Person"
    );
    assert_eq!(v["steps"][2]["messageSource"], "server");

    // Verify on its own: the contact is found and the session is logged.
    let o = cli.run(&["verify", "+12025550177", "--session", "flow-s1"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("Verified"), "{out}");
    let (ok, v) = cli.json(&["verify", "+12025550177", "--session", "never-logged"]);
    assert!(!ok, "an unknown session fails the verification");
    assert_eq!(v["verified"], false);
    assert!(
        v["steps"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("does not report session never-logged"),
        "{v:#}"
    );
}

/// What the real framework's test connector received (createContact and createCallLog).
fn received(fw: &Framework) -> Value {
    let url = format!("{}/_test/received", fw.url);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}

/// Extension 1.6.6's form starts with values (SPEC §6): a shown selection's first option, a
/// checkbox's and an input's defaultValue. An untouched `flow` sends them, as the client's Save
/// does, and `--field` replaces them (a default-true box set to false is dropped). Checked in what
/// the real framework's test connector received.
#[test]
fn flow_sends_the_forms_starting_values_and_fields_replace_them() {
    let key = "fw-K3y-flow-defaults-7c1e";
    let fw = Framework::start(&[("CONFORMANCE_API_KEY", key)]);
    // The framework's manifest, with a defaultValue for the Ticket input.
    let mut manifest: Value =
        serde_json::from_str(include_str!("../../../manifests/sandbox.json")).unwrap();
    let ticket = &mut manifest["platforms"]["sandbox"]["page"]["callLog"]["additionalFields"][2];
    assert_eq!(ticket["const"], "ticket");
    ticket["defaultValue"] = json!("SUP-7");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    let cli = Cli::with(
        &fw.url,
        key,
        "defaults",
        &["--manifest", path.to_str().unwrap()],
    );
    // The test connector's create row for these numbers lists two deals and has Billable's key.
    let (ok, v) = cli.json(&[
        "flow",
        "+12025550912",
        "--name",
        "Form Defaults",
        "--session",
        "defaults-s1",
    ]);
    assert!(ok, "{v:#}");
    let (ok, v) = cli.json(&[
        "flow",
        "+12025550913",
        "--name",
        "Form Fields",
        "--session",
        "defaults-s2",
        "--field",
        "deals=D-NEW-2",
        "--field",
        "billable=false",
    ]);
    assert!(ok, "{v:#}");
    let got = received(&fw);
    let sent = |list: &str| -> Vec<Value> {
        got[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["additionalSubmission"].clone())
            .collect()
    };
    let untouched = json!({"deals": "D-NEW-1", "billable": true, "ticket": "SUP-7"});
    let changed = json!({"deals": "D-NEW-2", "ticket": "SUP-7"});
    assert_eq!(sent("creates"), [untouched.clone(), changed.clone()]);
    assert_eq!(sent("logs"), [untouched, changed]);
}

#[test]
fn flow_refuses_a_known_number_and_an_unknown_type() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    let cli = Cli::new(&sb, "refuse");
    let (ok, v) = cli.json(&["flow", "+14155550100", "--name", "X"]);
    assert!(!ok);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already matches"),
        "{v:#}"
    );
    assert_eq!(v["steps"].as_array().unwrap().len(), 1, "only the lookup");
    let o = cli.run(&["flow", "+12025550178", "--name", "X", "--type", "martian"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("\"martian\" is not a contact type"), "{err}");
}

#[test]
fn json_errors_are_json_on_stdout() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    let cli = Cli::new(&sb, "errors");
    let (ok, v) = cli.json(&["find", "not a number"]);
    assert!(!ok);
    assert_eq!(v["error"]["code"], "PhoneInvalid", "{v:#}");
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
}

#[test]
fn find_json_prints_the_answer_as_sent() {
    let sb = StandaloneSandbox::start(KEY, &["--quirk", "contact-as-object"]);
    let cli = Cli::new(&sb, "raw");
    let (ok, v) = cli.json(&["find", "+14155550100"]);
    assert!(ok, "{v:#}");
    assert!(
        v["contact"].is_object(),
        "the server's shape, not the decoded list: {v:#}"
    );
    assert!(
        v["lints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rule"] == "contact-not-array"),
        "{v:#}"
    );
}

#[test]
fn log_takes_the_contact_from_the_lookup() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    let cli = Cli::new(&sb, "log");
    let (_, found) = cli.json(&["find", "+14155550100"]);
    let id = found["contact"][0]["id"].as_str().unwrap().to_owned();
    let (ok, v) = cli.json(&[
        "log",
        "+14155550100",
        "--contact",
        &id,
        "--session",
        "log-s1",
    ]);
    assert!(ok, "{v:#}");
    let (ok, _) = cli.json(&[
        "verify",
        "+14155550100",
        "--session",
        "log-s1",
        "--contact",
        &id,
    ]);
    assert!(ok, "the call is logged against the looked-up contact");
    let o = cli.run(&["log", "+14155550100", "--contact", "no-such-id"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("is not among the contacts the connector returns") && err.contains(&id),
        "{err}"
    );
}
