//! Mirror mode's contact cache (App Connect extension 1.6.6: a number that matched a real contact
//! is answered from the client's cache, without a request) end to end: `switchboard batch` and a
//! scenario's batch step against a standalone sandbox, behind a loopback proxy that counts the
//! `GET /contact` requests that really reach the server, per number. The CLI's batch signs in
//! through the keychain, so that test needs a Secret Service (`scripts/with-keyring.sh`).

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use support::scenario_run::Run;
use support::{StandaloneSandbox, BIN};

const KEY: &str = "k3y-Sw1tchb0ard-cache-test";
/// Ada Lovelace in the sandbox's seed.
const ADA: &str = "+14155550100";
/// No contact has it: the answer is only the create row.
const NOBODY: &str = "+12125550199";

/// A TCP proxy in front of the sandbox that counts the findContact requests passing through it,
/// by the `phoneNumber` they ask for. Its threads end with their connections.
struct CountingProxy {
    url: String,
    lookups: Arc<Mutex<HashMap<String, usize>>>,
}

impl CountingProxy {
    fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let lookups = Arc::new(Mutex::new(HashMap::new()));
        let counts = lookups.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (mut from_server, mut to_client) =
                    (server.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Write);
                });
                let counts = counts.clone();
                std::thread::spawn(move || forward_counting(client, server, &counts));
            }
        });
        Self { url, lookups }
    }

    /// How many lookups of `number` reached the server so far.
    fn lookups_of(&self, number: &str) -> usize {
        self.lookups
            .lock()
            .unwrap()
            .get(number)
            .copied()
            .unwrap_or(0)
    }
}

/// Copies the client's bytes to the server, counting each `GET /contact?` request line.
fn forward_counting(
    mut client: TcpStream,
    mut server: TcpStream,
    counts: &Mutex<HashMap<String, usize>>,
) {
    let mut buf = [0u8; 8192];
    let mut pending = String::new();
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
        pending.push_str(&String::from_utf8_lossy(&buf[..n]));
        while let Some(end) = pending.find("\r\n") {
            let line: String = pending.drain(..end + 2).collect();
            // A body without a line break may stand before the request line: search, not prefix.
            let Some(at) = line.find("GET /contact?") else {
                continue;
            };
            let target = line[at + 4..].split(' ').next().unwrap_or("");
            let number = url::Url::parse(&format!("http://proxy{target}"))
                .ok()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "phoneNumber")
                        .map(|(_, v)| v.into_owned())
                })
                .unwrap_or_default();
            *counts.lock().unwrap().entry(number).or_default() += 1;
        }
    }
    let _ = server.shutdown(Shutdown::Write);
}

/// The sandbox behind the proxy, signed in to through the proxy (the session is bound to the
/// address the CLI talks to) with a keychain service of its own.
struct Target {
    _sandbox: StandaloneSandbox,
    proxy: CountingProxy,
    service: String,
    dir: tempfile::TempDir,
}

impl Target {
    fn start() -> Self {
        assert!(
            std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
            "this test needs a Secret Service: run it through `make test` or scripts/with-keyring.sh"
        );
        let sandbox = StandaloneSandbox::start(KEY, &[]);
        let proxy = CountingProxy::start(&sandbox.url);
        let t = Self {
            _sandbox: sandbox,
            proxy,
            service: format!("switchboard-cache-test-{}", std::process::id()),
            dir: tempfile::tempdir().unwrap(),
        };
        let o = t.run(&["login", "--api-key", KEY]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(["--server", &self.proxy.url])
            .args(args)
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
            .env_remove("SWITCHBOARD_API_KEY")
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs")
    }

    fn numbers(&self, lines: &[&str]) -> PathBuf {
        let path = self.dir.path().join("numbers.txt");
        std::fs::write(&path, lines.join("\n")).unwrap();
        path
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = Command::new(BIN)
            .arg("forget-all")
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
            .output();
    }
}

/// `batch --json` output: the per-number lines and the summary.
fn parse(o: &Output) -> (Vec<Value>, Value) {
    let text = String::from_utf8_lossy(&o.stdout);
    let mut rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summary = rows.pop().expect("a summary line")["summary"].clone();
    rows.sort_by_key(|r| r["line"].as_u64());
    (rows, summary)
}

#[test]
fn mirror_batch_asks_a_matched_number_once_and_an_unknown_number_every_time() {
    let t = Target::start();
    // The third line is Ada again, the fifth Ada written another way (the cache is keyed by the
    // E.164 number the client would send).
    let file = t.numbers(&[ADA, NOBODY, ADA, NOBODY, "+1 (415) 555-0100"]);
    let file = file.to_str().unwrap();

    let o = t.run(&["batch", file, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        t.proxy.lookups_of(ADA),
        1,
        "a number that matched a contact is sent once, then answered from the cache"
    );
    assert_eq!(
        t.proxy.lookups_of(NOBODY),
        2,
        "a number that found only the create row is sent every time: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let (rows, summary) = parse(&o);
    assert_eq!(rows.len(), 5);
    let cached: Vec<u64> = rows
        .iter()
        .filter(|r| r["cached"] == true)
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(cached, vec![3, 5], "{rows:?}");
    let hit = &rows[2];
    assert_eq!(hit["number"], ADA);
    assert_eq!(hit["matches"], 1, "the cache serves Ada's contact: {hit}");
    assert_eq!(
        hit["createRow"], false,
        "the client keeps no create row in its cache: {hit}"
    );
    assert_eq!(hit["ms"], 0, "{hit}");
    assert!(hit.get("status").is_none(), "nothing was sent: {hit}");
    assert_eq!(rows[0]["status"], 200);
    assert!(rows[0].get("cached").is_none(), "{}", rows[0]);
    assert_eq!(summary["count"], 5);
    assert_eq!(
        summary["sent"], 3,
        "only the requests really sent: {summary}"
    );
    assert_eq!(summary["cached"], 2, "{summary}");
    assert_eq!(summary["ok"], 5, "cached numbers are ok: {summary}");
    assert_eq!(summary["errors"], 0);

    // The text output names them and counts them.
    let o = t.run(&["batch", file]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    let line3 = out
        .lines()
        .find(|l| l.trim_start().starts_with("3 "))
        .unwrap_or_else(|| panic!("a line for number 3: {out}"));
    assert!(
        line3.contains("cached")
            && line3.contains("1 match")
            && line3.contains("from the client's contact cache"),
        "{line3}"
    );
    let cached_row = out
        .lines()
        .find(|l| l.trim_start().starts_with("cached "))
        .unwrap_or_else(|| panic!("a cached line in the summary: {out}"));
    assert!(
        cached_row.split_whitespace().nth(1) == Some("2"),
        "{cached_row}"
    );
    assert_eq!(
        t.proxy.lookups_of(ADA),
        2,
        "a new batch starts with an empty cache"
    );

    // Stress mode has no cache: every number is sent, even one at a time.
    let o = t.run(&["batch", file, "--concurrency", "1", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (rows, summary) = parse(&o);
    assert_eq!(
        t.proxy.lookups_of(ADA),
        5,
        "--concurrency 1 sends Ada all three times"
    );
    assert!(rows.iter().all(|r| r.get("cached").is_none()), "{rows:?}");
    assert_eq!(
        (summary["sent"].as_u64(), summary["cached"].as_u64()),
        (Some(5), Some(0))
    );
}

#[test]
fn a_scenario_batch_in_mirror_mode_uses_the_cache() {
    let sandbox = StandaloneSandbox::start(KEY, &[]);
    let proxy = CountingProxy::start(&sandbox.url);
    let run = Run::new();
    let file = run.write(
        "cache.yaml",
        &format!(
            "manifest: sandbox.json\nserver: ${{SB_URL}}\nlogin: {{ apiKey: ${{SB_KEY}} }}\nsteps:
  - batch: [\"{ADA}\", \"{ADA}\", \"{NOBODY}\", \"{NOBODY}\"]
  - batch: [\"{ADA}\", \"{ADA}\", \"{NOBODY}\", \"{NOBODY}\"]
    concurrency: 1
"
        ),
    );
    let r = run.test(&[&file], &[("SB_URL", &proxy.url), ("SB_KEY", KEY)]);
    assert_eq!(
        r.output.status.code(),
        Some(0),
        "{}{}",
        r.stdout(),
        r.stderr()
    );
    // Mirror: Ada once, the unknown number twice; then concurrency 1: each twice.
    assert_eq!(proxy.lookups_of(ADA), 1 + 2);
    assert_eq!(proxy.lookups_of(NOBODY), 2 + 2);
    let steps = &r.json["scenarios"][0]["steps"];
    let mirror = &steps[0]["batch"];
    assert_eq!(
        (mirror["sent"].as_u64(), mirror["cached"].as_u64()),
        (Some(3), Some(1)),
        "{mirror}"
    );
    assert_eq!(mirror["ok"], 4);
    assert!(
        mirror["mode"].as_str().unwrap().contains("contact cache"),
        "{mirror}"
    );
    let histogram: u64 = mirror["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(histogram, 3, "the cached number has no latency");
    let stress = &steps[1]["batch"];
    assert_eq!(
        (stress["sent"].as_u64(), stress["cached"].as_u64()),
        (Some(4), Some(0)),
        "{stress}"
    );
    let note = "1 from the client's contact cache";
    assert!(
        r.junit.case("1. batch").out.contains(note),
        "{}",
        r.junit_text
    );
    assert!(r.html.contains(note), "the HTML report says so");
    assert!(r.markdown.contains(note), "{}", r.markdown);
    r.assert_no_secrets(KEY);
}
