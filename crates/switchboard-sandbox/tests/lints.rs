//! Connector lints against a deliberately broken connector: the sandbox with each quirk on. Every
//! lint must fire on its quirk, over a real loopback exchange, and stay quiet on the well-behaved
//! sandbox.

use serde_json::Value;
use switchboard_core::client::AppConnectClient;
use switchboard_core::lint::{self, Lint};
use switchboard_core::manifest;
use switchboard_core::Sensitive;
use switchboard_sandbox::{Quirks, Sandbox, SandboxConfig};

async fn lints_for_lookup(quirk: Option<&str>, number: &str) -> (Vec<Lint>, Sandbox) {
    let mut quirks = Quirks::default();
    if let Some(q) = quirk {
        assert!(quirks.enable(q), "{q} is a quirk");
    }
    let sb = Sandbox::start(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            quirks,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap();
    let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
    let key = Sensitive::from("demo");
    client.api_key_login(&key, "h", &[]).await.result.unwrap();
    let before = sb.contact_count();
    let called = client.find_contact(number, "", false).await;
    let body: Value =
        serde_json::from_str(called.exchange.response_body.as_deref().unwrap()).unwrap();
    let m = manifest::parse(manifest::SANDBOX_MANIFEST).unwrap();
    let (_, platform) = m.platform(None).unwrap();
    let mut found = lint::find_contact(&body, Some(platform));
    found.extend(lint::lookup_created(before, sb.contact_count()));
    (found, sb)
}

fn rules(l: &[Lint]) -> Vec<&'static str> {
    let mut r: Vec<&'static str> = l.iter().map(|x| x.rule).collect();
    r.sort_unstable();
    r.dedup();
    r
}

#[tokio::test]
async fn the_well_behaved_sandbox_only_notes_fields_without_options() {
    let (found, _sb) = lints_for_lookup(None, "+14155550100").await;
    assert_eq!(found, vec![], "Ada has deals: nothing to say");
    let (found, _sb) = lints_for_lookup(None, "+13105550111").await;
    assert_eq!(
        rules(&found),
        ["field-without-options"],
        "Hedy has no deals, so the Deal field is hidden"
    );
}

#[tokio::test]
async fn each_quirk_is_caught() {
    for (quirk, number, expected) in [
        ("contact-as-object", "+14155550100", "contact-not-array"),
        ("no-create-row", "+12025550111", "empty-without-create-row"),
        ("wrong-create-id", "+12025550112", "create-row-id"),
        ("hidden-messages", "+14155550100", "message-type-hidden"),
        ("hidden-messages", "+14155550100", "return-message-key"),
        ("create-on-lookup", "+12025550113", "find-created"),
    ] {
        let (found, _sb) = lints_for_lookup(Some(quirk), number).await;
        assert!(
            rules(&found).contains(&expected),
            "{quirk}: expected {expected}, got {found:#?}"
        );
    }
}
