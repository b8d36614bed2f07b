//! Rules of the engine, with secrets in memory, a pinned clock and small recording servers on
//! loopback (each answers like a connector server and remembers every request it received).

use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;

use super::*;
use crate::keychain::MemoryStore;
use crate::test_http::{answer_json, read_request};

/// A request as the server received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    body: String,
}

#[derive(Clone)]
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    /// A connector-like server: every login succeeds with a token naming this server, every
    /// lookup finds one contact, and every other call succeeds.
    async fn start(name: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let (method, target) =
                        (request.method().to_owned(), request.target().to_owned());
                    let path = target.split('?').next().unwrap_or("").to_owned();
                    log.lock().unwrap().push(Seen {
                        method: method.clone(),
                        target,
                        body: request.body,
                    });
                    let answer = match (method.as_str(), path.as_str()) {
                        ("POST", "/apiKeyLogin") | ("GET", "/oauth-callback") => format!(
                            r#"{{"jwtToken":"token-of-{name}","name":"User of {name}","returnMessage":{{"message":"ok","messageType":"success","ttl":1000}}}}"#
                        ),
                        ("GET", "/contact") => format!(
                            r#"{{"successful":true,"contact":[{{"id":"c1","name":"Ada at {name}","type":"lead"}}]}}"#
                        ),
                        _ => r#"{"successful":true}"#.to_owned(),
                    };
                    answer_json(&mut stream, &answer).await;
                });
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Every request that carried a session token, and which.
    fn tokens(&self) -> Vec<String> {
        self.seen()
            .iter()
            .filter_map(|s| {
                s.target
                    .split(['?', '&'])
                    .find_map(|p| p.strip_prefix("jwtToken="))
                    .map(str::to_owned)
            })
            .collect()
    }
}

type TestBench = Workbench<Arc<MemoryStore>, Arc<ManualClock>>;

const NOW: i64 = 1_790_000_000_000;

/// A manifest with one API-key platform whose login page has a required API key.
fn manifest_json(server: &str) -> String {
    format!(
        r#"{{"serverUrl":"{server}","platforms":{{"crm":{{"name":"crm","displayName":"CRM",
        "auth":{{"type":"apiKey","apiKey":{{"page":{{"content":[{{"const":"apiKey","title":"API key","type":"string","required":true}}]}}}}}},
        "contactTypes":[{{"display":"Lead","value":"lead"}}]}}}}}}"#
    )
}

struct Fixture {
    wb: TestBench,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(server: &str) -> Self {
        Self::with_store(server, Arc::new(MemoryStore::new())).await
    }

    async fn with_store(server: &str, store: Arc<MemoryStore>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        std::fs::write(&path, manifest_json(server)).unwrap();
        let profiles = Profiles::in_memory(Profile {
            name: "Test".into(),
            manifest: path.display().to_string(),
            ..Profile::default()
        })
        .unwrap();
        let clock = Arc::new(ManualClock::at(NOW));
        let wb = Workbench::new(profiles, store.clone(), clock.clone(), None, "test");
        let view = wb.open_profile().await;
        assert_eq!(view.manifest_problem, None, "the test manifest opens");
        Self {
            wb,
            store,
            clock,
            dir,
        }
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.path().join("manifest.json")
    }

    async fn sign_in(&self, key: &str, remember: bool) -> Result<SignInView> {
        self.wb
            .sign_in(SignIn {
                fields: vec![("apiKey".into(), key.into())],
                hostname: None,
                remember,
            })
            .await
    }
}

fn number() -> PhoneInput {
    PhoneInput {
        input: "+14155550100".into(),
        region: None,
        formats: vec![],
    }
}

#[tokio::test]
async fn a_session_never_leaves_the_server_that_issued_it() {
    let a = Recorder::start("a").await;
    let b = Recorder::start("b").await;
    let f = Fixture::new(&a.url).await;
    let signed = f.sign_in("key-for-a", true).await.unwrap();
    assert_eq!(signed.user_name.as_deref(), Some("User of a"));
    f.wb.find_contact(&number()).await.unwrap();
    assert_eq!(a.tokens(), ["token-of-a"], "A's lookup carries A's token");

    // Point the profile at B: signed out there, and a lookup sends nothing at all.
    let view = f.wb.set_server_url(&b.url).await.unwrap();
    assert!(!view.session.signed_in, "no session for B yet");
    assert!(
        view.session
            .server
            .contains(b.url.trim_start_matches("http://")),
        "{}",
        view.session.server
    );
    assert!(!view.stored.session && view.stored.login_fields.is_empty());
    let e = f.wb.find_contact(&number()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotSignedIn);
    assert!(
        e.message
            .contains("Not signed in to crm at http://127.0.0.1:"),
        "{}",
        e.message
    );
    // A blank API key does not borrow the key stored for A.
    let e = f.sign_in("", false).await.unwrap_err();
    assert!(e.message.contains("API key (apiKey)"), "{}", e.message);
    assert!(b.seen().is_empty(), "B received nothing: {:?}", b.seen());

    // Back to A: signed in again with A's stored session, nothing re-entered.
    let view = f.wb.set_server_url("").await.unwrap();
    assert!(view.session.signed_in, "A's session is restored");
    assert_eq!(view.session.user_name.as_deref(), Some("User of a"));
    let found = f.wb.find_contact(&number()).await.unwrap();
    assert_eq!(
        found.response.unwrap().contact[0].name.as_deref(),
        Some("Ada at a")
    );
    assert_eq!(a.tokens(), ["token-of-a", "token-of-a"]);

    // Signing in to B stores B's own session; A's stays A's.
    f.wb.set_server_url(&b.url).await.unwrap();
    f.sign_in("key-for-b", false).await.unwrap();
    f.wb.find_contact(&number()).await.unwrap();
    assert_eq!(b.tokens(), ["token-of-b"]);
    assert!(
        !b.seen()
            .iter()
            .any(|s| s.body.contains("key-for-a") || s.target.contains("token-of-a")),
        "nothing of A's reached B"
    );
    let accounts = f.store.accounts();
    assert!(
        accounts.contains(&format!(
            "session:crm@{}:{}",
            "http://127.0.0.1",
            a.url.rsplit(':').next().unwrap()
        )),
        "{accounts:?}"
    );
    assert_eq!(
        accounts.len(),
        3,
        "A's session and login values, B's session: {accounts:?}"
    );
}

#[tokio::test]
async fn a_manifest_edit_that_moves_the_server_moves_the_session() {
    let a = Recorder::start("a").await;
    let b = Recorder::start("b").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key-for-a", false).await.unwrap();
    std::fs::write(f.manifest_path(), manifest_json(&b.url)).unwrap();
    let view = f.wb.reload_manifest_file(&f.manifest_path()).await.unwrap();
    assert!(
        !view.session.signed_in,
        "the edited serverUrl has no session"
    );
    assert_eq!(
        f.wb.find_contact(&number()).await.unwrap_err().code,
        ErrorCode::NotSignedIn
    );
    assert!(b.seen().is_empty());

    // Opening another manifest file with A's serverUrl is signed in again.
    let other = f.dir.path().join("other.json");
    std::fs::write(&other, manifest_json(&a.url)).unwrap();
    let view =
        f.wb.open_manifest(&other.display().to_string())
            .await
            .unwrap();
    assert!(view.session.signed_in);
    assert_eq!(
        view.profile.manifest,
        other.display().to_string(),
        "the profile remembers it"
    );
}

#[tokio::test]
async fn a_server_or_manifest_that_cannot_be_used_changes_nothing() {
    let a = Recorder::start("a").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key", false).await.unwrap();
    let e = f.wb.set_server_url("localhost:6066").await.unwrap_err();
    assert!(e.message.contains("http://localhost:6066"), "{}", e.message);
    let broken = f.dir.path().join("broken.json");
    std::fs::write(&broken, "{\"platforms\": {").unwrap();
    let e =
        f.wb.open_manifest(&broken.display().to_string())
            .await
            .unwrap_err();
    assert_eq!(e.code, ErrorCode::ManifestInvalid);
    // No serverUrl and no override: refused, and the working manifest stays.
    let bare = f.dir.path().join("bare.json");
    std::fs::write(&bare, r#"{"platforms":{"x":{"name":"x"}}}"#).unwrap();
    let e =
        f.wb.open_manifest(&bare.display().to_string())
            .await
            .unwrap_err();
    assert!(e.message.contains("no serverUrl"), "{}", e.message);
    let view = f.wb.view().await;
    assert!(view.session.signed_in, "still signed in to A");
    assert_eq!(view.server_url, a.url);
    assert_eq!(
        view.profile.server_url, None,
        "the bad override was not kept"
    );
    assert_eq!(view.platform.name, "crm");
    f.wb.find_contact(&number()).await.unwrap();
}

#[tokio::test]
async fn a_missing_keychain_stops_sign_in_before_any_request() {
    let a = Recorder::start("a").await;
    let f = Fixture::with_store(&a.url, Arc::new(MemoryStore::unavailable())).await;
    let view = f.wb.view().await;
    assert!(view.keychain_problem.unwrap().contains("gnome-keyring"));
    let e = f.sign_in("key", true).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::KeychainUnavailable);
    let e = f.wb.find_contact(&number()).await.unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::KeychainUnavailable,
        "the fix is the keychain, not a sign-in"
    );
    assert!(a.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn remembered_login_values_are_reused_only_on_their_server() {
    let a = Recorder::start("a").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("remembered-key", true).await.unwrap();
    f.wb.sign_out().await.unwrap();
    assert!(
        f.store.accounts().is_empty(),
        "sign-out deletes the server's secrets"
    );
    f.sign_in("remembered-key", true).await.unwrap();
    f.wb.forget_login().await.unwrap();
    f.sign_in("typed-again", true).await.unwrap();
    let logins: Vec<String> = a
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.target == "/apiKeyLogin")
        .map(|s| s.body.clone())
        .collect();
    assert_eq!(logins.len(), 3);
    assert!(logins[2].contains("typed-again"));
    // A blank field now reuses the value remembered for this server.
    let view = f.sign_in("   ", false).await.unwrap();
    assert_eq!(view.user_name.as_deref(), Some("User of a"));
    let last = a
        .seen()
        .iter()
        .rev()
        .find(|s| s.target == "/apiKeyLogin")
        .unwrap()
        .body
        .clone();
    assert!(last.contains("\"apiKey\":\"typed-again\""), "{last}");
}

#[tokio::test]
async fn the_simulated_call_uses_the_clock_and_the_agents_number() {
    let a = Recorder::start("a").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key", false).await.unwrap();
    let id = f.wb.view().await.profile.id;
    f.wb.profile_update(
        &id,
        ProfileEdit {
            agent_number: Some("+1 (202) 555-0111".into()),
            ..ProfileEdit::default()
        },
    )
    .await
    .unwrap();
    f.clock.advance_ms(5_000);
    let contact = ContactInfo {
        id: "c1".into(),
        name: Some("Ada".into()),
        kind: Some("lead".into()),
        ..ContactInfo::default()
    };
    let logged =
        f.wb.log_call(
            &number(),
            contact,
            CallInput {
                direction: Direction::Inbound,
                caller_name: None,
                duration_s: 30,
                note: String::new(),
                subject: None,
                started_minutes_ago: 2,
                additional_submission: Map::new(),
                session_id: Some("s-1".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(logged.session_id, "s-1");
    let body: Value = serde_json::from_str(
        &a.seen()
            .iter()
            .find(|s| s.target.starts_with("/callLog"))
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(body["logInfo"]["startTime"], NOW + 5_000 - 120_000);
    assert_eq!(
        body["logInfo"]["to"]["phoneNumber"], "+12025550111",
        "the agent is the callee of an inbound call"
    );
    assert_eq!(body["logInfo"]["customSubject"], "Inbound Call from Ada");
    // A contact type the manifest does not have is refused before sending.
    let e =
        f.wb.create_contact(&number(), "X", Some("account".into()), Map::new())
            .await
            .unwrap_err();
    assert!(e.message.contains("use one of: lead"), "{}", e.message);
}

#[tokio::test]
async fn oauth_needs_the_state_it_began_with() {
    let a = Recorder::start("a").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oauth.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"serverUrl":"{}","redirectUri":"https://app.test/redirect","platforms":{{"crm":{{"name":"crm",
            "auth":{{"type":"oauth","oauth":{{"authUrl":"https://crm.test/authorize","clientId":"cid","scope":""}}}}}}}}}}"#,
            a.url
        ),
    )
    .unwrap();
    let profiles = Profiles::in_memory(Profile {
        manifest: path.display().to_string(),
        ..Profile::default()
    })
    .unwrap();
    let wb = Workbench::new(
        profiles,
        Arc::new(MemoryStore::new()),
        Arc::new(ManualClock::at(NOW)),
        None,
        "t",
    );
    wb.open_profile().await;
    let e = wb
        .oauth_paste("https://app.test/redirect?code=c&state=platform%3Dcrm".into())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FlowOrder, "no sign-in was started");

    // Pasted: a wrong state is refused and nothing is sent; the right one signs in.
    let started = wb.oauth_start(false, None, 0).await.unwrap();
    assert!(
        started.view.authorize_url.contains("client_id=cid"),
        "{}",
        started.view.authorize_url
    );
    let e = wb
        .oauth_paste("https://app.test/redirect?code=c&state=platform%3Dother".into())
        .await
        .unwrap_err();
    assert!(e.message.to_lowercase().contains("state"), "{}", e.message);
    assert!(a.seen().is_empty());
    wb.oauth_start(false, None, 0).await.unwrap();
    let view = wb
        .oauth_paste("https://app.test/redirect?code=c&state=platform%3Dcrm".into())
        .await
        .unwrap();
    assert_eq!(view.user_name.as_deref(), Some("User of a"));
    assert!(wb.view().await.session.signed_in);

    // Loopback: the browser's redirect completes the sign-in through the wait.
    wb.sign_out().await.unwrap();
    let started = wb.oauth_start(true, None, 0).await.unwrap();
    let redirect = started.view.redirect_uri.clone();
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/redirect"),
        "{redirect}"
    );
    let wait = tokio::spawn(started.wait.unwrap());
    let page = reqwest::get(format!("{redirect}?code=c2&state=platform%3Dcrm"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let finished = wait.await.unwrap().unwrap();
    assert_eq!(finished.error, None);
    assert!(wb.view().await.session.signed_in);

    // Cancelled: the wait ends with nothing.
    let started = wb.oauth_start(true, None, 0).await.unwrap();
    wb.oauth_cancel().await;
    assert!(started.wait.unwrap().await.is_none());
}

#[tokio::test]
async fn flows_follow_their_order_and_end_with_their_server() {
    let a = Recorder::start("a").await;
    let b = Recorder::start("b").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key", false).await.unwrap();
    let e = f.wb.flow_verify().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::FlowOrder);
    let view = f.wb.flow_start(&number()).await.unwrap();
    assert_eq!(view.flow.steps.len(), 1);
    assert!(view.subjects.is_none(), "no contact yet");
    f.wb.set_server_url(&b.url).await.unwrap();
    let e =
        f.wb.flow_save(SaveInput {
            name: "X".into(),
            contact_type: None,
            call: CallInput {
                direction: Direction::Inbound,
                caller_name: None,
                duration_s: 30,
                note: String::new(),
                subject: None,
                started_minutes_ago: 0,
                additional_submission: Map::new(),
                session_id: None,
            },
            form_values: crate::flow::FormValues::Complete,
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::NotSignedIn,
        "the flow ended with A's session"
    );
    assert!(b.seen().is_empty());
    let history = f.wb.history().await;
    assert_eq!(history.len(), 2, "login and lookup are in the history");
    assert!(
        history
            .iter()
            .all(|r| !r.exchange.url.contains("token-of-a")),
        "history is redacted"
    );
}

#[test]
fn the_automatic_name_is_computed_here_not_in_the_ui() {
    let p = TestBench::auto_preview(&number(), "PlaceholderContact", Some("Jane Doe"));
    assert_eq!(p.name, "PlaceholderContactJane Doe +14155550100");
    let p = TestBench::auto_preview(
        &PhoneInput {
            input: "abc".into(),
            ..PhoneInput::default()
        },
        "P",
        None,
    );
    assert_eq!(p.name, "P <number>");
}

#[tokio::test]
async fn the_first_view_waits_for_the_profile_to_open() {
    let a = Recorder::start("a").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key", false).await.unwrap();
    // A second start on the same keychain, as after a restart.
    let profiles = Profiles::in_memory(Profile {
        manifest: f.manifest_path().display().to_string(),
        ..Profile::default()
    })
    .unwrap();
    let wb = Workbench::new(profiles, f.store.clone(), f.clock.clone(), None, "test");
    let opening = wb.start(None);
    let early = tokio::spawn({
        let wb = wb.clone();
        async move { wb.view().await }
    });
    // Let the early view run before the opening is even polled: it must wait for it.
    tokio::task::yield_now().await;
    assert!(
        !early.is_finished(),
        "the first view waits for the profile to open"
    );
    let (opened, problem) = opening.await;
    assert_eq!(problem, None);
    assert!(opened.session.signed_in);
    let early = early.await.unwrap();
    assert!(
        early.session.signed_in,
        "the early view sees the restored session, not a default"
    );
    assert_eq!(early.server_url, a.url);
}

#[tokio::test]
async fn the_answer_size_limit_is_a_profile_setting() {
    // A connector that answers every request with a 2 MiB body.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = read_request(&mut stream).await;
                let filler = "x".repeat(2 * 1024 * 1024);
                answer_json(
                    &mut stream,
                    &format!(r#"{{"jwtToken":"t","name":"{filler}"}}"#),
                )
                .await;
            });
        }
    });
    let f = Fixture::new(&url).await;
    let id = f.wb.view().await.profile.id;
    let edit = |mib| ProfileEdit {
        max_body_mib: Some(mib),
        ..ProfileEdit::default()
    };
    let e = f.wb.profile_update(&id, edit(0)).await.unwrap_err();
    assert!(e.message.contains("1 to 1024 MiB"), "{}", e.message);
    f.wb.profile_update(&id, edit(1)).await.unwrap();
    let e = f.sign_in("key", false).await.unwrap_err();
    assert!(
        e.message.contains("1 MiB"),
        "the error names the limit: {}",
        e.message
    );
    // Raised, the same answer is read.
    f.wb.profile_update(&id, edit(3)).await.unwrap();
    f.sign_in("key", false).await.unwrap();
}

/// The client's "Search contacts" row: a name search on the signed-in server, recorded; a blank
/// name is refused before any request.
#[tokio::test]
async fn the_search_row_searches_by_name_on_the_session_server() {
    let a = Recorder::start("a").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key", false).await.unwrap();
    let before = a.seen().len();
    let e = f.wb.search_contacts("  ").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(a.seen().len(), before, "nothing was sent");
    let found = f.wb.search_contacts("Ada Lovelace").await.unwrap();
    assert!(found.error.is_none(), "{:?}", found.error);
    let sent = a.seen().last().cloned().unwrap();
    assert_eq!(sent.method, "GET");
    assert!(
        sent.target.starts_with("/custom/contact/search?")
            && sent.target.contains("name=Ada+Lovelace")
            && sent.target.contains("jwtToken=token-of-a"),
        "{}",
        sent.target
    );
    let history = f.wb.history().await;
    assert!(history
        .last()
        .unwrap()
        .exchange
        .url
        .contains("/custom/contact/search"));
}

fn call() -> CallInput {
    CallInput {
        direction: Direction::Inbound,
        caller_name: None,
        duration_s: 30,
        note: String::new(),
        subject: None,
        started_minutes_ago: 0,
        additional_submission: Map::new(),
        session_id: Some("s-invalid".into()),
    }
}

/// Issue 13: a number that is neither valid, nor of a possible length, nor a short extension is refused by every engine entry
/// point that sends one, with the reason, before any request; the preview still describes it.
#[tokio::test]
async fn an_invalid_number_is_refused_by_every_action_before_anything_is_sent() {
    let a = Recorder::start("a").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key", false).await.unwrap();
    let signed_in = a.seen().len();
    let invalid = PhoneInput {
        input: "+12025018".into(),
        region: Some("US".into()),
        formats: vec!["(***) ***-****".into()],
    };
    let message = "Not a valid phone number for US: \"+12025018\" has the wrong number of digits. Nothing was sent; fix the number first.";
    let contact = ContactInfo {
        id: "c1".into(),
        ..ContactInfo::default()
    };
    let errors = [
        f.wb.find_contact(&invalid).await.err(),
        f.wb.flow_start(&invalid).await.err(),
        f.wb.flow_auto(&invalid, AutoSettings::default(), call())
            .await
            .err(),
        f.wb.create_contact(&invalid, "Pat", None, Map::new())
            .await
            .err(),
        f.wb.log_call(&invalid, contact, call()).await.err(),
        f.wb.verify_call(&invalid, "s-1", None).await.err(),
    ];
    for (i, e) in errors.into_iter().enumerate() {
        let e = e.unwrap_or_else(|| panic!("entry point {i} accepted the invalid number"));
        assert_eq!(e.code, ErrorCode::PhoneInvalid, "entry point {i}");
        assert_eq!(e.message, message, "entry point {i}");
    }
    assert_eq!(
        a.seen().len(),
        signed_in,
        "nothing was sent: {:?}",
        a.seen()
    );
    assert!(
        f.wb.history().await.len() == 1,
        "only the sign-in is recorded"
    );
    // No flow was left half-started: a valid number starts one at once.
    f.wb.flow_start(&number()).await.unwrap();

    // The preview describes it, with the same reason, and no formatted variants.
    let preview = phone_view(&invalid).unwrap();
    assert!(!preview.number.valid);
    assert_eq!(preview.problem.as_deref(), Some(message));
    assert!(preview.expansions.is_empty());
    assert_eq!(sendable_phone(&invalid).unwrap_err().message, message);
    // A valid number and an extension have none.
    assert_eq!(phone_view(&number()).unwrap().problem, None);
    let extension = PhoneInput {
        input: "101".into(),
        region: None,
        formats: vec![],
    };
    assert_eq!(phone_view(&extension).unwrap().problem, None);
    assert!(sendable_phone(&extension).unwrap().number.is_extension);
}

/// SPEC §6: with no type picked the client sends `newContactType: ""`; `null` is only the
/// automatic variant's, before a type is configured (docs/COMPATIBILITY.md K2).
#[tokio::test]
async fn a_create_without_a_type_sends_the_empty_string() {
    let a = Recorder::start("a").await;
    let f = Fixture::new(&a.url).await;
    f.sign_in("key", false).await.unwrap();
    let sent_type = || -> Value {
        let body = a
            .seen()
            .iter()
            .rev()
            .find(|s| s.method == "POST" && s.target.starts_with("/contact"))
            .expect("a createContact was sent")
            .body
            .clone();
        serde_json::from_str::<Value>(&body).unwrap()["newContactType"].clone()
    };
    // The recorder's answer has no contact (a bad response): what was sent is what counts.
    let _ =
        f.wb.create_contact(&number(), "Pat", None, Map::new())
            .await;
    assert_eq!(sent_type(), Value::String(String::new()));
    let _ =
        f.wb.create_contact(&number(), "Pat", Some(String::new()), Map::new())
            .await;
    assert_eq!(sent_type(), Value::String(String::new()), "\"\" is no type");
    let _ =
        f.wb.create_contact(&number(), "Pat", Some("lead".into()), Map::new())
            .await;
    assert_eq!(sent_type(), Value::String("lead".into()));
}

/// SPEC §5: the platform's `override` list is applied when the manifest is loaded (a `meta` item
/// always, a `hostname` item for the profile's CRM hostname) and again at OAuth sign-in for the
/// hostname chosen there (Clio's regional authorize URLs and client ids work this way).
#[tokio::test]
async fn the_manifests_overrides_apply_at_load_and_at_sign_in() {
    let listed = Recorder::start("listed").await;
    let meta = Recorder::start("meta").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regional.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"serverUrl":"{listed}","redirectUri":"https://app.test/redirect","platforms":{{"crm":{{"name":"crm",
            "environment":{{"type":"selectable","selections":[{{"const":"https://app.crm.test","name":"US"}},{{"const":"https://eu.crm.test","name":"EU"}}]}},
            "auth":{{"type":"oauth","oauth":{{"authUrl":"https://app.crm.test/oauth/authorize","clientId":"cid-us","scope":""}}}},
            "requestConfig":{{"timeout":20}},
            "override":[
              {{"triggerType":"meta","overrideObjects":[{{"path":"serverUrl","value":"{meta}"}}]}},
              {{"triggerType":"hostname","triggerValue":"eu.crm.test","overrideObjects":[
                {{"path":"auth.oauth.authUrl","value":"https://eu.crm.test/oauth/authorize"}},
                {{"path":"auth.oauth.clientId","value":"cid-eu"}},
                {{"path":"requestConfig.timeout","value":7}}]}}]}}}}}}"#,
            listed = listed.url,
            meta = meta.url,
        ),
    )
    .unwrap();
    let open = |hostname: &str| {
        let profiles = Profiles::in_memory(Profile {
            manifest: path.display().to_string(),
            hostname: Some(hostname.to_owned()),
            ..Profile::default()
        })
        .unwrap();
        Workbench::new(
            profiles,
            Arc::new(MemoryStore::new()),
            Arc::new(ManualClock::at(NOW)),
            None,
            "t",
        )
    };
    let client_id = |wb: &TestBench| {
        let wb = wb.clone();
        async move {
            let s = wb.lock().await;
            let oauth = s.target.platform.auth.as_ref().unwrap().oauth.clone();
            (
                oauth.and_then(|o| o.client_id).unwrap_or_default(),
                s.target.client.timeout(),
            )
        }
    };

    // Loaded for the EU hostname: the meta serverUrl and the EU entries are in effect.
    let eu = open("https://eu.crm.test");
    let view = eu.open_profile().await;
    assert_eq!(view.manifest_problem, None);
    assert_eq!(view.server_url, meta.url, "the meta item's serverUrl");
    assert_eq!(view.manifest.server_url.as_deref(), Some(meta.url.as_str()));
    assert_eq!(
        client_id(&eu).await,
        ("cid-eu".to_owned(), Duration::from_secs(7)),
        "the EU client id, and the EU timeout in the client that sends"
    );
    let started = eu.oauth_start(false, None, 0).await.unwrap();
    let url = started.view.authorize_url;
    assert!(
        url.starts_with("https://eu.crm.test/oauth/authorize?") && url.contains("client_id=cid-eu"),
        "{url}"
    );
    eu.oauth_paste("https://app.test/redirect?code=c&state=platform%3Dcrm".into())
        .await
        .unwrap();
    assert_eq!(meta.seen().len(), 1, "the callback went to the meta server");
    assert!(listed.seen().is_empty(), "{:?}", listed.seen());

    // Loaded for the US hostname: only the meta item; the EU host chosen at sign-in gets the EU
    // authorize URL and client id, and becomes the profile's.
    let us = open("https://app.crm.test");
    let view = us.open_profile().await;
    assert_eq!(view.server_url, meta.url);
    assert_eq!(
        client_id(&us).await,
        ("cid-us".to_owned(), Duration::from_secs(20))
    );
    let started = us.oauth_start(false, None, 0).await.unwrap();
    assert!(
        started
            .view
            .authorize_url
            .starts_with("https://app.crm.test/oauth/authorize?")
            && started.view.authorize_url.contains("client_id=cid-us"),
        "{}",
        started.view.authorize_url
    );
    let started = us
        .oauth_start(false, Some("https://eu.crm.test".into()), 0)
        .await
        .unwrap();
    let url = started.view.authorize_url;
    assert!(
        url.starts_with("https://eu.crm.test/oauth/authorize?") && url.contains("client_id=cid-eu"),
        "{url}"
    );
    assert_eq!(
        client_id(&us).await.0,
        "cid-eu",
        "the new hostname's entries"
    );
}
