//! Scenarios with a session instead of login values (`session:`), end to end through the built
//! binary: the session `switchboard login` stored in the OS keychain for the server and platform
//! (`session: keychain`), and a session token from the environment (`session: { jwt: ... }`),
//! against the sandbox and, for an OAuth platform (which a scenario cannot sign in to), against
//! the real `@app-connect/core` framework of tests/conformance. No report, and neither output
//! stream, may show the token. The keychain tests need a Secret Service
//! (`scripts/with-keyring.sh`).

mod support;

use std::process::{Command, Output, Stdio};

use support::scenario_run::Run;
use support::{Framework, StandaloneSandbox, BIN};
use switchboard_core::keychain::{Binding, Keychain, SecretKind, SecretStore as _};

const KEY: &str = "k3y-Sw1tchb0ard-session-test";

fn require_secret_service() {
    assert!(
        std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
        "this test needs a Secret Service: run it through `make test` or scripts/with-keyring.sh"
    );
}

/// The binary with a keychain service of its own.
fn cli(service: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SWITCHBOARD_KEYCHAIN_SERVICE", service)
        .env_remove("SWITCHBOARD_API_KEY")
        .env_remove("SWITCHBOARD_MANIFEST")
        .env_remove("SWITCHBOARD_SERVER")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// Deletes what a test stored in its keychain service, however it ends.
struct Forget(String);

impl Drop for Forget {
    fn drop(&mut self) {
        let _ = cli(&self.0, &["forget-all"]);
    }
}

/// The session stored for `server` and `platform` under `service`, as `switchboard login` left it.
fn stored_session(service: &str, server: &str, platform: &str) -> String {
    let account = Binding::new(server, platform, None)
        .unwrap()
        .account(SecretKind::Session);
    Keychain::new(service)
        .get(&account)
        .unwrap()
        .unwrap_or_else(|| panic!("a session is stored under {account}"))
        .expose()
        .clone()
}

const STEPS: &str = "steps:
  - find: \"+14155550100\"
    expect: { contacts: 1, names: [\"Ada Lovelace\"] }
  - batch: [\"+14155550100\", \"+12125550199\"]
    expect: { errors: 0 }
";

#[test]
fn session_keychain_uses_what_switchboard_login_stored() {
    require_secret_service();
    let sb = StandaloneSandbox::start(KEY, &[]);
    let service = format!("switchboard-session-test-keychain-{}", std::process::id());
    let _forget = Forget(service.clone());
    let run = Run::new();
    let file = run.write(
        "keychain.yaml",
        &format!("manifest: sandbox.json\nserver: ${{SB_URL}}\nsession: keychain\n{STEPS}"),
    );
    let env = [
        ("SB_URL", sb.url.as_str()),
        ("SWITCHBOARD_KEYCHAIN_SERVICE", service.as_str()),
    ];

    // Nothing stored yet: every step is "Not run", and the message names the login to run.
    let r = run.test(&[&file], &env);
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stdout());
    let error = r.json["scenarios"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("no session is stored in the OS keychain for sandbox at"),
        "{error}"
    );
    // The login command, between backticks: this scenario's manifest and server.
    let login = error
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("a command in backticks: {error}"))
        .to_owned();
    let manifest = run.dir.path().join("sandbox.json");
    assert_eq!(
        login,
        format!(
            "switchboard --manifest {} --server {} login --api-key <key>",
            manifest.display(),
            sb.url
        )
    );
    assert_eq!((r.junit.tests, r.junit.errors), (2, 2), "{}", r.junit_text);
    assert!(
        r.junit
            .case("1. find")
            .error
            .as_deref()
            .is_some_and(|e| e.contains("Not run: no session is stored")),
        "{}",
        r.junit_text
    );
    assert!(r.stdout().contains(&login), "{}", r.stdout());

    // The login the message names, then the same scenario passes on that session.
    let words: Vec<&str> = login
        .split_whitespace()
        .skip(1)
        .map(|w| if w == "<key>" { KEY } else { w })
        .collect();
    let o = cli(&service, &words);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let token = stored_session(&service, &sb.url, "sandbox");
    let accounts = Keychain::new(&service).accounts().unwrap();
    let r = run.test(&[&file], &env);
    r.assert_exit(0);
    assert_eq!((r.junit.tests, r.junit.failures, r.junit.errors), (2, 0, 0));
    r.assert_no_secrets(&token);
    assert_eq!(
        Keychain::new(&service).accounts().unwrap(),
        accounts,
        "the scenario only reads the keychain"
    );
    assert_eq!(stored_session(&service, &sb.url, "sandbox"), token);

    // Another server has no session of its own: the stored one is not sent there.
    let other = StandaloneSandbox::start(KEY, &[]);
    let env = [
        ("SB_URL", other.url.as_str()),
        ("SWITCHBOARD_KEYCHAIN_SERVICE", service.as_str()),
    ];
    let r = run.test(&[&file], &env);
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stdout());
    assert!(
        r.stdout()
            .contains(&format!("--server {} login --api-key <key>", other.url)),
        "{}",
        r.stdout()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_jwt_comes_from_the_environment_and_is_never_shown() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    // A session token as the client gets one: the sandbox's POST /apiKeyLogin.
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/apiKeyLogin", sb.url))
        .json(&serde_json::json!({"platform": "sandbox", "apiKey": KEY}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwt = answer["jwtToken"].as_str().unwrap().to_owned();
    let run = Run::new();
    // The last step fails on purpose, so the reports carry a failure with its exchanges.
    let file = run.write(
        "jwt.yaml",
        &format!(
            "manifest: sandbox.json\nserver: ${{SB_URL}}\nsession: {{ jwt: ${{APP_CONNECT_JWT}} }}\n{STEPS}  - find: \"+14155550100\"\n    expect: {{ contacts: 5 }}\n"
        ),
    );
    let env = [
        ("SB_URL", sb.url.as_str()),
        ("APP_CONNECT_JWT", jwt.as_str()),
    ];
    let r = run.test(&[&file], &env);
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stdout());
    assert_eq!(
        (r.junit.tests, r.junit.failures, r.junit.errors),
        (3, 1, 0),
        "the session works; only the deliberate expectation fails: {}",
        r.junit_text
    );
    let failure = r.junit.case("3. find").failure.clone().unwrap_or_default();
    assert!(
        failure.contains("GET ") && failure.contains("/contact"),
        "the failure carries its exchange: {failure}"
    );
    r.assert_no_secrets(&jwt);

    // A token the server refuses: the lookups fail, and the token is still never shown.
    let refused = "not-a-session-token-0123456789";
    let env = [("SB_URL", sb.url.as_str()), ("APP_CONNECT_JWT", refused)];
    let r = run.test(&[&file], &env);
    assert_eq!(r.output.status.code(), Some(1));
    assert!(
        r.junit.case("1. find").failure.is_some(),
        "{}",
        r.junit_text
    );
    r.assert_no_secrets(refused);
}

/// An OAuth platform: sign in once through the browser (`switchboard login --paste`), then a
/// scenario runs on that session from the keychain, and on the same token given as a JWT.
#[tokio::test(flavor = "multi_thread")]
async fn an_oauth_platform_runs_on_a_stored_session_or_a_jwt() {
    require_secret_service();
    let fw = Framework::start(&[(
        "APP_SERVER_SECRET_KEY",
        "switchboard-session-oauth-secret-0123456789",
    )]);
    let service = format!("switchboard-session-test-oauth-{}", std::process::id());
    let _forget = Forget(service.clone());
    let manifest = fw.manifest();
    let run = Run::new();
    let scenario = |session: &str| {
        format!(
            "manifest: ${{FW_MANIFEST}}\nplatform: sandboxOauth\n{session}\nsteps:
  - find: \"+14155550100\"
    expect: {{ contacts: 1, names: [\"Ada Lovelace\"] }}
"
        )
    };
    let env = [
        ("FW_MANIFEST", manifest.as_str()),
        ("SWITCHBOARD_KEYCHAIN_SERVICE", service.as_str()),
    ];

    // Login values cannot sign in to OAuth: the message says what to do instead.
    let file = run.write(
        "oauth-login.yaml",
        &scenario("login: { apiKey: not-for-oauth }"),
    );
    let r = run.test(&[&file], &env);
    assert_eq!(r.output.status.code(), Some(1));
    let error = r.json["scenarios"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("signs in with OAuth")
            && error.contains(&format!(
                "switchboard --manifest {manifest} --platform sandboxOauth login"
            ))
            && error.contains("session: keychain"),
        "{error}"
    );

    // The browser sign-in, pasted (as tests/login_oauth.rs drives it).
    let mut login = Command::new(BIN)
        .args([
            "--manifest",
            &manifest,
            "--platform",
            "sandboxOauth",
            "login",
            "--paste",
        ])
        .env("SWITCHBOARD_KEYCHAIN_SERVICE", &service)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(login.stdout.as_mut().unwrap()),
        &mut first,
    )
    .unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(first.trim()).send().await.unwrap();
    let landing = answer.headers()["location"].to_str().unwrap().to_owned();
    std::io::Write::write_all(
        login.stdin.as_mut().unwrap(),
        format!("{landing}\n").as_bytes(),
    )
    .unwrap();
    drop(login.stdin.take());
    let o = login.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let file = run.write("oauth-keychain.yaml", &scenario("session: keychain"));
    let r = run.test(&[&file], &env);
    r.assert_exit(0);
    let token = stored_session(&service, &fw.url, "sandboxOauth");
    r.assert_no_secrets(&token);

    // The same token from the environment, with an empty keychain service.
    let file = run.write(
        "oauth-jwt.yaml",
        &scenario("session: { jwt: ${APP_CONNECT_JWT} }"),
    );
    let env = [
        ("FW_MANIFEST", manifest.as_str()),
        ("APP_CONNECT_JWT", token.as_str()),
    ];
    let r = run.test(&[&file], &env);
    r.assert_exit(0);
    r.assert_no_secrets(&token);
}
