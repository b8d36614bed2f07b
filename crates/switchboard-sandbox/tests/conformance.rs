//! One conformance suite, two servers: the sandbox, and a connector server on the real
//! `@app-connect/core` framework (tests/conformance, over the same seed data). Every case asserts the
//! parsed result; every exchange is then checked against the framework's OpenAPI contract.
//! Differences that are not fixed are listed, with reasons, in docs/COMPATIBILITY.md.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use support::contract::{Contract, Mismatch};
use switchboard_core::client::{AppConnectClient, Called, ClientError, Exchange, TokenStyle};
use switchboard_core::error::ErrorCode;
use switchboard_core::flow::{self, FlowState, FormValues, PlaceholderFlow, SimulatedCall};
use switchboard_core::forms;
use switchboard_core::lint;
use switchboard_core::manifest::{self, AuthType, ManifestSource};
use switchboard_core::oauth;
use switchboard_core::phone;
use switchboard_core::wire::{
    ContactInfo, CreateContactRequest, Direction, MessageSource, ReturnMessage,
};
use switchboard_core::Sensitive;
use switchboard_sandbox::{Claims, Sandbox, SandboxConfig, USER_ID};

const SECRET: &str = "switchboard-conformance-secret-0123456789abcdef";

enum Server {
    Sandbox(Sandbox),
    Framework(Child),
}

struct Target {
    name: &'static str,
    url: String,
    server: Server,
    /// Every exchange of the run, for the contract check.
    exchanges: Mutex<Vec<Exchange>>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Server::Framework(child) = &mut self.server {
            // SIGTERM lets the server remove its temporary database; SIGKILL only if it lingers.
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Target {
    async fn sandbox() -> Self {
        let sb = Sandbox::start(
            "127.0.0.1:0".parse().unwrap(),
            SandboxConfig {
                jwt_secret: Some(SECRET.as_bytes().to_vec()),
                ..SandboxConfig::default()
            },
        )
        .await
        .unwrap();
        Self {
            name: "sandbox",
            url: sb.url(),
            server: Server::Sandbox(sb),
            exchanges: Mutex::new(Vec::new()),
        }
    }

    /// Starts `node tests/conformance/server.js` on a free port and waits for `/isAlive`.
    async fn framework() -> Self {
        let dir = repo().join("tests/conformance");
        assert!(
            dir.join("node_modules/@app-connect/core").is_dir(),
            "the framework is not installed: run scripts/setup.sh (npm ci in tests/conformance)"
        );
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("APP_SERVER_SECRET_KEY", SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs (installed by scripts/setup.sh)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the framework server printed its URL within 60 s");
        let target = Self {
            name: "framework",
            url,
            server: Server::Framework(child),
            exchanges: Mutex::new(Vec::new()),
        };
        let client = target.client();
        let started = Instant::now();
        while !matches!(client.is_alive().await.result, Ok(true)) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "/isAlive never answered OK"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        target
    }

    fn client(&self) -> AppConnectClient {
        AppConnectClient::new(&self.url, "sandbox", None).unwrap()
    }

    fn keep<T>(&self, called: Called<T>) -> Called<T> {
        self.keep_exchange(&called.exchange);
        called
    }

    fn keep_exchange(&self, exchange: &Exchange) {
        self.exchanges.lock().unwrap().push(exchange.clone());
    }

    async fn contact_count(&self) -> usize {
        match &self.server {
            Server::Sandbox(sb) => sb.contact_count(),
            Server::Framework(_) => {
                let v: Value = reqwest::get(format!("{}/_test/contactCount", self.url))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                usize::try_from(v["count"].as_u64().unwrap()).unwrap()
            }
        }
    }

    /// A session token for the seeded user that expires in `secs`, signed as the server signs them.
    fn mint(&self, secs: u64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = Claims {
            id: USER_ID.to_owned(),
            platform: "sandbox".to_owned(),
            iat: now,
            exp: now + secs,
        };
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }
}

/// The claims of a session token signed with the suite's secret.
fn verify(token: &str) -> Option<Claims> {
    jsonwebtoken::decode::<Claims>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()),
        &jsonwebtoken::Validation::default(),
    )
    .ok()
    .map(|d| d.claims)
}

fn call(session: &str) -> SimulatedCall {
    SimulatedCall {
        session_id: session.to_owned(),
        direction: Direction::Inbound,
        caller_name: Some("Conformance Caller".to_owned()),
        own_number: "+16505550199".to_owned(),
        start_time_ms: 1_767_000_000_000,
        duration_s: 30,
        note: "conformance".to_owned(),
        subject: None,
        additional_submission: Map::new(),
    }
}

/// Every case, in an order that leaves sign-out for last (it ends the shared user's session).
async fn run_suite(t: &Target) {
    let n = t.name;
    let c = t.client();

    // Liveness and interfaces.
    assert!(t.keep(c.is_alive().await).result.unwrap(), "{n}: /isAlive");
    let ifaces = t.keep(c.implemented_interfaces().await).result.unwrap();
    for i in [
        "findContact",
        "createContact",
        "createCallLog",
        "getCallLog",
        "unAuthorize",
    ] {
        assert_eq!(ifaces[i], true, "{n}: implementedInterfaces.{i}");
    }

    // Login: refused, then accepted.
    let bad = Sensitive::from("wrong-key");
    let called = t.keep(
        c.api_key_login(&bad, "h", &[("apiKey".into(), bad.clone())])
            .await,
    );
    assert_eq!(
        called.exchange.status,
        Some(400),
        "{n}: a refused login is HTTP 400"
    );
    let e = called.result.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rejected, "{n}: {e}");
    assert!(e.to_string().contains("not accepted"), "{n}: {e}");
    let key = Sensitive::from("demo");
    let login = t.keep(
        c.api_key_login(
            &key,
            "sandbox-crm.example.com",
            &[("apiKey".into(), key.clone())],
        )
        .await,
    );
    let login = login.result.unwrap();
    assert_eq!(login.name.as_deref(), Some("Sandbox Demo User"), "{n}");
    assert_eq!(
        login.return_message.unwrap().message_type.as_deref(),
        Some("success"),
        "{n}"
    );
    let claims = verify(&login.jwt_token)
        .unwrap_or_else(|| panic!("{n}: the JWT verifies with the server's secret"));
    assert_eq!(
        (claims.id.as_str(), claims.platform.as_str()),
        (USER_ID, "sandbox"),
        "{n}: JWT payload"
    );
    assert_eq!(
        claims.exp - claims.iat,
        14 * 24 * 3600,
        "{n}: two-week lifetime"
    );

    let count0 = t.contact_count().await;

    // findContact: one match, with type and the contact-dependent field's options.
    let one = t
        .keep(c.find_contact("+14155550100", "", false).await)
        .result
        .unwrap();
    let real: Vec<&ContactInfo> = one.real_matches().collect();
    assert_eq!(real.len(), 1, "{n}");
    assert_eq!(
        (
            real[0].id.as_str(),
            real[0].display_name(),
            real[0].kind.as_deref()
        ),
        ("101", "Ada Lovelace", Some("contact")),
        "{n}"
    );
    assert_eq!(
        real[0].additional_info.as_ref().unwrap()["deals"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{n}"
    );
    assert!(
        one.contact.last().unwrap().is_create_row() && one.contact.last().unwrap().is_new_contact,
        "{n}"
    );

    // Several matches.
    let many = t
        .keep(c.find_contact("+14155550123", "", false).await)
        .result
        .unwrap();
    let mut ids: Vec<&str> = many.real_matches().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["104", "105"], "{n}");

    // Placeholder only, with the framework's default message.
    let none = t
        .keep(c.find_contact("+12025550999", "", false).await)
        .result
        .unwrap();
    assert!(none.successful, "{n}");
    assert_eq!(none.contact.len(), 1, "{n}");
    assert!(none.contact[0].is_create_row(), "{n}");
    let m = none.return_message.unwrap();
    assert_eq!(
        (m.message.as_deref(), m.message_type.as_deref(), m.ttl),
        (Some("Contact not found"), Some("warning"), Some(5000)),
        "{n}"
    );
    let detail = m.details.unwrap()[0]["items"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("+12025550999"), "{n}: {detail}");

    // Extensions are refused.
    let e = t
        .keep(c.find_contact("101", "", true).await)
        .result
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rejected, "{n}");
    assert!(e.to_string().contains("extension"), "{n}: {e}");

    // Overriding formats are honoured.
    let plain = t
        .keep(c.find_contact("+16502530000", "", false).await)
        .result
        .unwrap();
    assert_eq!(
        plain.real_matches().count(),
        0,
        "{n}: stored only formatted"
    );
    let formats = phone::overriding_format_param(&["***.***.****".into(), "(***) ***-****".into()]);
    let formatted = t
        .keep(c.find_contact("+16502530000", &formats, false).await)
        .result
        .unwrap();
    assert_eq!(
        formatted
            .real_matches()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["102"],
        "{n}"
    );

    assert_eq!(
        t.contact_count().await,
        count0,
        "{n}: findContact must never create"
    );

    // createContact with a type, with none picked (the client sends ""), and a reserved name.
    let create = |name: &str, kind: Option<&str>, number: &str| CreateContactRequest {
        phone_number: number.to_owned(),
        new_contact_name: name.to_owned(),
        new_contact_type: kind.map(str::to_owned),
        additional_submission: Map::new(),
    };
    let lead = t
        .keep(
            c.create_contact(&create("Conf Lead", Some("lead"), "+12025550171"))
                .await,
        )
        .result
        .unwrap();
    let lead = lead.contact.unwrap();
    assert_eq!(
        (lead.display_name(), lead.kind.as_deref()),
        ("Conf Lead", Some("lead")),
        "{n}"
    );
    let untyped = t
        .keep(
            c.create_contact(&create("Conf Untyped", Some(""), "+12025550172"))
                .await,
        )
        .result
        .unwrap();
    assert_eq!(
        untyped.contact.unwrap().kind.as_deref(),
        Some("contact"),
        "{n}: no type picked → \"\", as the manual client sends it → the CRM default"
    );
    let e = t
        .keep(
            c.create_contact(&create("Reserved", Some("lead"), "+12025550173"))
                .await,
        )
        .result
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rejected, "{n}");
    assert!(e.to_string().contains("reserved"), "{n}: {e}");
    assert_eq!(
        t.contact_count().await,
        count0 + 2,
        "{n}: two created, the reserved one not"
    );
    let found = t
        .keep(c.find_contact("+12025550171", "", false).await)
        .result
        .unwrap();
    assert_eq!(
        found.real_matches().next().map(|c| c.id.clone()),
        Some(lead.id.clone()),
        "{n}"
    );

    // Call log: create, look up, and a duplicate session.
    let session = format!("conf-{n}-1");
    let mut flow = PlaceholderFlow::new(phone::parse_e164("+12025550171").unwrap(), String::new());
    flow.contact_type = Some("lead".into());
    let request = flow.call_log_request(&lead, &call(&session));
    let logged = t.keep(c.create_call_log(&request).await).result.unwrap();
    let log_id = logged
        .log_id
        .clone()
        .unwrap_or_else(|| panic!("{n}: a logId"));
    assert!(logged.successful, "{n}");
    let lookup = t
        .keep(
            c.get_call_logs(&[session.clone(), "conf-none".into()])
                .await,
        )
        .result
        .unwrap();
    assert_eq!(lookup.logs.len(), 2, "{n}");
    assert!(
        lookup.logs[0].matched && lookup.logs[0].log_id.as_deref() == Some(log_id.as_str()),
        "{n}: {:?}",
        lookup.logs
    );
    assert!(!lookup.logs[1].matched, "{n}");
    let e = t
        .keep(c.create_call_log(&request).await)
        .result
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("Existing log for session {session}")),
        "{n}: {e}"
    );

    // A missing token: HTTP 400 with the framework's plain text; a bad one, the same.
    let raw = reqwest::get(format!("{}/contact?phoneNumber=%2B14155550100", t.url))
        .await
        .unwrap();
    assert_eq!(raw.status(), 400, "{n}");
    assert_eq!(
        raw.text().await.unwrap(),
        "Please go to Settings and authorize CRM platform",
        "{n}"
    );
    let bad_client = t.client();
    bad_client.set_jwt(Some(Sensitive::from("not-a-jwt")));
    let e = t
        .keep(bad_client.find_contact("+14155550100", "", false).await)
        .result
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unauthorized, "{n}: {e}");

    // The Authorization: Bearer form.
    let bearer = t.client().with_token_style(TokenStyle::Bearer);
    bearer.set_jwt(c.jwt());
    let via_bearer = t
        .keep(bearer.find_contact("+14155550100", "", false).await)
        .result
        .unwrap();
    assert_eq!(via_bearer.real_matches().count(), 1, "{n}");

    // A token near expiry is renewed through x-refreshed-jwt-token, and the new one works.
    let near = t.client();
    near.set_jwt(Some(Sensitive::new(t.mint(3600))));
    let called = t.keep(near.find_contact("+14155550100", "", false).await);
    let renewed = called
        .refreshed_jwt
        .unwrap_or_else(|| panic!("{n}: a renewed token"));
    assert!(called.result.is_ok(), "{n}");
    let fresh = verify(renewed.expose()).unwrap_or_else(|| panic!("{n}: the renewed JWT verifies"));
    assert!(
        fresh.exp - fresh.iat >= 13 * 24 * 3600,
        "{n}: the renewed token has a full lifetime"
    );
    assert_eq!(
        near.jwt().unwrap().expose(),
        renewed.expose(),
        "{n}: the client keeps it"
    );
    assert!(
        t.keep(near.find_contact("+14155550100", "", false).await)
            .result
            .is_ok(),
        "{n}"
    );

    // Sign out: the answer is the connector's returnMessage; the old token then finds nothing.
    let token = c.jwt().unwrap();
    let out = t.keep(c.unauthorize().await).result.unwrap();
    assert_eq!(out["message"], "Logged out of Sandbox CRM.", "{n}: {out}");
    c.set_jwt(Some(token));
    let e = t
        .keep(c.find_contact("+14155550100", "", false).await)
        .result
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rejected, "{n}: {e}");
    assert!(e.to_string().contains("Contact not found"), "{n}: {e}");
}

/// Contract mismatches Switchboard knowingly keeps; each is explained in docs/COMPATIBILITY.md.
fn known(target: &str, exchange: &Exchange, m: &Mismatch) -> bool {
    let at = m.at.as_str();
    // K1: the "Create new contact..." row carries `additionalInfo: null`, as SPEC §3 and real
    // connectors have it; the contract types additionalInfo as an object.
    if m.operation == "getContact"
        && at.starts_with("response 200 /contact/")
        && at.ends_with("/additionalInfo")
    {
        let index: usize = at
            .split('/')
            .nth(2)
            .and_then(|i| i.parse().ok())
            .unwrap_or(usize::MAX);
        let body: Value = exchange
            .response_body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        return body["contact"][index]["id"] == "createNewContact";
    }
    // K2: the automatic variant (1.7.0-beta) sends `newContactType: null` until a type is
    // configured; the manual flow sends the row's defaultContactType or "" (a string).
    if m.operation == "postContact" && at == "request body /newContactType" {
        return m.problem.starts_with("null is not");
    }
    // K3 and K4, the framework's own: 1.7.41 predates the contract's (1.7.42) getManagedAuthOptions
    // key, and answers GET /callLog with `returnMessage: null`.
    target == "framework"
        && ((m.operation == "getImplementedInterfaces"
            && m.problem.contains("\"getManagedAuthOptions\""))
            || (m.operation == "getCallLog"
                && at == "response 200 /returnMessage"
                && m.problem.starts_with("null")))
}

/// The sandbox platform of the manifest both servers serve.
fn sandbox_platform() -> manifest::Platform {
    let m = manifest::parse(manifest::SANDBOX_MANIFEST).unwrap();
    m.platform(Some("sandbox")).unwrap().1.clone()
}

/// Every exchange of the run through the lints the inspector applies, as `METHOD path: rule`.
fn client_lints(t: &Target) -> Vec<String> {
    let platform = sandbox_platform();
    t.exchanges
        .lock()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let path = url::Url::parse(&e.url).unwrap().path().to_owned();
            lint::for_exchange(e, Some(&platform))
                .into_iter()
                .map(move |l| format!("{} {path}: {} at {}", e.method, l.rule, l.at))
        })
        .collect()
}

fn check_contract(t: &Target, at_least: usize) {
    let contract = Contract::load();
    let exchanges = t.exchanges.lock().unwrap();
    assert!(
        exchanges.len() >= at_least,
        "{}: the suite recorded {} exchanges",
        t.name,
        exchanges.len()
    );
    let problems: Vec<String> = exchanges
        .iter()
        .flat_map(|e| contract.check(e).into_iter().map(move |m| (e, m)))
        .filter(|(e, m)| !known(t.name, e, m))
        .map(|(_, m)| m.to_string())
        .collect();
    assert!(
        problems.is_empty(),
        "{}: exchanges outside the contract:\n{}",
        t.name,
        problems.join("\n")
    );
}

#[tokio::test]
async fn the_sandbox_passes_the_conformance_suite_and_the_contract() {
    let t = Target::sandbox().await;
    run_suite(&t).await;
    check_contract(&t, 23);
    assert_eq!(client_lints(&t), WELL_BEHAVED_LINTS, "sandbox");
}

#[tokio::test]
async fn the_real_framework_passes_the_same_suite_and_the_contract() {
    let t = Target::framework().await;
    run_suite(&t).await;
    check_contract(&t, 23);
    assert_eq!(client_lints(&t), WELL_BEHAVED_LINTS, "framework");
}

/// What the inspector's lints say about the well-behaved connector's run, on either server: no
/// error about the connector's answers, only what the client does with them.
const WELL_BEHAVED_LINTS: &[&str] = &[
    // Dorothy Vaughan (+14155550123) has no deals: the client hides the Deal field for her.
    "GET /contact: field-without-options at contact[1].additionalInfo",
    // The reserved name is refused with contactInfo null; the framework then answers with no
    // contact, and extension 1.6.6 shows nothing at all (not even the refusal's message).
    "POST /contact: created-contact-missing at contact",
    // The contact just created for "Conf Lead" has no deals either.
    "GET /contact: field-without-options at contact[0].additionalInfo",
];

/// What createContact and createCallLog received on the framework server (the test connector
/// records it): `{creates: [...], logs: [...]}`.
async fn received(t: &Target) -> Value {
    reqwest::get(format!("{}/_test/received", t.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn manual_flow(number: &str) -> PlaceholderFlow {
    PlaceholderFlow::new(phone::parse_e164(number).unwrap(), String::new())
}

/// The client's rules (extension 1.6.6) against the real framework, with the test connector's odd
/// answers: the two markers of the create row, the `newContactType` the connector receives, a
/// create answer with no contact, and the client's own toasts. Each exchange goes through the
/// inspector's lints, which must name exactly these cases.
#[tokio::test]
async fn the_clients_rules_over_the_real_frameworks_answers() {
    let t = Target::framework().await;
    let c = t.client();
    let key = Sensitive::from("demo");
    t.keep(
        c.api_key_login(&key, "h", &[("apiKey".into(), key.clone())])
            .await,
    )
    .result
    .unwrap();
    let platform = sandbox_platform();
    let lints_of = |e: &Exchange| -> Vec<&'static str> {
        lint::for_exchange(e, Some(&platform))
            .into_iter()
            .map(|l| l.rule)
            .collect()
    };

    // A row flagged isNewContact with another id: the form asks for a name and type, but Save
    // would log against "new-contact" and create nothing. The flow treats it as a match.
    let mut flagged = manual_flow("+12025550901");
    flagged.lookup(&c).await.unwrap();
    let e = &flagged.steps[0].exchanges[0];
    assert_eq!(lints_of(e), ["create-row-id"]);
    let FlowState::Matched { contacts } = &flagged.state else {
        panic!("{:?}", flagged.state)
    };
    let form = forms::log_form("sandbox", &platform, contacts, None, Direction::Inbound);
    assert!(form.new_contact.is_some(), "isNewContact shows the inputs");

    // The id without the flag: Save would create, but the form never shows the name input.
    let mut unflagged = manual_flow("+12025550902");
    unflagged.lookup(&c).await.unwrap();
    let e = &unflagged.steps[0].exchanges[0];
    assert_eq!(lints_of(e), ["create-row-flag"]);
    let FlowState::NeedsContact { contacts } = &unflagged.state else {
        panic!("{:?}", unflagged.state)
    };
    let form = forms::log_form("sandbox", &platform, contacts, None, Direction::Inbound);
    assert!(form.new_contact.is_none(), "no isNewContact, no name input");

    // newContactType with no type picked: the row's defaultContactType, else "".
    let mut typed = manual_flow("+12025550903");
    typed.lookup(&c).await.unwrap();
    let FlowState::NeedsContact { contacts } = &typed.state else {
        panic!("{:?}", typed.state)
    };
    let form = forms::log_form("sandbox", &platform, contacts, None, Direction::Inbound);
    assert_eq!(form.new_contact.unwrap().initial_type, "lead");
    // The one Save (create, then log), with no type picked.
    typed
        .save(
            &c,
            &platform,
            "Conf Default Type",
            None,
            &call("conf-typed-1"),
            FormValues::Complete,
        )
        .await
        .unwrap();
    let mut blank = manual_flow("+12025550904");
    blank.lookup(&c).await.unwrap();
    let FlowState::NeedsContact { contacts } = &blank.state else {
        panic!("{:?}", blank.state)
    };
    let form = forms::log_form("sandbox", &platform, contacts, None, Direction::Inbound);
    assert_eq!(form.new_contact.unwrap().initial_type, "");
    // With the client's own toast after a log with no message, and a form value on both calls.
    let mut quiet = call("conf-quiet-1");
    quiet.note = "no message".into();
    quiet.additional_submission = serde_json::from_value(json!({"ticket": "SUP-1"})).unwrap();
    blank
        .save(
            &c,
            &platform,
            "Conf Blank Type",
            None,
            &quiet,
            FormValues::Complete,
        )
        .await
        .unwrap();
    let got = received(&t).await;
    assert_eq!(
        got["creates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["newContactType"].clone())
            .collect::<Vec<_>>(),
        [Value::from("lead"), Value::from("")],
        "what the connector received: never null"
    );
    assert_eq!(
        got["creates"][1]["additionalSubmission"],
        json!({"ticket": "SUP-1"}),
        "the create gets the form's additionalSubmission"
    );
    let FlowState::Logged { contact, .. } = blank.state.clone() else {
        panic!("{:?}", blank.state)
    };
    assert_eq!(
        contact.kind.as_deref(),
        Some("contact"),
        "\"\" → the CRM's default type"
    );
    // What the framework passed on from the call-log body: the created id, the typed name, the
    // title the typed name wrote, and the same additionalSubmission.
    let logged = &got["logs"][1];
    assert_eq!(logged["contactInfo"]["id"], json!(contact.id));
    assert_eq!(logged["contactInfo"]["name"], "Conf Blank Type");
    assert_eq!(logged["subject"], "Inbound call from Conf Blank Type");
    assert_eq!(logged["additionalSubmission"], json!({"ticket": "SUP-1"}));
    let step = blank.steps.last().unwrap();
    assert_eq!(step.step, flow::Step::Log);
    assert_eq!(
        (step.return_message.clone(), step.message_source),
        (
            Some(ReturnMessage::new("success", "Call log added", 3000)),
            Some(MessageSource::Client)
        )
    );
    // The framework's own answer to a second log for the same session.
    let dup = t.keep(
        c.create_call_log(&blank.call_log_request(&contact, &quiet))
            .await,
    );
    let (m, source) = flow::call_log_toast(&dup.exchange, &dup.result);
    assert!(
        m.and_then(|m| m.message)
            .is_some_and(|m| m.starts_with("Existing log for session")),
        "the framework's own answer"
    );
    assert_eq!(source, Some(MessageSource::Server));

    // A create answer with no contact (the connector used `contact` for `contactInfo`): the CRM
    // has the contact, but the client does nothing visible and logs nothing.
    let before = t.contact_count().await;
    let mut lost = manual_flow("+12025550905");
    lost.lookup(&c).await.unwrap();
    let e = lost
        .save(
            &c,
            &platform,
            "Wrong Key Contact",
            Some("lead".into()),
            &call("conf-lost-1"),
            FormValues::Complete,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no toast, no call log"), "{e}");
    let step = lost.steps.last().unwrap();
    assert!(step.return_message.is_none(), "no toast");
    assert_eq!(
        step.lints
            .iter()
            .map(|l| (l.rule, l.level))
            .collect::<Vec<_>>(),
        [("created-contact-missing", lint::LintLevel::Error)]
    );
    assert_eq!(lints_of(&step.exchanges[0]), ["created-contact-missing"]);
    assert_eq!(
        t.contact_count().await,
        before + 1,
        "the CRM made it anyway"
    );
    assert!(matches!(lost.state, FlowState::NeedsContact { .. }));

    // The automatic variant (1.7.0-beta) on an unknown number: the placeholder's name from the
    // prefix and the number, the configured type, and a call log whose contact fields come from
    // the created contact as the connector returned it.
    let mut auto = manual_flow("+12025550906");
    let settings = flow::AutoSettings {
        contact_type: Some("lead".into()),
        ..flow::AutoSettings::default()
    };
    auto.run_automatic(&c, &settings, &call("conf-auto-1"), false)
        .await
        .unwrap();
    assert!(
        matches!(
            auto.state,
            FlowState::Verified {
                contact_found: true,
                log_matched: true,
                ..
            }
        ),
        "{:?}",
        auto.state
    );
    let seen = received(&t).await;
    let created = seen["creates"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        created["newContactName"],
        "PlaceholderContactConformance Caller +12025550906"
    );
    assert_eq!(created["newContactType"], "lead");
    let logged = seen["logs"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(logged["contactInfo"]["type"], "lead");
    assert_eq!(
        logged["contactInfo"]["name"],
        "PlaceholderContactConformance Caller +12025550906"
    );
    assert_eq!(
        logged["subject"],
        "Inbound Call from PlaceholderContactConformance Caller +12025550906"
    );
    assert!(
        auto.steps.iter().all(|s| s
            .return_message
            .as_ref()
            .is_none_or(|_| s.step != flow::Step::Create)),
        "the create answer's message is not shown"
    );

    // Every exchange of this test, through the inspector's lints: only the cases above.
    for f in [&flagged, &unflagged, &typed, &blank, &lost, &auto] {
        for e in f.steps.iter().flat_map(|s| &s.exchanges) {
            t.keep_exchange(e);
        }
    }
    let mut found = client_lints(&t);
    found.sort();
    assert_eq!(
        found,
        [
            "GET /contact: create-row-flag at contact[0].isNewContact",
            "GET /contact: create-row-id at contact[0].id",
            // The automatic placeholder, found again by the verification: no deals to offer.
            "GET /contact: field-without-options at contact[0].additionalInfo",
            "POST /contact: created-contact-missing at contact",
        ]
    );
    check_contract(&t, 5);
}

/// The `key` of each rendered field, in order.
fn keys(fields: &[forms::FieldModel]) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            serde_json::to_value(f).unwrap()["key"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// More of the client's rules (SPEC §6–§7), each over what the real framework answers or receives
/// from the test connector: rule 3 (the call-log body's formats list and numeric id), rule 5 (the
/// form built from real answers), rule 6 (the automatic variant with several matches), rule 7
/// (`page.useContactSearch`), rule 8 (no `contact` key; `successful: false`) and rule 9 (the
/// manifest's timeout, in seconds).
#[tokio::test]
async fn more_of_the_clients_rules_over_the_real_framework() {
    let t = Target::framework().await;
    let c = t.client();
    let key = Sensitive::from("demo");
    c.api_key_login(&key, "h", &[("apiKey".into(), key.clone())])
        .await
        .result
        .unwrap();
    let platform = sandbox_platform();

    // Rule 3: POST /callLog carries the user's formats as a list (GET /contact joins them) and a
    // numeric contact id as a number, as the lookup gave it.
    let formats = vec!["(***) ***-****".to_owned(), "***-***-****".to_owned()];
    let mut numeric = manual_flow("+12025550916").with_formats(formats.clone());
    numeric.lookup(&c).await.unwrap();
    let FlowState::Matched { contacts } = numeric.state.clone() else {
        panic!("{:?}", numeric.state)
    };
    let row = contacts.iter().find(|r| r.id == "4242").unwrap();
    numeric.log_against(row);
    let request = numeric.call_log_request(row, &call("conf-numeric-1"));
    c.create_call_log(&request).await.result.unwrap();
    let got = received(&t).await;
    let body = got["callLogBodies"].as_array().unwrap().last().unwrap();
    assert_eq!(body["overridingFormat"], json!(formats), "a list: {body}");
    assert_eq!(body["contactId"], json!(4242), "a number: {body}");
    let logged = got["logs"].as_array().unwrap().last().unwrap();
    assert_eq!(logged["contactIdType"], "number", "{logged}");
    assert_eq!(logged["contactInfo"]["name"], "Numeric Id Person");

    // Rule 5: the form over real answers. Ada's Deal list fills the Deal selection (first option
    // preselected, "None" last); the Billable checkbox is hidden, her additionalInfo lacking its
    // key; the input and the warning show.
    let ada = c
        .find_contact("+14155550100", "", false)
        .await
        .result
        .unwrap();
    let form = forms::log_form("sandbox", &platform, &ada.contact, None, Direction::Inbound);
    assert_eq!(form.crash, None);
    assert_eq!(keys(&form.fields), ["deals", "ticket", "dealWarning"]);
    let forms::FieldModel::Selection { options, value, .. } = &form.fields[0] else {
        panic!("{:?}", form.fields[0])
    };
    assert_eq!(
        options.iter().map(|o| o.value.clone()).collect::<Vec<_>>(),
        [json!("D-1001"), json!("D-1002"), json!("none")]
    );
    assert_eq!(value, &Some(json!("D-1001")));
    assert!(
        form.new_contact.is_none(),
        "a real match: no new-contact inputs"
    );
    // A create row that carries a Deal list and Billable's key: both show, Billable checked, and
    // the new contact's Company input; an untouched Save sends these starting values.
    let mut rich = manual_flow("+12025550911");
    rich.lookup(&c).await.unwrap();
    let FlowState::NeedsContact { contacts } = rich.state.clone() else {
        panic!("{:?}", rich.state)
    };
    let form = forms::log_form("sandbox", &platform, &contacts, None, Direction::Inbound);
    assert_eq!(form.crash, None);
    assert_eq!(
        keys(&form.fields),
        ["deals", "billable", "ticket", "dealWarning"]
    );
    assert!(
        matches!(
            &form.fields[1],
            forms::FieldModel::Checkbox { default: true, .. }
        ),
        "{:?}",
        form.fields[1]
    );
    assert_eq!(keys(&form.new_contact.unwrap().fields), ["company"]);
    rich.save(
        &c,
        &platform,
        "Conf Form Defaults",
        None,
        &call("conf-rich-1"),
        FormValues::OverDefaults,
    )
    .await
    .unwrap();
    let got = received(&t).await;
    let starting = json!({"deals": "D-NEW-1", "billable": true});
    assert_eq!(
        got["creates"].as_array().unwrap().last().unwrap()["additionalSubmission"],
        starting
    );
    assert_eq!(
        got["logs"].as_array().unwrap().last().unwrap()["additionalSubmission"],
        starting
    );

    // Rule 6: the automatic variant (1.7.0-beta) with three matches (no create row): skipped with
    // the client's warning, or the first by name, or the latest activity; neither rule picks the
    // first row (Katherine Johnson).
    let several = |rule| flow::AutoSettings {
        multiple_contacts: rule,
        ..flow::AutoSettings::default()
    };
    let logs_before = received(&t).await["logs"].as_array().unwrap().len();
    let mut skip = manual_flow("+12025550915");
    skip.run_automatic(
        &c,
        &several(flow::MultipleContacts::SkipLogging),
        &call("conf-several-skip"),
        false,
    )
    .await
    .unwrap();
    assert!(matches!(skip.state, FlowState::NotLogged { .. }));
    let step = skip.steps.last().unwrap();
    assert_eq!(
        (step.return_message.clone(), step.message_source),
        (
            Some(ReturnMessage::new(
                "warning",
                "Call not logged. There are multiple matched contacts. Please log it manually on call history page",
                5000
            )),
            Some(MessageSource::Client)
        )
    );
    assert_eq!(
        received(&t).await["logs"].as_array().unwrap().len(),
        logs_before,
        "nothing logged"
    );
    for (rule, session, id, name) in [
        (
            flow::MultipleContacts::FirstAlphabetical,
            "conf-several-name",
            "105",
            "Dorothy Vaughan",
        ),
        (
            flow::MultipleContacts::MostRecentActivity,
            "conf-several-recent",
            "107",
            "Margaret Hamilton",
        ),
    ] {
        let mut picked = manual_flow("+12025550915");
        picked
            .run_automatic(&c, &several(rule), &call(session), false)
            .await
            .unwrap();
        assert!(
            matches!(
                picked.state,
                FlowState::Verified {
                    contact_found: true,
                    log_matched: true,
                    ..
                }
            ),
            "{rule:?}: {:?}",
            picked.state
        );
        let got = received(&t).await;
        let logged = got["logs"].as_array().unwrap().last().unwrap();
        assert_eq!(logged["contactInfo"]["id"], id, "{rule:?}");
        assert_eq!(logged["contactInfo"]["name"], name, "{rule:?}");
        assert_eq!(logged["subject"], format!("Inbound Call from {name}"));
    }

    // Rule 7: page.useContactSearch adds the client's "Search contacts" row (so an unknown
    // number's two rows show no "No contact found" warning), and the search is
    // GET /custom/contact/search?name= through the framework to the connector's
    // findContactWithName.
    let unknown = c
        .find_contact("+12025550918", "", false)
        .await
        .result
        .unwrap();
    let plain = forms::log_form(
        "sandbox",
        &platform,
        &unknown.contact,
        None,
        Direction::Inbound,
    );
    assert_eq!(plain.warning.as_deref(), Some(forms::NO_CONTACT_WARNING));
    let mut searching = platform.clone();
    searching.page.as_mut().unwrap().use_contact_search = true;
    let form = forms::log_form(
        "sandbox",
        &searching,
        &unknown.contact,
        None,
        Direction::Inbound,
    );
    assert_eq!(
        form.contacts
            .iter()
            .map(|o| (o.id.as_str(), o.is_search_row))
            .collect::<Vec<_>>(),
        [
            ("createNewContact", false),
            (forms::SEARCH_CONTACT_ID, true)
        ]
    );
    assert_eq!(form.warning, None);
    let searched = c.search_contacts("lovelace").await;
    let path = url::Url::parse(&searched.exchange.url).unwrap();
    assert_eq!(path.path(), "/custom/contact/search");
    assert!(
        path.query_pairs()
            .any(|(k, v)| k == "name" && v == "lovelace"),
        "{path}"
    );
    let found = searched.result.unwrap();
    assert_eq!(
        found
            .real_matches()
            .map(|r| (r.id.as_str(), r.display_name()))
            .collect::<Vec<_>>(),
        [("101", "Ada Lovelace")]
    );

    // Rule 8: an answer with no `contact` key (the connector sent no list) gets the client's own
    // "No contact found"; `successful: false` leaves the form closed, so there is nothing to save.
    let mut listless = manual_flow("+12025550917");
    listless.lookup(&c).await.unwrap();
    let step = &listless.steps[0];
    let body: Value =
        serde_json::from_str(step.exchanges[0].response_body.as_deref().unwrap()).unwrap();
    assert!(body.get("contact").is_none(), "{body}");
    assert_eq!(
        (step.return_message.clone(), step.message_source),
        (
            Some(ReturnMessage::no_contact_found()),
            Some(MessageSource::Client)
        )
    );
    let sent_before = received(&t).await;
    let mut refused = manual_flow("+12025550914");
    let e = refused.lookup(&c).await.unwrap_err();
    assert!(
        matches!(e, flow::FlowError::Client(ClientError::Rejected { .. })),
        "{e}"
    );
    assert_eq!(refused.state, FlowState::Ready, "no form");
    let e = refused
        .save(
            &c,
            &platform,
            "Never Sent",
            None,
            &call("conf-refused-1"),
            FormValues::OverDefaults,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, flow::FlowError::OutOfOrder { .. }), "{e}");
    assert_eq!(received(&t).await, sent_before, "nothing was sent");

    // Rule 9: requestConfig.timeout is seconds (× 1000 in the client): 1 s lets a quick answer
    // through and cuts the connector's 2 s one short; the default (30 s) waits for it.
    let mut manifest_json: Value = serde_json::from_str(manifest::SANDBOX_MANIFEST).unwrap();
    manifest_json["platforms"]["sandbox"]["requestConfig"] = json!({"timeout": 1});
    let hurried_manifest = manifest::parse(&manifest_json.to_string()).unwrap();
    let (timeout, problem) = hurried_manifest
        .platform(Some("sandbox"))
        .unwrap()
        .1
        .request_timeout();
    assert_eq!((timeout, problem), (Duration::from_secs(1), None));
    assert_eq!(platform.request_timeout().0, Duration::from_secs(30));
    let hurried = AppConnectClient::new(&t.url, "sandbox", Some(timeout)).unwrap();
    hurried.set_jwt(c.jwt());
    assert!(
        hurried
            .find_contact("+14155550100", "", false)
            .await
            .result
            .is_ok(),
        "a quick answer arrives within 1 s"
    );
    let started = Instant::now();
    let slow = hurried.find_contact("+12025550919", "", false).await;
    assert!(
        matches!(slow.result, Err(ClientError::Timeout { .. })),
        "{:?}",
        slow.result
    );
    assert!(started.elapsed() < Duration::from_millis(1900));
    let (m, source) = flow::failure_toast(&slow.exchange, slow.result.as_ref().err());
    assert_eq!(
        (m.and_then(|m| m.message), source),
        (Some("Timeout".to_owned()), Some(MessageSource::Client))
    );
    let patient =
        AppConnectClient::new(&t.url, "sandbox", Some(platform.request_timeout().0)).unwrap();
    patient.set_jwt(c.jwt());
    let answered = patient.find_contact("+12025550919", "", false).await;
    assert!(answered.result.is_ok(), "{:?}", answered.result);
}

/// The framework's OAuth platform, from its manifest loaded by URL: name, OAuth settings and the
/// redirect URI the client would use.
async fn oauth_platform(t: &Target) -> (String, manifest::OAuth, String) {
    let source = ManifestSource::parse(&format!("{}/_test/manifest.json", t.url));
    let loaded = manifest::load(&source).await.unwrap();
    let (name, platform) = loaded.manifest.platform(Some("sandboxOauth")).unwrap();
    assert_eq!(platform.auth_type(), AuthType::OAuth);
    let settings = platform
        .auth
        .as_ref()
        .and_then(|a| a.oauth.clone())
        .unwrap();
    let redirect = oauth::redirect_uri(&loaded.manifest, &settings).unwrap();
    (name.to_owned(), settings, redirect)
}

/// The OAuth callback path, on the framework only (the sandbox is API-key only, K6): the manifest
/// from the server by URL, the authorize URL built as the client builds it, the fake authorization
/// server's redirect, then `GET /oauth-callback` and a lookup with the session it gives.
#[tokio::test]
async fn oauth_sign_in_through_the_real_frameworks_callback() {
    let t = Target::framework().await;
    let (name, settings, redirect) = oauth_platform(&t).await;
    let name = name.as_str();
    let authorize = oauth::authorize_url(name, &settings, &redirect).unwrap();
    assert!(
        authorize.query().unwrap().contains("&scope=contacts.read&"),
        "{authorize}"
    );

    // The browser's part: the authorization server sends it back to the redirect URI with a code.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(authorize).send().await.unwrap();
    assert_eq!(
        answer.status(),
        302,
        "the fake authorization server accepts the client's URL"
    );
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&redirect) && location.contains("code="),
        "{location}"
    );
    assert!(
        location.contains("state=platform%3DsandboxOauth"),
        "the state comes back: {location}"
    );

    // The connector server's part.
    let client = AppConnectClient::new(&t.url, name, None).unwrap();
    let called = t.keep(
        client
            .oauth_callback(&Sensitive::new(location.clone()), "sandbox-crm.example.com")
            .await,
    );
    assert!(
        called.exchange.url.contains("callbackUri=<redacted>"),
        "the code never reaches the inspector: {}",
        called.exchange.url
    );
    let login = called.result.unwrap();
    assert_eq!(login.name.as_deref(), Some("OAuth Demo User"));
    let claims = verify(&login.jwt_token).unwrap();
    assert_eq!(
        (claims.id.as_str(), claims.platform.as_str()),
        ("oauth-user-1", "sandboxOauth")
    );
    let found = t
        .keep(client.find_contact("+14155550100", "", false).await)
        .result
        .unwrap();
    assert_eq!(
        found
            .real_matches()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["101"]
    );

    // A code is single use: replaying the redirect is refused, and the client says so.
    let again = AppConnectClient::new(&t.url, name, None).unwrap();
    let replay = t.keep(
        again
            .oauth_callback(&Sensitive::new(location), "sandbox-crm.example.com")
            .await,
    );
    assert!(replay.result.is_err(), "a used code must not sign in again");
    assert!(again.jwt().is_none());
    check_contract(&t, 3);
}

/// The desktop's OAuth path: the authorize URL's redirect points at Switchboard's loopback
/// listener; a browser (reqwest following redirects) signs in at the fake authorization server and
/// lands on the listener, whose URL then goes to the real framework's `GET /oauth-callback`.
#[tokio::test]
async fn oauth_sign_in_through_the_loopback_redirect() {
    let t = Target::framework().await;
    let (name, settings, manifest_redirect) = oauth_platform(&t).await;
    let (name, settings) = (name.as_str(), &settings);
    let listener = oauth::LoopbackRedirect::bind(Some(&manifest_redirect), 0)
        .await
        .unwrap();
    let redirect = listener.redirect_uri().to_owned();
    let authorize = oauth::authorize_url(name, settings, &redirect).unwrap();
    let state = oauth::state(name, settings);
    let waiting = tokio::spawn(listener.wait(state, std::time::Duration::from_secs(20)));

    let landing = reqwest::get(authorize).await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(
        landing.url().as_str().starts_with(&redirect),
        "the browser ended on the loopback listener: {}",
        landing.url()
    );
    assert!(landing.text().await.unwrap().contains("Signed in"));
    let callback = waiting.await.unwrap().unwrap();

    let client = AppConnectClient::new(&t.url, name, None).unwrap();
    let login = t
        .keep(
            client
                .oauth_callback(&callback, "sandbox-crm.example.com")
                .await,
        )
        .result
        .unwrap();
    assert_eq!(login.name.as_deref(), Some("OAuth Demo User"));
    assert_eq!(verify(&login.jwt_token).unwrap().id, "oauth-user-1");
    let found = t
        .keep(client.find_contact("+14155550100", "", false).await)
        .result
        .unwrap();
    assert_eq!(found.real_matches().count(), 1);
    check_contract(&t, 2);
}

#[test]
fn the_contract_check_reports_operation_and_path() {
    let exchange = Exchange {
        method: "GET".into(),
        url: "http://127.0.0.1:1/contact?jwtToken=<redacted>&isExtension=maybe".into(),
        request_headers: Vec::new(),
        request_body: None,
        status: Some(200),
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: Some(r#"{"successful": true, "contact": {"id": true, "name": "x"}}"#.into()),
        elapsed_ms: 1,
        refreshed_token: false,
    };
    let found: Vec<String> = Contract::load()
        .check(&exchange)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        found
            .iter()
            .any(|m| m.starts_with("getContact: query phoneNumber: required")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.starts_with("getContact: query isExtension")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.starts_with("getContact: response 200 /contact")),
        "a contact object instead of a list: {found:?}"
    );
}
