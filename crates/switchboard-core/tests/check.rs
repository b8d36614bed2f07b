//! The manifest checker: one small broken manifest per rule, positions, and the reference manifests
//! (no errors; their warnings pinned in a snapshot).

use std::path::PathBuf;

use serde_json::{json, Value};
use switchboard_core::check::{check, has_errors, Finding, Severity};

/// A manifest with no findings, to break one rule at a time.
fn good() -> Value {
    json!({
        "serverUrl": "https://connector.example.com",
        "platforms": {
            "acme": {
                "name": "acme",
                "auth": {"type": "apiKey", "apiKey": {"page": {"title": "Acme", "content": [
                    {"const": "apiKey", "title": "API key", "type": "string", "required": true}
                ]}}},
                "contactTypes": [{"display": "Contact", "value": "contact"}, {"display": "Lead", "value": "lead"}],
                "contactPageUrl": "https://{hostname}/c/{contactId}",
                "page": {"callLog": {"additionalFields": [
                    {"const": "deals", "title": "Deal", "type": "selection", "contactDependent": true},
                    {"const": "ticket", "title": "Ticket", "type": "inputField", "pattern": "^[A-Z]+-\\d+$"}
                ]}}
            }
        }
    })
}

fn run(m: &Value) -> Vec<Finding> {
    check(&serde_json::to_string_pretty(m).unwrap())
}

/// The one finding of `rule`, asserting nothing else was reported.
fn only(m: &Value, rule: &str) -> Finding {
    let found = run(m);
    assert_eq!(found.len(), 1, "expected only {rule}: {found:#?}");
    assert_eq!(found[0].rule, rule, "{found:#?}");
    found[0].clone()
}

fn edit(f: impl FnOnce(&mut Value)) -> Value {
    let mut m = good();
    f(&mut m);
    m
}

fn acme(m: &mut Value) -> &mut Value {
    &mut m["platforms"]["acme"]
}

#[test]
fn the_good_manifest_is_clean() {
    assert_eq!(run(&good()), vec![]);
}

#[test]
fn invalid_json_reports_its_position() {
    let found = check("{\n  \"platforms\": {\n    \"a\": {,\n  }\n}");
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].rule, found[0].line, found[0].column),
        ("json", 3, 11)
    );
    assert_eq!(found[0].severity, Severity::Error);
}

#[test]
fn missing_platforms() {
    let f = only(&json!({"serverUrl": "https://x.example.com"}), "platforms");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.hint.contains("\"platforms\""));
}

#[test]
fn name_must_equal_key() {
    let f = only(&edit(|m| acme(m)["name"] = json!("Acme")), "platform-name");
    assert_eq!(f.path, "platforms.acme.name");
    assert_eq!(f.line, 5, "the name's own line");
}

#[test]
fn unknown_auth_type() {
    let f = only(
        &edit(|m| acme(m)["auth"]["type"] = json!("basic")),
        "auth-type",
    );
    assert_eq!(f.path, "platforms.acme.auth.type");
}

#[test]
fn oauth_needs_auth_url_and_client_id() {
    let m = edit(|m| {
        acme(m)["auth"] = json!({"type": "oauth", "oauth": {"authUrl": "https://crm/authorize"}})
    });
    let f = only(&m, "oauth-settings");
    assert!(f.message.contains("clientId"), "{}", f.message);
}

#[test]
fn api_key_auth_needs_a_login_page() {
    let f = only(
        &edit(|m| acme(m)["auth"] = json!({"type": "apiKey"})),
        "api-key-page",
    );
    assert_eq!(f.severity, Severity::Error);
}

#[test]
fn contact_types_need_display_and_value() {
    let m = edit(|m| {
        acme(m)["contactTypes"] =
            json!([{"id": 1, "name": "Lead"}, {"display": "Contact", "value": "contact"}])
    });
    let f = only(&m, "contact-type-shape");
    assert_eq!(f.path, "platforms.acme.contactTypes[0]");
    assert!(f.message.contains("[id, name]"), "{}", f.message);
}

#[test]
fn duplicate_contact_type_values() {
    let m = edit(|m| {
        acme(m)["contactTypes"] =
            json!([{"display": "A", "value": "x"}, {"display": "B", "value": "x"}])
    });
    assert_eq!(
        only(&m, "contact-type-duplicate").path,
        "platforms.acme.contactTypes[1].value"
    );
}

#[test]
fn unknown_url_placeholders() {
    let m = edit(|m| acme(m)["logPageUrl"] = json!("https://{hostname}/logs/{activityId}"));
    let f = only(&m, "url-placeholder");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("{activityId}"));
}

#[test]
fn server_url_slash_and_plain_http() {
    let f = only(
        &edit(|m| m["serverUrl"] = json!("https://connector.example.com/")),
        "server-url",
    );
    assert!(f.message.contains("slash"));
    let f = only(
        &edit(|m| m["serverUrl"] = json!("http://connector.example.com")),
        "server-url",
    );
    assert!(f.message.contains("plain http"));
    assert_eq!(
        run(&edit(|m| m["serverUrl"] = json!("http://localhost:6066"))),
        vec![],
        "local http is fine"
    );
}

#[test]
fn unknown_field_type_and_duplicate_const() {
    let m = edit(|m| acme(m)["page"]["callLog"]["additionalFields"][1]["type"] = json!("dropdown"));
    assert_eq!(
        only(&m, "field-type").path,
        "platforms.acme.page.callLog.additionalFields[1].type"
    );
    let m = edit(|m| acme(m)["page"]["callLog"]["additionalFields"][1]["const"] = json!("deals"));
    assert_eq!(
        only(&m, "field-const").path,
        "platforms.acme.page.callLog.additionalFields[1].const"
    );
}

#[test]
fn patterns_must_compile() {
    let m =
        edit(|m| acme(m)["page"]["callLog"]["additionalFields"][1]["pattern"] = json!("^[A-Z+$"));
    assert_eq!(only(&m, "field-pattern").severity, Severity::Error);
}

#[test]
fn selections_that_can_never_get_options() {
    let m = edit(|m| {
        acme(m)["page"]["callLog"]["additionalFields"][0]["contactDependent"] = json!(false)
    });
    let f = only(&m, "selection-options");
    assert_eq!(f.severity, Severity::Warning);
}

#[test]
fn selectable_environment_needs_selections() {
    let m = edit(|m| acme(m)["environment"] = json!({"type": "selectable", "selections": []}));
    assert_eq!(only(&m, "environment").path, "platforms.acme.environment");
}

#[test]
fn missing_call_log_fields_crash_the_client_when_the_create_row_is_chosen() {
    let m = edit(|m| acme(m)["page"] = json!({"messageLog": {"additionalFields": []}}));
    let f = only(&m, "call-log-fields-missing");
    assert_eq!(
        f.severity,
        Severity::Error,
        "with contact types, the create flow is offered"
    );
    let m = edit(|m| {
        acme(m)["page"] = json!({});
        acme(m).as_object_mut().unwrap().remove("contactTypes");
    });
    assert_eq!(
        only(&m, "call-log-fields-missing").severity,
        Severity::Warning
    );
}

#[test]
fn reference_manifests_have_no_errors_and_their_warnings_are_known() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/manifests");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut report = serde_json::Map::new();
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let found = check(&text);
        assert!(!has_errors(&found), "{}: {found:#?}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        report.insert(name, serde_json::to_value(&found).unwrap());
    }
    let bundled = check(switchboard_core::manifest::SANDBOX_MANIFEST);
    assert_eq!(bundled, vec![], "the bundled sandbox manifest is clean");
    insta::assert_json_snapshot!("reference_manifest_warnings", report);
}
