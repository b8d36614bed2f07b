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

/// Extension 1.6.6 has no static options: a selection that is not contactDependent, with no
/// options (Redtail's `category`), is fine (its options come from each contact's additionalInfo),
/// while `options` and `accountDataKey` are ignored.
#[test]
fn selections_take_options_only_from_additional_info() {
    let m = edit(|m| {
        acme(m)["page"]["callLog"]["additionalFields"][0]["contactDependent"] = json!(false)
    });
    assert_eq!(run(&m), vec![], "Redtail's category is not a problem");
    let m = edit(|m| {
        acme(m)["page"]["callLog"]["additionalFields"][0]["options"] =
            json!([{"const": "a", "title": "A"}])
    });
    let f = only(&m, "selection-options");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("ignores \"options\""), "{}", f.message);
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

/// Line and column (1-based, in characters) where `needle` first occurs in `text`.
fn place_of(text: &str, needle: &str) -> (usize, usize) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// A manifest whose one platform has `n` call-log fields of an unknown type (one error each), and
/// a placeholder warning.
fn with_bad_fields(n: usize, pretty: bool) -> String {
    let fields: Vec<Value> = (0..n)
        .map(|i| json!({"const": format!("f{i}"), "title": format!("Feld ä 田 {i}"), "type": "dropdown"}))
        .collect();
    let m = edit(|m| {
        acme(m)["page"]["callLog"]["additionalFields"] = Value::Array(fields);
        acme(m)["logPageUrl"] = json!("https://{hostname}/l/{activityId}");
    });
    if pretty {
        serde_json::to_string_pretty(&m).unwrap()
    } else {
        serde_json::to_string(&m).unwrap()
    }
}

#[test]
fn findings_are_capped_with_a_summary_of_the_rest() {
    use switchboard_core::check::{omitted, MAX_FINDINGS, MORE_FINDINGS_RULE};
    let text = with_bad_fields(MAX_FINDINGS + 100, true);
    let found = check(&text);
    assert_eq!(
        found.len(),
        MAX_FINDINGS + 1,
        "the first ones and a summary"
    );
    let summary = found.last().unwrap();
    assert_eq!(summary.rule, MORE_FINDINGS_RULE);
    assert_eq!(summary.severity, Severity::Error, "errors were left out");
    assert!(
        summary
            .message
            .contains("101 more findings (100 errors, 1 warning)"),
        "{}",
        summary.message
    );
    let more = omitted(&found).expect("the summary counts what it stands for");
    assert_eq!((more.errors, more.warnings), (100, 1));
    // Errors first, then in file order: the first 200 fields, in order.
    let shown = &found[..MAX_FINDINGS];
    assert!(shown.iter().all(|f| f.rule == "field-type"));
    for (i, f) in shown.iter().enumerate() {
        assert_eq!(
            f.path,
            format!("platforms.acme.page.callLog.additionalFields[{i}].type")
        );
    }
    assert!(shown.windows(2).all(|w| w[0].line < w[1].line));
    assert!(has_errors(&found));

    // At the cap exactly there is no summary.
    let found = check(&with_bad_fields(MAX_FINDINGS - 1, false));
    assert_eq!(found.len(), MAX_FINDINGS);
    assert_eq!(omitted(&found), None);
    assert_eq!(found.last().unwrap().severity, Severity::Warning);
}

#[test]
fn text_over_the_size_limit_is_one_error_naming_the_size_and_the_limit() {
    use switchboard_core::manifest::MAX_MANIFEST_BYTES;
    let mut text = with_bad_fields(10, true);
    text.push_str(&" ".repeat(MAX_MANIFEST_BYTES + 1 - text.len()));
    let found = check(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].rule, "too-large");
    assert_eq!(found[0].severity, Severity::Error);
    assert!(
        found[0].message.contains("8.0 MiB (8388609 bytes)")
            && found[0].message.contains("limit of 8 MiB (8388608 bytes)"),
        "{}",
        found[0].message
    );
    // One byte less is checked as usual.
    text.pop();
    assert_eq!(check(&text).len(), 11);
}

#[test]
fn positions_on_a_one_line_manifest_count_characters() {
    let text = with_bad_fields(30, false);
    assert!(!text.contains('\n'));
    let found = check(&text);
    assert_eq!(found.len(), 31);
    for (i, f) in found.iter().filter(|f| f.rule == "field-type").enumerate() {
        // The value of field i's type: after its own title, which is unique.
        let title = format!("\"Feld ä 田 {i}\",\"type\":");
        let (line, column) = place_of(&text, &title);
        assert_eq!(
            (f.line, f.column),
            (line, column + title.chars().count()),
            "{}",
            f.path
        );
    }
    let placeholder = found.iter().find(|f| f.rule == "url-placeholder").unwrap();
    assert_eq!(
        (placeholder.line, placeholder.column),
        place_of(&text, "\"https://{hostname}/l/{activityId}\"")
    );
}

#[test]
fn positions_on_a_multi_line_manifest() {
    let text = with_bad_fields(3, true);
    let found = check(&text);
    for (i, f) in found.iter().filter(|f| f.rule == "field-type").enumerate() {
        // Pretty JSON puts each key on its own line: find field i's "type" after its title.
        let title_at = text.find(&format!("\"Feld ä 田 {i}\"")).unwrap();
        let offset = title_at + text[title_at..].find("\"dropdown\"").unwrap();
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before[before.rfind('\n').unwrap() + 1..].chars().count() + 1;
        assert_eq!((f.line, f.column), (line, column), "{}", f.path);
    }
}

#[test]
fn invalid_json_columns_count_characters_not_bytes() {
    let found = check("{\"platforms\": {\"ä田\": {,}}}");
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].rule, found[0].line, found[0].column),
        ("json", 1, 23)
    );
    let found = check("");
    assert_eq!((found[0].line, found[0].column), (1, 1), "{found:#?}");
}

#[test]
fn paths_through_keys_with_dots_escapes_and_repeats() {
    // A platform key with a dot, another written with an escape, and a repeated key (the last
    // one counts, as serde_json reads it).
    let text = "{\"platforms\": {\n\"a.b\": {\"name\": \"x\"},\n\"\\u0063rm\": {\"name\": \"y\"},\n\"d\": {\"name\": \"d\"},\n\"d\": {\"name\": \"e\"}}}";
    let found: Vec<Finding> = check(text)
        .into_iter()
        .filter(|f| f.rule == "platform-name")
        .collect();
    let at = |path: &str| {
        let f = found
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path}: {found:#?}"));
        (f.line, f.column)
    };
    assert_eq!(at("platforms.a.b.name"), place_of(text, "\"x\""));
    assert_eq!(at("platforms.crm.name"), place_of(text, "\"y\""));
    assert_eq!(at("platforms.d.name"), place_of(text, "\"e\""));
}

#[test]
fn request_timeout_values_the_tolerant_reading_drops_are_reported_with_their_path() {
    let cases = [
        (json!("5"), Severity::Warning, "\"timeout\": 5"),
        (json!(null), Severity::Warning, "null"),
        (json!(-1), Severity::Error, "positive number"),
        (json!(0), Severity::Error, "positive number"),
        (json!(1e20), Severity::Warning, "over an hour"),
        (json!(30000), Severity::Warning, "did you mean 30?"),
        (json!("30000"), Severity::Warning, "did you mean 30?"),
        (json!("-1"), Severity::Error, "positive number"),
        (json!("soon"), Severity::Error, "not a number of seconds"),
        (json!([5]), Severity::Error, "a list"),
        (json!(true), Severity::Error, "a boolean"),
    ];
    for (timeout, severity, says) in cases {
        let m = edit(|m| acme(m)["requestConfig"] = json!({"timeout": timeout.clone()}));
        let f = only(&m, "request-timeout");
        assert_eq!(f.path, "platforms.acme.requestConfig.timeout", "{timeout}");
        assert_eq!(f.severity, severity, "{timeout}: {}", f.message);
        assert!(
            f.message.contains(says) || f.hint.contains(says),
            "{timeout}: {} / {}",
            f.message,
            f.hint
        );
        let text = serde_json::to_string_pretty(&m).unwrap();
        let (line, column) = place_of(&text, "\"timeout\": ");
        assert_eq!(
            (f.line, f.column),
            (line, column + "\"timeout\": ".len()),
            "{timeout}"
        );
    }
    let f = only(
        &edit(|m| acme(m)["requestConfig"] = json!({"timeout": "5"})),
        "request-timeout",
    );
    assert!(f.message.contains("coerce") || f.message.contains("multiplies it by 1000"));
    for fine in [json!(30), json!(0.5), json!(3600)] {
        let m = edit(|m| acme(m)["requestConfig"] = json!({"timeout": fine}));
        assert_eq!(run(&m), vec![], "{m}");
    }
    assert_eq!(
        only(
            &edit(|m| acme(m)["requestConfig"] = json!(30)),
            "request-timeout"
        )
        .path,
        "platforms.acme.requestConfig"
    );
}
