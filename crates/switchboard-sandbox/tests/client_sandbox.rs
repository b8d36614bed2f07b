//! The core client against the sandbox over loopback: login, match, several matches, no match,
//! formats, extensions, sessions, create, log and verify, and the automatic placeholder flow.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Map;
use switchboard_core::client::{AppConnectClient, ClientError, TokenStyle};
use switchboard_core::error::ErrorCode;
use switchboard_core::flow::{
    AutoSettings, FlowState, FormValues, PlaceholderFlow, SimulatedCall, Step,
};
use switchboard_core::manifest;
use switchboard_core::phone;
use switchboard_core::wire::Direction;
use switchboard_core::Sensitive;
use switchboard_sandbox::{ManualClock, Sandbox, SandboxConfig};

const LOOPBACK: &str = "127.0.0.1:0";

async fn sandbox(config: SandboxConfig) -> Sandbox {
    let addr: SocketAddr = LOOPBACK.parse().unwrap();
    Sandbox::start(addr, config)
        .await
        .expect("sandbox binds a loopback port")
}

async fn signed_in(sb: &Sandbox) -> AppConnectClient {
    let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
    let key = Sensitive::from("demo");
    client
        .api_key_login(
            &key,
            "sandbox-crm.example.com",
            &[("apiKey".into(), key.clone())],
        )
        .await
        .result
        .expect("demo is the default key");
    client
}

fn call(session: &str, caller: Option<&str>) -> SimulatedCall {
    SimulatedCall {
        session_id: session.to_owned(),
        direction: Direction::Inbound,
        caller_name: caller.map(str::to_owned),
        own_number: "+16505550199".to_owned(),
        start_time_ms: 1_767_000_000_000,
        duration_s: 42,
        note: "Asked about pricing".to_owned(),
        subject: None,
        additional_submission: Map::new(),
    }
}

#[tokio::test]
async fn login_succeeds_with_the_demo_key_and_stores_the_session() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
    let key = Sensitive::from("demo");
    let called = client
        .api_key_login(&key, "h", &[("apiKey".into(), key.clone())])
        .await;
    let resp = called.result.unwrap();
    assert_eq!(resp.name.as_deref(), Some("Sandbox Demo User"));
    assert_eq!(
        resp.return_message.unwrap().message_type.as_deref(),
        Some("success")
    );
    assert!(
        client.jwt().is_some(),
        "the session token is kept for later calls"
    );
    assert!(
        !called
            .exchange
            .response_body
            .unwrap()
            .contains(&resp.jwt_token),
        "the recorded exchange never holds the session token"
    );
    assert!(
        !called.exchange.request_body.unwrap().contains("demo"),
        "nor the API key"
    );
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_the_connectors_message() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
    let key = Sensitive::from("wrong-key");
    let e = client
        .api_key_login(&key, "h", &[])
        .await
        .result
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rejected);
    assert!(e.to_string().contains("not accepted"), "{e}");
    assert!(client.jwt().is_none());
}

#[tokio::test]
async fn one_match_carries_type_and_deal_options() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let called = client.find_contact("+14155550100", "", false).await;
    assert!(
        called.exchange.url.contains("overridingFormat=&"),
        "overridingFormat is always sent: {}",
        called.exchange.url
    );
    assert!(
        called.exchange.url.contains("phoneNumber=%2B14155550100"),
        "+ is percent-encoded: {}",
        called.exchange.url
    );
    assert!(
        called.exchange.url.contains("jwtToken=<redacted>"),
        "{}",
        called.exchange.url
    );
    let resp = called.result.unwrap();
    let real: Vec<_> = resp.real_matches().collect();
    assert_eq!(real.len(), 1);
    assert_eq!(real[0].display_name(), "Ada Lovelace");
    assert_eq!(real[0].kind.as_deref(), Some("contact"));
    let deals = real[0].additional_info.as_ref().unwrap()["deals"]
        .as_array()
        .unwrap();
    assert_eq!(deals.len(), 2);
    assert!(
        resp.contact.last().unwrap().is_create_row(),
        "the create row comes last"
    );
}

#[tokio::test]
async fn a_shared_number_returns_every_contact() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let resp = client
        .find_contact("+14155550123", "", false)
        .await
        .result
        .unwrap();
    let mut names: Vec<_> = resp
        .real_matches()
        .map(|c| c.display_name().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["Dorothy Vaughan", "Katherine Johnson"]);
}

#[tokio::test]
async fn no_match_returns_only_the_create_row_and_a_warning() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let resp = client
        .find_contact("+12025550999", "", false)
        .await
        .result
        .unwrap();
    assert_eq!(resp.contact.len(), 1);
    assert!(resp.contact[0].is_create_row());
    assert_eq!(
        resp.return_message.unwrap().message.as_deref(),
        Some("Contact not found")
    );
}

#[tokio::test]
async fn overriding_formats_find_numbers_stored_formatted() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let none = client
        .find_contact("+16502530000", "", false)
        .await
        .result
        .unwrap();
    assert_eq!(
        none.real_matches().count(),
        0,
        "stored as (650) 253-0000, E.164 alone misses it"
    );
    let formats = phone::overriding_format_param(&["***.***.****".into(), "(***) ***-****".into()]);
    let called = client.find_contact("+16502530000", &formats, false).await;
    assert!(
        called
            .exchange
            .url
            .contains("overridingFormat=***.***.****%2C%28***%29+***-****"),
        "{}",
        called.exchange.url
    );
    let found = called.result.unwrap();
    assert_eq!(
        found.real_matches().next().unwrap().display_name(),
        "Grace Hopper"
    );
}

#[tokio::test]
async fn extensions_are_refused_as_the_framework_does() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let e = client
        .find_contact("101", "", true)
        .await
        .result
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rejected);
    assert!(e.to_string().contains("extension"), "{e}");
}

#[tokio::test]
async fn missing_and_bad_sessions_are_told_apart_from_failures() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
    let e = client
        .find_contact("+14155550100", "", false)
        .await
        .result
        .unwrap_err();
    assert!(
        matches!(e, ClientError::NotSignedIn { .. }),
        "no request without a session: {e}"
    );
    client.set_jwt(Some(Sensitive::from("not-a-jwt")));
    let called = client.find_contact("+14155550100", "", false).await;
    assert_eq!(called.exchange.status, Some(400));
    let e = called.result.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unauthorized);
    assert!(e.to_string().contains("authorize CRM platform"), "{e}");
}

#[tokio::test]
async fn bearer_tokens_work_too() {
    let sb = sandbox(SandboxConfig::default()).await;
    let token = signed_in(&sb).await.jwt().unwrap();
    let client = AppConnectClient::new(&sb.url(), "sandbox", None)
        .unwrap()
        .with_token_style(TokenStyle::Bearer);
    client.set_jwt(Some(token));
    let called = client.find_contact("+14155550100", "", false).await;
    assert!(
        !called.exchange.url.contains("jwtToken"),
        "{}",
        called.exchange.url
    );
    assert!(called
        .exchange
        .request_headers
        .iter()
        .any(|(k, v)| k == "authorization" && v == "<redacted>"));
    assert_eq!(called.result.unwrap().real_matches().count(), 1);
}

const DAY: u64 = 24 * 3600;

/// A sandbox whose clock only moves when the test advances it (default lifetimes: two weeks,
/// renewed below one week).
async fn sandbox_with_clock() -> (Sandbox, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_767_000_000));
    let sb = sandbox(SandboxConfig {
        clock: clock.clone(),
        ..SandboxConfig::default()
    })
    .await;
    (sb, clock)
}

#[tokio::test]
async fn a_renewed_token_replaces_the_old_one() {
    let (sb, clock) = sandbox_with_clock().await;
    let client = signed_in(&sb).await;
    let before = client.jwt().unwrap();
    let fresh = client.find_contact("+14155550100", "", false).await;
    assert!(
        !fresh.exchange.refreshed_token && fresh.refreshed_jwt.is_none(),
        "a token with two weeks left is not renewed"
    );
    // Less than a week left: the next call renews it (with a new iat, so a different token).
    clock.advance(7 * DAY + 1);
    let called = client.find_contact("+14155550100", "", false).await;
    assert!(called.exchange.refreshed_token);
    let renewed = called
        .refreshed_jwt
        .expect("the caller is handed the new token to store");
    assert_ne!(renewed.expose(), before.expose());
    assert_eq!(
        client.jwt().unwrap().expose(),
        renewed.expose(),
        "later calls use it"
    );
    assert!(called
        .exchange
        .response_headers
        .iter()
        .any(|(k, v)| k == "x-refreshed-jwt-token" && v == "<redacted>"));
    let after = client.find_contact("+14155550100", "", false).await;
    assert!(
        after.result.is_ok() && after.refreshed_jwt.is_none(),
        "the renewed token has a full lifetime again"
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (sb, clock) = sandbox_with_clock().await;
    let client = signed_in(&sb).await;
    let original = client.jwt().unwrap();
    clock.advance(14 * DAY);
    assert!(
        client
            .find_contact("+14155550100", "", false)
            .await
            .result
            .is_ok(),
        "valid up to its last second"
    );
    clock.advance(1);
    client.set_jwt(Some(original));
    let called = client.find_contact("+14155550100", "", false).await;
    assert_eq!(called.exchange.status, Some(400), "expired");
    assert_eq!(called.result.unwrap_err().code(), ErrorCode::Unauthorized);
}

/// The bundled manifest's platform, whose forms the manual Save builds.
fn sandbox_platform() -> manifest::Platform {
    let m = manifest::parse(manifest::SANDBOX_MANIFEST).unwrap();
    m.platform(Some("sandbox")).unwrap().1.clone()
}

#[tokio::test]
async fn manual_placeholder_flow_creates_logs_and_verifies() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let before = sb.contact_count();
    let number = phone::parse_input("(202) 555-0142", Some("US")).unwrap();
    let mut flow = PlaceholderFlow::new(number, String::new());
    flow.lookup(&client).await.unwrap();
    assert!(matches!(flow.state, FlowState::NeedsContact { .. }));
    assert_eq!(sb.contact_count(), before, "findContact must never create");
    // The client's one Save: create, then log against the new contact.
    flow.save(
        &client,
        &sandbox_platform(),
        "Jane Placeholder",
        Some("lead".into()),
        &call("sess-manual-1", None),
        FormValues::Complete,
    )
    .await
    .unwrap();
    let FlowState::Logged { contact, .. } = &flow.state else {
        panic!("{:?}", flow.state)
    };
    assert_eq!(
        contact.kind.as_deref(),
        Some("lead"),
        "the chosen type reached the CRM"
    );
    let log_body = flow.steps[2].exchanges[0].request_body.clone().unwrap();
    assert!(
        log_body.contains("\"contactType\": \"lead\"")
            && log_body.contains("Inbound call from Jane Placeholder"),
        "{log_body}"
    );
    flow.verify(&client).await.unwrap();
    match &flow.state {
        FlowState::Verified {
            contact_found,
            log_matched,
            ..
        } => assert!(*contact_found && *log_matched),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        flow.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
        [Step::Lookup, Step::Create, Step::Log, Step::Verify]
    );
    assert!(flow.steps.iter().all(|s| s.ok));
    assert_eq!(sb.contact_count(), before + 1);
}

#[tokio::test]
async fn a_failed_create_logs_nothing() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let number = phone::parse_input("+12025550143", None).unwrap();
    let mut flow = PlaceholderFlow::new(number, String::new());
    flow.lookup(&client).await.unwrap();
    let e = flow
        .save(
            &client,
            &sandbox_platform(),
            "X",
            Some("martian".into()),
            &call("sess-x", None),
            FormValues::Complete,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Unknown contact type"), "{e}");
    assert!(
        matches!(flow.state, FlowState::NeedsContact { .. }),
        "state stays before create"
    );
    assert!(
        flow.log_call(&client, &call("sess-x", None)).await.is_err(),
        "logging needs a created contact"
    );
    assert!(sb.state.crm().logs.is_empty());
}

#[tokio::test]
async fn automatic_flow_names_the_placeholder_like_the_client() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let number = phone::parse_input("+12025550144", None).unwrap();
    let mut flow = PlaceholderFlow::new(number, String::new());
    flow.run_automatic(
        &client,
        &AutoSettings::default(),
        &call("sess-auto-1", Some("Jane Doe")),
        false,
    )
    .await
    .unwrap();
    assert!(
        matches!(
            flow.state,
            FlowState::Verified {
                contact_found: true,
                log_matched: true,
                ..
            }
        ),
        "{:?}",
        flow.state
    );
    let crm = sb.state.crm();
    let created = crm.contacts.last().unwrap();
    assert_eq!(created.name, "PlaceholderContactJane Doe +12025550144");
    assert_eq!(
        created.kind, "contact",
        "no type set → null → the CRM's default"
    );
    let body = flow.steps[1].exchanges[0].request_body.clone().unwrap();
    assert!(body.contains("\"newContactType\": null"), "{body}");
}

#[tokio::test]
async fn automatic_flow_logs_a_known_number_against_its_contact() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let before = sb.contact_count();
    let mut flow = PlaceholderFlow::new(
        phone::parse_input("+14155550100", None).unwrap(),
        String::new(),
    );
    flow.run_automatic(
        &client,
        &AutoSettings::default(),
        &call("s-known", None),
        false,
    )
    .await
    .unwrap();
    assert!(
        matches!(
            flow.state,
            FlowState::Verified {
                contact_found: true,
                log_matched: true,
                ..
            }
        ),
        "{:?}",
        flow.state
    );
    assert_eq!(sb.contact_count(), before, "nothing was created");
    assert!(
        flow.steps.iter().all(|s| s.step != Step::Create),
        "one match: no create step"
    );
}

#[tokio::test]
async fn a_stopped_server_is_reported_as_unreachable() {
    let sb = sandbox(SandboxConfig::default()).await;
    let url = sb.url();
    sb.stop().await;
    let client = AppConnectClient::new(&url, "sandbox", None).unwrap();
    let e = client.is_alive().await.result.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerUnreachable);
    assert!(e.to_string().contains("Check that it is running"), "{e}");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = signed_in(&sb).await;
    let token = client.jwt().unwrap();
    client.unauthorize().await.result.unwrap();
    client.set_jwt(Some(token));
    let e = client
        .find_contact("+14155550100", "", false)
        .await
        .result
        .unwrap_err();
    // As the framework: the token still verifies, but its user is gone, so the lookup says no.
    assert_eq!(e.code(), ErrorCode::Rejected);
    assert!(e.to_string().contains("Contact not found"), "{e}");
}
