//! `switchboard batch` end to end against a standalone sandbox started with its fault flags
//! (`--latency`, `--error-rate`, `--rate-limit`): exit codes, per-number JSON lines, errors by
//! kind and the thresholds. Needs a Secret Service for the sign-in (`scripts/with-keyring.sh`).

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use support::{StandaloneSandbox, BIN};

use serde_json::Value;

const KEY: &str = "k3y-Sw1tchb0ard-batch-test";
const ADA: &str = "+14155550100";

/// `switchboard sandbox --port 0 <flags>` in the background, signed in to; stopped when dropped.
struct Target {
    sandbox: StandaloneSandbox,
    service: String,
    dir: tempfile::TempDir,
}

impl Target {
    fn start(name: &str, flags: &[&str]) -> Self {
        assert!(
            std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
            "these tests need a Secret Service: run them through `make test` or scripts/with-keyring.sh"
        );
        let t = Self {
            sandbox: StandaloneSandbox::start(KEY, flags),
            service: format!("switchboard-batch-test-{name}-{}", std::process::id()),
            dir: tempfile::tempdir().unwrap(),
        };
        let o = t.run(&["login", "--api-key", KEY], None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        t
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(BIN)
            .args(["--server", &self.sandbox.url])
            .args(args)
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
            .env_remove("SWITCHBOARD_API_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    fn numbers(&self, lines: &[&str]) -> PathBuf {
        let path = self.dir.path().join("numbers.txt");
        std::fs::write(&path, lines.join("\n")).unwrap();
        path
    }

    /// `batch FILE --json <args>`: the per-number lines, the summary, and the output.
    fn batch(&self, lines: &[&str], args: &[&str]) -> (Vec<Value>, Value, Output) {
        let file = self.numbers(lines);
        let mut all = vec!["batch", file.to_str().unwrap(), "--json"];
        all.extend_from_slice(args);
        let o = self.run(&all, None);
        let (rows, summary) = parse(&o);
        (rows, summary, o)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = Command::new(BIN)
            .args(["forget-all"])
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
            .output();
    }
}

fn parse(o: &Output) -> (Vec<Value>, Value) {
    let text = String::from_utf8_lossy(&o.stdout);
    let mut rows = Vec::new();
    let mut summary = Value::Null;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        // A failed run ends with its error as one JSON object (the same text as on stderr).
        if v.get("error").is_some_and(Value::is_object) {
            assert!(!o.status.success(), "an error line only ends a failed run");
            continue;
        }
        match v.get("summary") {
            Some(s) => summary = s.clone(),
            None => rows.push(v),
        }
    }
    assert!(
        summary.is_object(),
        "a summary line ends the output: {text}"
    );
    (rows, summary)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn many(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("+1202555{:04}", 1000 + i)).collect()
}

#[test]
fn a_clean_batch_streams_each_number_and_exits_zero() {
    let t = Target::start("clean", &[]);
    let lines = [
        "# numbers from the CRM export",
        ADA,
        "",
        "+12125550199",
        "(415) 555-0100,Ada Lovelace",
    ];
    let (rows, summary, o) = t.batch(&lines, &["--region", "US"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows.len(), 3);
    // Mirror mode answers in input order.
    assert_eq!(rows[0]["line"], 2);
    assert_eq!(rows[0]["number"], ADA);
    assert_eq!(rows[0]["status"], 200);
    assert_eq!(rows[0]["matches"], 1, "the create row is not a match");
    assert_eq!(rows[0]["createRow"], true);
    assert_eq!(rows[1]["matches"], 0);
    assert_eq!(rows[1]["message"], "Contact not found");
    assert_eq!(
        rows[2]["number"], ADA,
        "a CSV line's first field, with --region"
    );
    assert_eq!(summary["mode"], "mirror");
    assert_eq!(summary["count"], 3);
    assert_eq!(summary["ok"], 3);
    assert_eq!(summary["errors"], 0);
    assert!(summary["p95Ms"].is_u64());
    assert!(!String::from_utf8_lossy(&o.stdout).contains(KEY));

    // Text mode and standard input; no progress display when stdout is not a terminal.
    let o = t.run(
        &["batch", "-", "--concurrency", "2"],
        Some("+14155550100\n+12125550199\n"),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("1 match +create row"), "{out}");
    assert!(
        out.contains("Summary (concurrency 2)") && out.contains("p95"),
        "{out}"
    );
    assert!(!stderr(&o).contains("numbers"), "{}", stderr(&o));
}

#[test]
fn invalid_lines_are_input_errors_never_sent() {
    let t = Target::start("input", &[]);
    let (rows, summary, o) = t.batch(&[ADA, "not a number", "+1"], &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("2 of 3 numbers failed (--max-errors 0)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(summary["sent"], 1);
    assert_eq!(summary["errorsByKind"]["input"], 2);
    let bad: Vec<&Value> = rows.iter().filter(|r| r["error"] == "input").collect();
    assert_eq!(bad.len(), 2);
    assert!(bad
        .iter()
        .all(|r| r.get("status").is_none() && r.get("ms").is_none()));
    let (_, _, o) = t.batch(&[ADA, "not a number"], &["--max-errors", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn error_rate_one_fails_every_lookup_as_5xx() {
    let t = Target::start("errors", &["--error-rate", "1"]);
    let numbers = many(12);
    let lines: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let (rows, summary, o) = t.batch(&lines, &["--concurrency", "4"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("12 of 12 numbers failed"),
        "{}",
        stderr(&o)
    );
    assert_eq!(summary["mode"], "concurrent");
    assert_eq!(summary["concurrency"], 4);
    assert_eq!(summary["errors"], 12);
    assert_eq!(summary["errorsByKind"]["serverError"], 12);
    assert_eq!(rows.len(), 12);
    assert!(rows
        .iter()
        .all(|r| r["status"] == 500 && r["error"] == "serverError"));
    let (_, _, o) = t.batch(&lines, &["--max-errors", "12"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn rate_limit_shows_as_429s() {
    let t = Target::start("ratelimit", &["--rate-limit", "5/s"]);
    let numbers = many(30);
    let lines: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let (rows, summary, o) = t.batch(&lines, &["--concurrency", "8"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let limited = summary["errorsByKind"]["rateLimited"].as_u64().unwrap_or(0);
    let ok = summary["ok"].as_u64().unwrap();
    assert_eq!(ok + limited, 30, "{summary}");
    // At most 5 per clock second get through.
    let secs = summary["elapsedMs"].as_u64().unwrap() / 1000 + 2;
    assert!(limited > 0 && ok <= 5 * secs, "{summary}");
    assert!(rows
        .iter()
        .filter(|r| r["error"] == "rateLimited")
        .all(|r| r["status"] == 429 && r["message"].as_str().unwrap().contains("retry after 1 s")));
    let o = t.run(
        &[
            "batch",
            t.numbers(&lines).to_str().unwrap(),
            "--concurrency",
            "8",
        ],
        None,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("429 rate limited"), "{out}");
}

#[test]
fn max_p95_fails_when_the_connector_is_slower() {
    let t = Target::start("latency", &["--latency", "150..170"]);
    // Three different numbers: a repeated match would be answered from the client's cache.
    let numbers = [ADA, "+12125550199", "+16502530000"];
    let (rows, summary, o) = t.batch(&numbers, &["--max-p95", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("above --max-p95 100 ms"),
        "{}",
        stderr(&o)
    );
    assert!(summary["p95Ms"].as_u64().unwrap() >= 150, "{summary}");
    assert!(rows.iter().all(|r| r["ms"].as_u64().unwrap() >= 150));
    let (_, _, o) = t.batch(&numbers, &["--max-p95", "10000"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn batch_without_a_session_says_how_to_sign_in() {
    let t = Target::start("nosession", &[]);
    let o = t.run(&["logout"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = t.numbers(&[ADA]);
    let o = t.run(&["batch", file.to_str().unwrap()], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("switchboard login"), "{}", stderr(&o));
    let o = t.run(&["batch", "/nonexistent/numbers.txt"], None);
    assert!(stderr(&o).contains("one per line"), "{}", stderr(&o));
}
