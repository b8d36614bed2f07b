//! The one-shot commands (`find`, `flow`, `verify`, `create`, `log`, `batch`, `formats`) against a
//! scripted connector on loopback that records every request it receives, with its body: what
//! the binary refuses before sending (an invalid number, an unknown contact type), what it sends
//! (`newContactType`, `contactName`, `contactType`), and what `--json` prints (the answer as the
//! server sent it, unknown keys kept, plus the lints). Sign-in goes through the keychain, so these
//! tests need a Secret Service (`scripts/with-keyring.sh`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const KEY: &str = "k3y-Sw1tchb0ard-commands-test";
/// Reads as a +1 number, but has three digits too few (issue 13's example).
const INVALID: &str = "+12025018";

/// One request as the connector received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    body: Value,
}

/// A connector that answers every route the commands use, in the contract's shape, with a
/// misspelt `detaisl` in its create and log answers. Its threads end with the test process.
struct Scripted {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

/// The one contact the scripted lookup returns: a numeric id, a name and a type.
fn contact() -> Value {
    json!({"id": 42, "name": "Ada Scripted", "type": "lead", "phone": "+14155550100"})
}

fn answer(method: &str, path: &str) -> (&'static str, Value) {
    let create_row = json!({"id": "createNewContact", "name": "Create new contact...", "isNewContact": true, "additionalInfo": null});
    match (method, path) {
        ("POST", "/apiKeyLogin") => (
            "200 OK",
            json!({"jwtToken": "eyJhbGciOiJIUzI1NiJ9.commands-test.c2ln", "name": "Scripted User", "returnMessage": {"message": "Signed in", "messageType": "success", "ttl": 1000}}),
        ),
        ("GET", "/contact") => (
            "200 OK",
            json!({"successful": true, "contact": [contact(), create_row]}),
        ),
        ("POST", "/contact") => (
            "200 OK",
            json!({
                "successful": true,
                "contact": {"id": "c-9", "name": "Pat Placeholder", "type": "lead"},
                "returnMessage": {"message": "Contact created", "messageType": "success", "ttl": 3000, "detaisl": [{"title": "Where", "items": []}]},
                "detaisl": "a key no contract has"
            }),
        ),
        ("POST", "/callLog") => (
            "200 OK",
            json!({
                "successful": true,
                "logId": 777,
                "returnMessage": {"message": "Call logged", "messageType": "success", "ttl": 3000, "detaisl": []}
            }),
        ),
        ("GET", "/callLog") => (
            "200 OK",
            json!({"successful": true, "logs": [{"sessionId": "s", "matched": true, "logId": 777}]}),
        ),
        _ => ("404 Not Found", json!({"error": "no such route"})),
    }
}

impl Scripted {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Self { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The requests after the first `skip`, as `METHOD /path`.
    fn since(&self, skip: usize) -> Vec<String> {
        self.received()
            .iter()
            .skip(skip)
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// The body of the last request to `METHOD /path`.
    fn last_body(&self, method: &str, path: &str) -> Value {
        self.received()
            .into_iter()
            .rev()
            .find(|r| r.method == method && r.path == path)
            .unwrap_or_else(|| panic!("no {method} {path} was received"))
            .body
    }
}

/// Serves the requests of one connection (keep-alive or not) until the client closes it.
fn serve(mut stream: TcpStream, log: &Mutex<Vec<Received>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut words = head.split_whitespace();
        let method = words.next().unwrap_or("").to_owned();
        let target = words.next().unwrap_or("").to_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..head_end + length).skip(head_end).collect();
        let path = target.split('?').next().unwrap_or("").to_owned();
        log.lock().unwrap().push(Received {
            method: method.clone(),
            path: path.clone(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        let (status, json) = answer(&method, &path);
        let json = json.to_string();
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
            json.len()
        );
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// The binary with a keychain service and HOME of its own, signed in to the scripted connector.
struct Cli {
    server: Scripted,
    service: String,
    home: tempfile::TempDir,
}

impl Cli {
    fn new(test: &str) -> Self {
        assert!(
            std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
            "these tests need a Secret Service: run them through `make test` or scripts/with-keyring.sh"
        );
        let cli = Self {
            server: Scripted::start(),
            service: format!("switchboard-cli-commands-{test}-{}", std::process::id()),
            home: tempfile::tempdir().unwrap(),
        };
        let o = cli.run(&["login", "--api-key", KEY]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        cli
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args([
            "--manifest",
            "bundled:sandbox",
            "--server",
            &self.server.url,
        ])
        .args(args)
        .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
        .env("HOME", self.home.path())
        .env_remove("SWITCHBOARD_REGION")
        .env_remove("SWITCHBOARD_SERVER")
        .env_remove("SWITCHBOARD_MANIFEST");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the binary runs")
    }

    /// Runs with `--json`: the exit status and the one JSON document on stdout.
    fn json(&self, args: &[&str]) -> (bool, Value) {
        let o = self.run(&[args, &["--json"]].concat());
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
        let _ = self.command(&["forget-all"]).output();
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rules(v: &Value) -> Vec<String> {
    v["lints"]
        .as_array()
        .unwrap_or_else(|| panic!("the output has a lints list: {v:#}"))
        .iter()
        .map(|l| l["rule"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn an_invalid_number_is_refused_and_nothing_is_sent() {
    let cli = Cli::new("invalid");
    let signed_in = cli.server.received().len();
    assert_eq!(cli.server.since(0), ["POST /apiKeyLogin"]);
    let refused = format!(
        "Not a valid phone number for US: \"{INVALID}\" has the wrong number of digits. Nothing was sent; fix the number first."
    );
    for args in [
        vec!["find", INVALID],
        vec!["flow", INVALID, "--name", "Pat Placeholder"],
        vec!["create", INVALID, "--name", "Pat Placeholder"],
        vec!["log", INVALID, "--contact", "42"],
        vec!["verify", INVALID, "--session", "s-1"],
    ] {
        let o = cli.run(&args);
        assert!(!o.status.success(), "{args:?} must fail");
        assert!(stderr(&o).contains(&refused), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?} printed a result");
        let (ok, v) = cli.json(&args);
        assert!(!ok);
        assert_eq!(v["error"]["code"], "PhoneInvalid", "{args:?}: {v:#}");
        assert_eq!(v["error"]["message"], refused.as_str(), "{args:?}");
    }
    // The same kind of mistake typed differently: a digit too many.
    let o = cli.run(&["find", "+1 (415) 555-01000"]);
    assert!(
        stderr(&o).contains("Not a valid phone number for US"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        cli.server.since(signed_in),
        Vec::<String>::new(),
        "the connector received no request"
    );

    // A valid number and an extension still go through.
    let (ok, v) = cli.json(&["find", "+14155550100"]);
    assert!(ok, "{v:#}");
    let (ok, _) = cli.json(&["find", "101"]);
    assert!(ok);
    assert_eq!(
        cli.server.since(signed_in),
        ["GET /contact", "GET /contact"]
    );

    // `formats` previews it (exit 0) and says it is not valid and refused.
    let o = cli.run(&["formats", INVALID]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("valid:       false"), "{out}");
    assert!(out.contains(&refused), "{out}");
    let (ok, v) = cli.json(&["formats", INVALID]);
    assert!(ok);
    assert_eq!(v["number"]["valid"], false);
    assert_eq!(v["problem"], refused.as_str());
    let (_, v) = cli.json(&["formats", "+14155550100"]);
    assert_eq!(v["problem"], Value::Null);
}

#[test]
fn batch_reports_an_invalid_number_without_sending_it() {
    let cli = Cli::new("batch");
    let signed_in = cli.server.received().len();
    let file = cli.home.path().join("numbers.txt");
    std::fs::write(&file, format!("+14155550100\n{INVALID}\nnot a number\n")).unwrap();
    let o = cli.run(&["batch", file.to_str().unwrap(), "--json"]);
    assert!(!o.status.success(), "an invalid number fails the batch");
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let invalid = lines
        .iter()
        .find(|l| l["line"] == 2)
        .expect("line 2 is reported");
    assert_eq!(invalid["error"], "invalidNumber", "{invalid}");
    assert!(invalid.get("status").is_none() && invalid.get("number").is_none());
    assert!(
        invalid["message"]
            .as_str()
            .unwrap()
            .starts_with("Not a valid phone number for US"),
        "{invalid}"
    );
    let unparsable = lines.iter().find(|l| l["line"] == 3).unwrap();
    assert_eq!(
        unparsable["error"], "input",
        "a line that is no number at all"
    );
    let summary = &lines
        .iter()
        .find(|l| l.get("summary").is_some())
        .expect("a summary line")["summary"];
    assert!(
        lines.last().unwrap()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 of 3 numbers failed")),
        "the batch fails on them: {:?}",
        lines.last()
    );
    assert_eq!(
        (&summary["count"], &summary["sent"], &summary["errors"]),
        (&json!(3), &json!(1), &json!(2)),
        "{summary}"
    );
    assert_eq!(
        summary["errorsByKind"],
        json!({"input": 1, "invalidNumber": 1})
    );
    assert_eq!(cli.server.since(signed_in), ["GET /contact"]);
    let o = cli.run(&["batch", file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("FAIL invalid number"), "{out}");
    assert!(out.contains("invalid number") && out.contains("invalid input"));
}

#[test]
fn create_and_log_json_print_the_answer_as_sent_with_the_lints() {
    let cli = Cli::new("json");
    let (ok, v) = cli.json(&["create", "+12025550188", "--name", "Pat Placeholder"]);
    assert!(ok, "{v:#}");
    assert_eq!(
        v["detaisl"], "a key no contract has",
        "an unknown top-level key is kept: {v:#}"
    );
    assert_eq!(v["returnMessage"]["detaisl"][0]["title"], "Where");
    assert_eq!(v["successful"], true);
    assert_eq!(v["contact"]["id"], "c-9");
    assert!(
        v["contact"].get("additionalInfo").is_none(),
        "nothing the server did not send is added: {v:#}"
    );
    assert!(
        rules(&v).contains(&"return-message-key".to_owned()),
        "the lints name the misspelt key: {v:#}"
    );

    let (ok, v) = cli.json(&[
        "log",
        "+14155550100",
        "--contact",
        "42",
        "--session",
        "json-s1",
    ]);
    assert!(ok, "{v:#}");
    assert_eq!(
        v["sessionId"], "json-s1",
        "the call's session id, as before"
    );
    assert_eq!(
        v["logId"], 777,
        "the log id in the JSON type it was sent in"
    );
    assert_eq!(v["successful"], true);
    assert_eq!(v["returnMessage"]["message"], "Call logged");
    assert!(v["returnMessage"]["detaisl"].is_array(), "{v:#}");
    assert!(
        rules(&v).contains(&"return-message-key".to_owned()),
        "{v:#}"
    );

    // Without --json the lints are listed too.
    let o = cli.run(&["create", "+12025550188", "--name", "Pat Placeholder"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Created Pat Placeholder (id c-9") && out.contains("return-message-key"),
        "{out}"
    );
}

#[test]
fn create_sends_an_empty_type_when_none_is_given() {
    let cli = Cli::new("create");
    let (ok, v) = cli.json(&["create", "+12025550188", "--name", "Pat Placeholder"]);
    assert!(ok, "{v:#}");
    let sent = cli.server.last_body("POST", "/contact");
    assert_eq!(
        sent["newContactType"], "",
        "no type picked: the client's empty string, not null: {sent}"
    );
    assert_eq!(sent["newContactName"], "Pat Placeholder");
    assert_eq!(sent["phoneNumber"], "+12025550188");
    let (ok, _) = cli.json(&[
        "create",
        "+12025550188",
        "--name",
        "Pat Placeholder",
        "--type",
        "lead",
    ]);
    assert!(ok);
    assert_eq!(
        cli.server.last_body("POST", "/contact")["newContactType"],
        "lead"
    );
    let before = cli.server.received().len();
    let o = cli.run(&["create", "+12025550188", "--name", "X", "--type", "martian"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("\"martian\" is not a contact type"),
        "{}",
        stderr(&o)
    );
    assert_eq!(cli.server.since(before), Vec::<String>::new());
}

#[test]
fn log_sends_the_looked_up_contacts_name_and_type_unless_given() {
    let cli = Cli::new("log");
    let before = cli.server.received().len();
    let o = cli.run(&[
        "log",
        "+14155550100",
        "--contact",
        "42",
        "--session",
        "log-s1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        cli.server.since(before),
        ["GET /contact", "POST /callLog"],
        "the number is looked up first, as the client does"
    );
    let sent = cli.server.last_body("POST", "/callLog");
    assert_eq!(sent["contactId"], 42, "the id in its JSON type: {sent}");
    assert_eq!(
        sent["contactName"], "Ada Scripted",
        "none given: the looked-up contact's name (SPEC §6)"
    );
    assert_eq!(
        sent["contactType"], "lead",
        "none given: the looked-up contact's type (SPEC §6)"
    );
    assert_eq!(sent["logInfo"]["sessionId"], "log-s1", "{sent}");

    let o = cli.run(&[
        "log",
        "+14155550100",
        "--contact",
        "42",
        "--contact-name",
        "Someone Else",
        "--type",
        "company",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sent = cli.server.last_body("POST", "/callLog");
    assert_eq!(sent["contactName"], "Someone Else");
    assert_eq!(sent["contactType"], "company");

    // A type the manifest does not have is refused before the lookup: nothing is sent.
    let before = cli.server.received().len();
    let o = cli
        .command(&[
            "log",
            "+14155550100",
            "--contact",
            "42",
            "--type",
            "martian",
        ])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("\"martian\" is not a contact type") && err.contains("contact, lead, company"),
        "{err}"
    );
    assert_eq!(cli.server.since(before), Vec::<String>::new());
}
