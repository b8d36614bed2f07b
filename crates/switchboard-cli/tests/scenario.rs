//! `switchboard test` end to end: scenario files run by the built binary against the project's
//! sandbox (with its latency, error-rate and rate-limit faults) and against a connector server on
//! the real `@app-connect/core` framework (tests/conformance). Every run is judged twice: by the
//! exit code and by the JUnit XML, parsed with a strict XML parser. No report may hold the API key
//! or a session token. Scenario runs keep their session in memory: no Secret Service is needed.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::scenario_run::Run;
use support::{Framework, StandaloneSandbox, BIN};

const KEY: &str = "k3y-Sw1tchb0ard-scenario-test";

fn sandbox_env(sb: &StandaloneSandbox) -> Vec<(&'static str, String)> {
    vec![("SB_URL", sb.url.clone()), ("SB_KEY", KEY.to_owned())]
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

const HEADER: &str = "manifest: sandbox.json\nplatform: sandbox\nserver: ${SB_URL}\nlogin: { apiKey: ${SB_KEY} }\nregion: US\nformats: [\"(***) ***-****\"]\n";

#[test]
fn a_passing_scenario_against_the_sandbox() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    let run = Run::new();
    run.write(
        "numbers.csv",
        "+14155550100\n# a comment\n(650) 253-0000\n+12125550199\n",
    );
    let file = run.write(
        "sandbox.yaml",
        &format!(
            "name: Sandbox contract\n{HEADER}steps:
  - find: \"+14155550100\"
    expect: {{ contacts: 1, names: [\"Ada Lovelace\"], createRow: true, lints: no-errors }}
  - find: \"+12125550199\"
    expect: {{ contacts: 0, createRow: true }}
  - flow: \"+12025550188\"
    name: \"Scenario Placeholder\"
    type: lead
    expect: {{ verified: true }}
  - batch: numbers.csv
    concurrency: 4
    expect: {{ errors: 0, p95Ms: 5000 }}
  - batch: [\"+14155550100\", \"+14155550123\"]
  - formats: \"+16502530000\"
    contact: Grace Hopper
    expect: {{ found: [national, \"(***) ***-****\"], notFound: [E.164] }}
  - contract: true
    expect: {{ errors: 0 }}
"
        ),
    );
    let env = sandbox_env(&sb);
    let r = run.test(&[&file], &env_refs(&env));
    r.assert_exit(0);
    assert_eq!((r.junit.tests, r.junit.failures, r.junit.errors), (7, 0, 0));
    assert!(r
        .junit
        .cases
        .iter()
        .all(|c| c.failure.is_none() && c.error.is_none()));
    // Lines point into the scenario file.
    assert_eq!(
        r.junit.case("1. find +14155550100").line.as_deref(),
        Some("9")
    );
    assert_eq!(r.junit.case("3. flow").line.as_deref(), Some("13"));
    // The probe says which formats found the contact, with the connector's time.
    let probe = &r.junit.case("6. formats").out;
    assert!(probe.contains("E.164: not found"), "{probe}");
    assert!(probe.contains("(***) ***-****: found"), "{probe}");
    let steps = &r.json["scenarios"][0]["steps"];
    assert_eq!(r.json["passed"], true);
    assert_eq!(steps[3]["batch"]["count"], 3);
    assert_eq!(steps[3]["batch"]["errors"], 0);
    assert!(steps[5]["probes"][0]["ms"].is_u64());
    // The contract step lists the sandbox's warnings (no SMS logging) but no errors.
    let codes: Vec<&str> = steps[6]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"message-log-missing"), "{codes:?}");
    assert!(
        r.html.contains("<svg") && r.html.contains("PASSED"),
        "an HTML report with a histogram"
    );
    assert!(!r.html.contains("<script"));
    assert!(
        r.markdown.contains("| ✅ Sandbox contract |"),
        "{}",
        r.markdown
    );
    assert!(r.stdout().contains("0 of 7 steps failed"), "{}", r.stdout());
    r.assert_no_secrets(KEY);
}

#[test]
fn failing_expectations_say_what_was_expected_and_what_came() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    let run = Run::new();
    let file = run.write(
        "wrong.yaml",
        &format!(
            "{HEADER}steps:
  - find: \"+14155550100\"
    expect: {{ contacts: 2, names: [\"Charles Babbage\"], createRow: false }}
  - find: \"+14155550100\"
    expect: {{ lints: [create-row-missing] }}
  - formats: \"+16502530000\"
    expect: {{ found: [E.164] }}
  - contract: true
    expect: {{ findings: [] }}
  - batch: [\"+14155550100\", \"not a number\"]
  - find: \"+14155550123\"
    expect: {{ contacts: 2, names: [\"Katherine Johnson\", \"Dorothy Vaughan\"] }}
"
        ),
    );
    let env = sandbox_env(&sb);
    let r = run.test(&[&file], &env_refs(&env));
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stdout());
    assert_eq!((r.junit.tests, r.junit.failures, r.junit.errors), (6, 5, 0));
    let first = r
        .junit
        .case("1. find")
        .failure
        .as_ref()
        .expect("step 1 fails");
    assert!(first.contains("contacts: expected 2, got 1"), "{first}");
    assert!(
        first.contains("names: expected [Charles Babbage], got [Ada Lovelace]"),
        "{first}"
    );
    assert!(
        first.contains("createRow: expected false, got true"),
        "{first}"
    );
    // The exchange is in the failure, redacted.
    assert!(first.contains("GET http://127.0.0.1:"), "{first}");
    assert!(first.contains("jwtToken=<redacted>"), "{first}");
    let lints = r.junit.case("2. find").failure.as_ref().unwrap();
    assert!(
        lints.contains("lints: expected [create-row-missing], got []"),
        "{lints}"
    );
    let formats = r.junit.case("3. formats").failure.as_ref().unwrap();
    assert!(
        formats.contains("expected [E.164], got [(***) ***-****, national]"),
        "{formats}"
    );
    let contract = r.junit.case("4. contract").failure.as_ref().unwrap();
    assert!(contract.contains("message-log-missing"), "{contract}");
    let batch = r.junit.case("5. batch").failure.as_ref().unwrap();
    assert!(
        batch.contains("errors: expected 0, got 1 (1 invalid input)"),
        "{batch}"
    );
    assert!(batch.contains("not a number"), "{batch}");
    assert!(
        r.junit.case("6. find").failure.is_none(),
        "{:?}",
        r.junit.case("6. find")
    );
    // The terminal says the same.
    let out = r.stdout();
    assert!(out.contains("contacts: expected 2, got 1"), "{out}");
    assert!(out.contains("5 of 6 steps failed"), "{out}");
    assert!(r.stderr().contains("5 of 6 steps failed"), "{}", r.stderr());
    assert!(r.html.contains("FAILED") && r.html.contains("Charles Babbage"));
    r.assert_no_secrets(KEY);
}

/// Issue 13: a step with an invalid number could not run (a JUnit error, not a failed
/// expectation, whatever its `expect` says) and sends nothing; a batch reports it per number.
#[test]
fn an_invalid_number_stops_its_step_before_anything_is_sent() {
    let sb = StandaloneSandbox::start(KEY, &[]);
    let run = Run::new();
    let file = run.write(
        "invalid.yaml",
        &format!(
            "{HEADER}steps:
  - find: \"+12025018\"
    expect: {{ ok: false }}
  - flow: \"+12025018\"
    name: \"Never Made\"
    expect: {{ verified: false }}
  - formats: \"+12025018\"
  - batch: [\"+14155550100\", \"+12025018\"]
    expect: {{ errors: 1 }}
  - find: \"+14155550100\"
    expect: {{ contacts: 1 }}
"
        ),
    );
    let env = sandbox_env(&sb);
    let r = run.test(&[&file], &env_refs(&env));
    r.assert_exit(1);
    assert_eq!((r.junit.tests, r.junit.failures, r.junit.errors), (5, 0, 3));
    let message = "Not a valid phone number for US: \"+12025018\" has the wrong number of digits. Nothing was sent; fix the number first.";
    for case in ["1. find", "2. flow", "3. formats"] {
        let error = r
            .junit
            .case(case)
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{case} could not run"));
        assert!(error.contains(message), "{case}: {error}");
    }
    let steps = r.json["scenarios"][0]["steps"].as_array().unwrap();
    for step in &steps[..3] {
        assert_eq!(
            step["exchanges"],
            serde_json::json!([]),
            "nothing was sent: {step:#}"
        );
        assert_eq!(step["passed"], false);
    }
    let batch = &steps[3]["batch"];
    assert_eq!(
        (&batch["count"], &batch["errors"]),
        (&2.into(), &1.into()),
        "{batch:#}"
    );
    assert_eq!(batch["errorsByKind"]["invalid number"], 1, "{batch:#}");
    assert!(r.junit.case("4. batch").failure.is_none());
    assert!(r.junit.case("5. find").failure.is_none());
    r.assert_no_secrets(KEY);
}

#[test]
fn scenario_problems_are_named_and_fail_the_run() {
    let run = Run::new();
    let unset = run.write(
        "unset.yaml",
        "manifest: sandbox.json\nlogin: { apiKey: ${SWITCHBOARD_TEST_SURELY_UNSET} }\nsteps:\n  - contract: true\n",
    );
    let typo = run.write(
        "typo.yaml",
        "manifest: sandbox.json\nsteps:\n  - find: \"+14155550100\"\n    expcet: { contacts: 1 }\n",
    );
    let r = run.test(&[&unset, &typo], &[]);
    assert_eq!(r.output.status.code(), Some(1));
    assert_eq!((r.junit.tests, r.junit.failures, r.junit.errors), (2, 0, 2));
    let e = r.junit.cases[0].error.as_ref().unwrap();
    assert!(e.contains("SWITCHBOARD_TEST_SURELY_UNSET (line 2)"), "{e}");
    let e = r.junit.cases[1].error.as_ref().unwrap();
    assert!(e.contains("expcet") && e.contains("line"), "{e}");
    assert!(r.stdout().contains("ERROR"), "{}", r.stdout());
}

#[test]
fn batches_against_a_slow_failing_rate_limited_sandbox() {
    let run = Run::new();
    let numbers: Vec<String> = (0..10)
        .map(|i| format!("\"+1415555{:04}\"", 2000 + i))
        .collect();
    let list = numbers.join(", ");

    // Half of the lookups crash (spread evenly, so exactly 5 of 10).
    let errors = StandaloneSandbox::start(KEY, &["--error-rate", "0.5"]);
    let file = run.write(
        "errors.yaml",
        &format!(
            "{HEADER}steps:\n  - batch: [{list}]\n    expect: {{ errors: 5 }}\n  - batch: [{list}]\n    concurrency: 4\n    expect: {{ maxErrors: 1 }}\n"
        ),
    );
    let env = sandbox_env(&errors);
    let r = run.test(&[&file], &env_refs(&env));
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stdout());
    assert_eq!((r.junit.failures, r.junit.errors), (1, 0));
    assert!(
        r.junit.case("1. batch").failure.is_none(),
        "exactly 5 of 10 failed"
    );
    let f = r.junit.case("2. batch").failure.as_ref().unwrap();
    assert!(
        f.contains("errors: expected at most 1, got 5 (5 5xx / crash)"),
        "{f}"
    );
    assert!(f.contains("HTTP 500"), "the failing exchange is shown: {f}");
    assert_eq!(
        r.json["scenarios"][0]["steps"][1]["batch"]["errorsByKind"]["5xx / crash"],
        5
    );
    r.assert_no_secrets(KEY);
    drop(errors);

    // Latency: p95 against a threshold either side of it.
    let slow = StandaloneSandbox::start(KEY, &["--latency", "120..140"]);
    let file = run.write(
        "slow.yaml",
        &format!(
            "{HEADER}steps:\n  - batch: [{list}]\n    concurrency: 5\n    expect: {{ p95Ms: 5000 }}\n  - batch: [{list}]\n    concurrency: 5\n    expect: {{ p95Ms: 50 }}\n"
        ),
    );
    let env = sandbox_env(&slow);
    let r = run.test(&[&file], &env_refs(&env));
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stdout());
    assert!(r.junit.case("1. batch").failure.is_none());
    let f = r.junit.case("2. batch").failure.as_ref().unwrap();
    assert!(f.contains("p95: expected at most 50 ms, got 1"), "{f}");
    let p95 = r.json["scenarios"][0]["steps"][1]["batch"]["p95Ms"]
        .as_u64()
        .unwrap();
    assert!(p95 >= 120, "{p95}");
    // The histogram's bins hold every lookup.
    let bins = r.json["scenarios"][0]["steps"][1]["batch"]["histogram"]
        .as_array()
        .unwrap();
    let total: u64 = bins.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 10);
    assert!(r.html.matches("<svg").count() >= 2, "a histogram per batch");
    drop(slow);

    // Rate limit: 429s are counted and named.
    let limited = StandaloneSandbox::start(KEY, &["--rate-limit", "3/s"]);
    let file = run.write(
        "limited.yaml",
        &format!(
            "{HEADER}steps:\n  - batch: [{list}]\n    concurrency: 8\n    expect: {{ rateLimited: 0 }}\n"
        ),
    );
    let env = sandbox_env(&limited);
    let r = run.test(&[&file], &env_refs(&env));
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stdout());
    let f = r.junit.case("1. batch").failure.as_ref().unwrap();
    assert!(f.contains("rateLimited: expected 0, got"), "{f}");
    assert!(f.contains("429 rate limited"), "{f}");
    let limited_count = r.json["scenarios"][0]["steps"][0]["batch"]["rateLimited"]
        .as_u64()
        .unwrap();
    assert!(limited_count > 0);
}

// ---- The real framework ----------------------------------------------------------------------

/// The real framework server, accepting `key`, once it answers the manifest route.
fn framework(key: &str) -> Framework {
    let fw = Framework::start(&[("CONFORMANCE_API_KEY", key)]);
    let started = Instant::now();
    loop {
        let alive = Command::new(BIN)
            .args(["manifest", &fw.manifest()])
            .output()
            .is_ok_and(|o| o.status.success());
        if alive {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the framework never answered"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    fw
}

#[test]
fn scenarios_against_the_real_framework() {
    let key = "fw-K3y-scenario-0d9c";
    let fw = framework(key);
    let run = Run::new();
    // The manifest by URL, as the framework serves it.
    let file = run.write(
        "framework.yaml",
        "manifest: ${FW_URL}/_test/manifest.json
platform: sandbox
login: { apiKey: ${FW_KEY} }
formats: [\"(***) ***-****\"]
steps:
  - find: \"+14155550100\"
    debug: true
    expect: { contacts: 1, names: [\"Ada Lovelace\"], createRow: true, lints: no-errors }
  - flow: \"+12025550177\"
    name: \"Framework Placeholder\"
    type: lead
  - formats: \"+16502530000\"
    contact: \"102\"
    expect: { found: [national, \"(***) ***-****\"] }
  - contract: true
    debug: true
    expect: { findings: [message-log-missing] }
  - batch: [\"+14155550100\", \"+16502530000\", \"+12125550199\"]
    concurrency: 3
    expect: { errors: 0 }
  - find: \"+12125550199\"
    expect: { contacts: 1 }
",
    );
    let env = [("FW_URL", fw.url.as_str()), ("FW_KEY", key)];
    let r = run.test(&[&file], &env);
    r.assert_exit(1);
    assert_eq!(
        (r.junit.tests, r.junit.failures, r.junit.errors),
        (6, 1, 0),
        "{}",
        r.junit_text
    );
    for passing in [
        "1. find",
        "2. flow",
        "3. formats",
        "4. contract",
        "5. batch",
    ] {
        assert!(
            r.junit.case(passing).failure.is_none(),
            "{passing}: {:?}",
            r.junit.case(passing)
        );
    }
    let f = r.junit.case("6. find").failure.as_ref().unwrap();
    assert!(f.contains("contacts: expected 1, got 0"), "{f}");
    // `debug: true` sent is-debug and kept the framework's `_debug` trace with the exchange.
    let steps = &r.json["scenarios"][0]["steps"];
    let ex = &steps[0]["exchanges"][0];
    assert!(ex["exchange"]["requestHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "is-debug" && h[1] == "true"));
    assert!(ex["debugTrace"]["requestId"].is_string(), "{ex}");
    assert!(!ex["exchange"]["responseBody"]
        .as_str()
        .unwrap()
        .contains("_debug"));
    assert!(steps[3]["exchanges"][0]["debugTrace"].is_object());
    // Steps without debug send no header.
    assert!(steps[5]["exchanges"][0]["debugTrace"].is_null());
    assert!(
        r.junit.case("1. find").out.contains("_debug"),
        "traces are in <system-out>"
    );
    assert!(r.html.contains("Server debug trace"));
    r.assert_no_secrets(key);
}
