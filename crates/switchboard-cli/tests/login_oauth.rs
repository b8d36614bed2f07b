//! `switchboard login` for an OAuth manifest, end to end: a connector server on the real
//! `@app-connect/core` framework with its fake OAuth authorization server on loopback
//! (tests/conformance/server.js, platform `sandboxOauth`), the built binary waiting on its loopback
//! listener, a "browser" (reqwest, following redirects) that signs in at the authorization server,
//! and the real Secret Service of the test session (`scripts/with-keyring.sh`). Then `find` uses
//! the session the login stored, as it would use one stored by the app.

mod support;

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{Framework, StandaloneSandbox, BIN};

const SECRET: &str = "switchboard-cli-login-oauth-secret-0123456789";
const PLATFORM: &str = "sandboxOauth";

/// The binary with a keychain service of its own, so runs never see each other's sessions.
fn cli(service: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env("SWITCHBOARD_KEYCHAIN_SERVICE", service)
        .env_remove("SWITCHBOARD_API_KEY")
        .env_remove("SWITCHBOARD_MANIFEST")
        .env_remove("SWITCHBOARD_SERVER");
    c
}

fn run(service: &str, args: &[&str]) -> Output {
    cli(service).args(args).output().expect("the binary runs")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn require_secret_service() {
    assert!(
        std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
        "these tests need a Secret Service: run them through `make test` or scripts/with-keyring.sh"
    );
}

/// A `switchboard login` in the background: its first stdout line is the authorize URL.
struct Login {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Login {
    fn start(service: &str, args: &[&str]) -> (Self, String) {
        let mut child = cli(service)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("login printed no authorize URL"));
        (Self { child, lines }, url)
    }

    /// Waits (at most 60 s, far below the CLI's own 5-minute wait) for the login to end.
    fn finish(mut self) -> (bool, String, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("switchboard login did not end within 60 s of the browser's redirect");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let rest: Vec<String> = self.lines.by_ref().map_while(Result::ok).collect();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr).unwrap();
        (status.success(), rest.join("\n"), stderr)
    }
}

/// A free port on 127.0.0.1 now (bound to port 0, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_signs_in_through_the_browser_and_find_uses_the_session() {
    require_secret_service();
    let fw = Framework::start(&[("APP_SERVER_SECRET_KEY", SECRET)]);
    let service = format!("switchboard-cli-oauth-{}", std::process::id());
    let manifest = fw.manifest();
    let common = ["--manifest", manifest.as_str(), "--platform", PLATFORM];

    // No session yet: the error names the OAuth login with this manifest's flags, not an API key.
    let o = run(&service, &[&common[..], &["find", "+14155550100"]].concat());
    assert!(!o.status.success());
    let e = err(&o);
    assert!(
        e.contains(&format!(
            "switchboard --manifest {manifest} --platform {PLATFORM} login"
        )),
        "the fix is the exact login command: {e}"
    );
    assert!(
        !e.contains("--api-key"),
        "an OAuth manifest is not sent to --api-key: {e}"
    );
    assert!(e.contains("--port"), "{e}");

    // An API key makes no sense here, and says so before anything is sent.
    let o = run(
        &service,
        &[&common[..], &["login", "--api-key", "nope"]].concat(),
    );
    assert!(!o.status.success());
    assert!(err(&o).contains("signs in with OAuth"), "{}", err(&o));

    // The loopback sign-in on a chosen port.
    let port = free_port();
    let (login, url) = Login::start(
        &service,
        &[&common[..], &["login", "--port", &port.to_string()]].concat(),
    );
    let redirect = format!("http://127.0.0.1:{port}/landing");
    let parsed = url::Url::parse(&url).unwrap_or_else(|e| panic!("{e}: {url:?}"));
    let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.as_str());
    assert_eq!(
        get("redirect_uri"),
        Some(redirect.as_str()),
        "the redirect keeps the manifest redirect URI's path, on the chosen port: {url}"
    );
    assert_eq!(get("state"), Some("platform=sandboxOauth"));
    assert_eq!(get("scope"), Some("contacts.read"));

    // The browser: the authorization server redirects it to the CLI's listener.
    let landing = reqwest::get(&url).await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(
        landing.url().as_str().starts_with(&redirect),
        "the browser ended on the CLI's loopback listener: {}",
        landing.url()
    );
    assert!(landing.text().await.unwrap().contains("Signed in"));
    let (ok, stdout, stderr) = login.finish();
    assert!(ok, "login failed: {stderr}");
    assert!(
        stdout.contains("Signed in to Sandbox CRM (OAuth)") && stdout.contains("OAuth Demo User"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Open this address in a browser"),
        "{stderr}"
    );

    // The session is in the keychain under this server and platform: find uses it.
    let o = run(
        &service,
        &[&common[..], &["find", "+14155550100", "--json"]].concat(),
    );
    assert!(
        o.status.success(),
        "find with the stored session: {}",
        err(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["contact"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.contains(&"101"), "the seeded contact is found: {v}");

    // Sign out (the framework's /unAuthorize), then no session again.
    let o = run(&service, &[&common[..], &["logout"]].concat());
    assert!(o.status.success(), "{}", err(&o));
    let o = run(&service, &[&common[..], &["find", "+14155550100"]].concat());
    assert!(!o.status.success(), "signed out: {}", out(&o));

    // --paste: no listener; the browser ends on the manifest's redirect URI, whose address is
    // pasted on standard input (never in the process list).
    let (mut login, url) = Login::start(&service, &[&common[..], &["login", "--paste"]].concat());
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("/landing?") && location.contains("code="),
        "{location}"
    );
    let mut stdin = login.child.stdin.take().unwrap();
    writeln!(stdin, "{location}").unwrap();
    drop(stdin);
    let (ok, stdout, stderr) = login.finish();
    assert!(ok, "pasted login failed: {stderr}");
    assert!(stdout.contains("OAuth Demo User"), "{stdout}");
    let o = run(&service, &[&common[..], &["find", "+14155550100"]].concat());
    assert!(o.status.success(), "{}", err(&o));

    let o = run(&service, &["forget-all"]);
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn a_taken_port_is_named_before_any_browser_is_involved() {
    let fw = Framework::start(&[("APP_SERVER_SECRET_KEY", SECRET)]);
    let manifest = fw.manifest();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let o = run(
        "switchboard-cli-oauth-port-unused",
        &[
            "--manifest",
            &manifest,
            "--platform",
            PLATFORM,
            "login",
            "--port",
            &port,
        ],
    );
    assert!(!o.status.success());
    assert!(
        err(&o).contains(&format!("Port {port} on 127.0.0.1 is taken")),
        "{}",
        err(&o)
    );
    assert!(out(&o).is_empty(), "no address to open: {}", out(&o));
}

#[test]
fn an_api_key_manifest_is_sent_to_login_with_its_flags() {
    require_secret_service();
    let sb = StandaloneSandbox::start("k3y-login-hint", &[]);
    let service = format!("switchboard-cli-apikey-hint-{}", std::process::id());
    let o = run(&service, &["--server", &sb.url, "find", "+14155550100"]);
    assert!(!o.status.success());
    let e = err(&o);
    assert!(
        e.contains(&format!(
            "switchboard --server {} login --api-key <key>",
            sb.url
        )),
        "{e}"
    );
    // `login` without a key says what is missing instead of clap's bare usage line.
    let o = run(&service, &["--server", &sb.url, "login"]);
    assert!(!o.status.success());
    assert!(err(&o).contains("add --api-key"), "{}", err(&o));
    let o = run(&service, &["--server", &sb.url, "login", "--port", "1"]);
    assert!(err(&o).contains("not OAuth"), "{}", err(&o));
}
