//! Snapshots of the call-log form model the client would render, for every reference manifest and
//! several lookup results: one match with options, only the create row, several contacts with the
//! create row or the second contact chosen (the person switched), and no rows at all. A change to what users would see shows up as a snapshot diff.

use std::path::PathBuf;

use serde_json::json;
use switchboard_core::forms::{log_form, sample_contacts, FieldModel};
use switchboard_core::manifest::parse;
use switchboard_core::wire::{ContactInfo, Direction, CREATE_NEW_CONTACT_ID};

#[test]
fn log_forms_of_the_reference_manifests() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/manifests");
    for name in ["bullhorn", "clio", "insightly", "pipedrive", "testCRM"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let manifest = parse(&text).unwrap();
        let (key, platform) = manifest.platform(None).unwrap();
        let sample = sample_contacts(platform);
        let one = [sample[0].clone()];
        let only_create = [ContactInfo::create_new_row()];
        let forms = json!({
            "oneMatch": log_form(key, platform, &one, None, Direction::Inbound),
            "onlyCreateRow": log_form(key, platform, &only_create, None, Direction::Inbound),
            "severalCreateChosen": log_form(key, platform, &sample, Some(CREATE_NEW_CONTACT_ID), Direction::Outbound),
            "severalSecondChosen": log_form(key, platform, &sample, Some(&sample[1].id), Direction::Inbound),
            "noRows": log_form(key, platform, &[], None, Direction::Inbound),
        });
        insta::assert_json_snapshot!(format!("log_form_{name}"), forms);
    }
}

fn sandbox() -> switchboard_core::manifest::Platform {
    let m = parse(switchboard_core::manifest::SANDBOX_MANIFEST).unwrap();
    m.platform(None).unwrap().1.clone()
}

/// Extension 1.6.6: the name and type inputs follow the chosen row's `isNewContact`, not its id.
#[test]
fn the_new_contact_inputs_follow_is_new_contact_not_the_id() {
    let p = sandbox();
    let flagged_other_id = ContactInfo {
        id: "new".into(),
        name: Some("Create new contact...".into()),
        is_new_contact: true,
        ..ContactInfo::default()
    };
    let form = log_form("sandbox", &p, &[flagged_other_id], None, Direction::Inbound);
    assert!(
        form.new_contact.is_some(),
        "isNewContact: true shows the inputs, whatever the id"
    );
    let id_without_flag = ContactInfo {
        id: CREATE_NEW_CONTACT_ID.into(),
        name: Some("Create new contact...".into()),
        ..ContactInfo::default()
    };
    let form = log_form("sandbox", &p, &[id_without_flag], None, Direction::Inbound);
    assert!(
        form.new_contact.is_none(),
        "the id alone does not show the name and type inputs"
    );
}

/// Extension 1.6.6: `newContactType` starts as the row's `defaultContactType`, else `""`.
#[test]
fn the_initial_new_contact_type_is_the_rows_default_or_empty() {
    let p = sandbox();
    let form = log_form(
        "sandbox",
        &p,
        &[ContactInfo::create_new_row()],
        None,
        Direction::Inbound,
    );
    let nc = form.new_contact.unwrap();
    assert_eq!(
        nc.initial_type, "",
        "no defaultContactType → \"\", not the first type"
    );
    assert_eq!(
        nc.contact_types.len(),
        3,
        "the dropdown still lists every type"
    );
    let with_default = ContactInfo {
        default_contact_type: Some("lead".into()),
        ..ContactInfo::create_new_row()
    };
    let form = log_form("sandbox", &p, &[with_default], None, Direction::Inbound);
    assert_eq!(form.new_contact.unwrap().initial_type, "lead");
    let v = serde_json::to_value(
        log_form(
            "sandbox",
            &p,
            &[ContactInfo::create_new_row()],
            None,
            Direction::Inbound,
        )
        .new_contact,
    )
    .unwrap();
    assert_eq!(v["initialType"], "", "the UI reads initialType: {v}");
    let switched = log_form(
        "sandbox",
        &p,
        &[ContactInfo::default(), ContactInfo::create_new_row()],
        Some(CREATE_NEW_CONTACT_ID),
        Direction::Inbound,
    );
    assert_eq!(
        switched.new_contact.unwrap().initial_type,
        "contact",
        "switching to the create row sets the first contact type"
    );
}

fn platform_of(page: serde_json::Value) -> switchboard_core::manifest::Platform {
    let m = json!({"platforms": {"t": {"name": "t", "contactTypes": [
        {"display": "Lead", "value": "Lead"}, {"display": "Contact", "value": "Contact"}
    ], "page": page}}});
    parse(&m.to_string())
        .unwrap()
        .platform(None)
        .unwrap()
        .1
        .clone()
}

fn reference(name: &str) -> switchboard_core::manifest::Platform {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/manifests");
    let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    parse(&text).unwrap().platform(None).unwrap().1.clone()
}

fn contact(id: &str, info: serde_json::Value) -> ContactInfo {
    ContactInfo {
        id: id.into(),
        name: Some(format!("Person {id}")),
        additional_info: (!info.is_null()).then_some(info),
        ..ContactInfo::default()
    }
}

fn keys(fields: &[FieldModel]) -> Vec<&str> {
    fields
        .iter()
        .map(|f| match f {
            FieldModel::Selection { key, .. }
            | FieldModel::Checkbox { key, .. }
            | FieldModel::Input { key, .. }
            | FieldModel::Warning { key, .. } => key.as_str(),
        })
        .collect()
}

/// Extension 1.6.6: every selection, contact-dependent or not, takes its options only from the
/// chosen contact's `additionalInfo[const]` (the manifest's `options` are ignored), with None
/// appended and the first option preselected; without that key the field is hidden.
#[test]
fn every_selection_reads_the_contacts_additional_info_there_are_no_static_options() {
    let clio = reference("clio");
    let bare = contact(
        "1",
        json!({"matters": [{"const": "m1", "title": "Matter 1"}]}),
    );
    let form = log_form("clio", &clio, &[bare], None, Direction::Inbound);
    assert_eq!(
        keys(&form.fields),
        ["matters"],
        "billableStatus lists options in the manifest, yet 1.6.6 hides it without additionalInfo"
    );
    let sent = contact(
        "1",
        json!({"billableStatus": [{"const": "b", "title": "Billable"}, {"const": "n", "title": "Not"}]}),
    );
    let form = log_form("clio", &clio, &[sent], None, Direction::Inbound);
    let [FieldModel::Selection {
        key,
        options,
        value,
        source,
        ..
    }] = form.fields.as_slice()
    else {
        panic!("{:?}", form.fields)
    };
    assert_eq!(key, "billableStatus");
    assert_eq!(*source, "contact");
    assert_eq!(
        options.iter().map(|o| o.title.as_str()).collect::<Vec<_>>(),
        ["Billable", "Not", "None"],
        "the contact's list plus None, even though the manifest sets includeNoneOption: false"
    );
    assert_eq!(
        value.as_ref(),
        Some(&json!("b")),
        "the first option is preselected"
    );
}

/// Extension 1.6.6: a checkbox shows only when `additionalInfo` has its key and starts at
/// `defaultValue`; an input is hidden when `additionalInfo[const]` is truthy, else prefilled with
/// `defaultValue` and checked against `pattern`; a warning shows its description.
#[test]
fn checkboxes_inputs_and_warnings_follow_additional_info() {
    let p = platform_of(json!({"callLog": {"additionalFields": [
        {"const": "billable", "title": "Billable", "type": "checkbox", "defaultValue": true},
        {"const": "ticket", "title": "Ticket", "type": "inputField", "defaultValue": "SUP-", "pattern": "^SUP-[0-9]+$"},
        {"const": "careful", "title": "Careful", "type": "warning", "description": "Visible to the team."}
    ]}}));
    let form = log_form(
        "t",
        &p,
        &[contact("1", json!(null))],
        None,
        Direction::Inbound,
    );
    assert_eq!(
        keys(&form.fields),
        ["ticket", "careful"],
        "no additionalInfo → no checkbox"
    );
    assert!(matches!(&form.fields[0],
        FieldModel::Input { value, pattern, .. } if value == "SUP-" && pattern.as_deref() == Some("^SUP-[0-9]+$")));
    assert!(
        matches!(&form.fields[1], FieldModel::Warning { text, .. } if text == "Visible to the team.")
    );
    let form = log_form(
        "t",
        &p,
        &[contact("1", json!({"billable": false, "ticket": "SUP-9"}))],
        None,
        Direction::Inbound,
    );
    assert_eq!(
        keys(&form.fields),
        ["billable", "careful"],
        "the key shows the checkbox; a truthy value hides the input"
    );
    assert!(matches!(
        &form.fields[0],
        FieldModel::Checkbox { default: true, .. }
    ));
    let form = log_form(
        "t",
        &p,
        &[contact("1", json!({"ticket": ""}))],
        None,
        Direction::Inbound,
    );
    assert_eq!(
        keys(&form.fields),
        ["ticket", "careful"],
        "\"\" is falsy: the input shows"
    );
}

/// Extension 1.6.6 with the create row: `page.newContact.additionalFields` are appended when it is
/// the default row, a `contactTypeDependent` one reads `additionalInfo[<defaultContactType>]`, and
/// the forms that throw are shown as crashes.
#[test]
fn the_create_rows_fields_and_the_forms_that_cannot_open() {
    let bullhorn = reference("bullhorn");
    let plain = log_form(
        "bullhorn",
        &bullhorn,
        &[ContactInfo::create_new_row()],
        None,
        Direction::Inbound,
    );
    let crash = plain
        .crash
        .expect("additionalInfo: null crashes bullhorn's form");
    assert!(
        crash
            .contains("additionalInfo is null while contactTypeDependent new-contact fields exist"),
        "{crash}"
    );
    let typed = ContactInfo {
        default_contact_type: Some("Lead".into()),
        additional_info: Some(
            json!({"Lead": {"status": [{"const": "New", "title": "New lead"}]}, "noteActions": []}),
        ),
        ..ContactInfo::create_new_row()
    };
    let form = log_form(
        "bullhorn",
        &bullhorn,
        std::slice::from_ref(&typed),
        None,
        Direction::Inbound,
    );
    assert_eq!(form.crash, None);
    let nc = form.new_contact.unwrap();
    let [FieldModel::Selection {
        key,
        options,
        source,
        ..
    }] = nc.fields.as_slice()
    else {
        panic!("{:?}", nc.fields)
    };
    assert_eq!((key.as_str(), *source), ("status", "contactType"));
    assert_eq!(
        options.iter().map(|o| o.title.as_str()).collect::<Vec<_>>(),
        ["New lead", "None"]
    );
    assert_eq!(
        keys(&form.fields),
        ["noteActions"],
        "[] still shows the selection (None only)"
    );
    let wrong_type = ContactInfo {
        default_contact_type: Some("Candidate".into()),
        ..typed
    };
    let crash = log_form(
        "bullhorn",
        &bullhorn,
        &[wrong_type],
        None,
        Direction::Inbound,
    )
    .crash
    .unwrap();
    assert!(
        crash.contains("no \"Candidate\""),
        "the defaultContactType's lists are missing: {crash}"
    );

    // The call-log list missing: concatenating the new-contact fields to it throws.
    let no_log = platform_of(json!({"newContact": {"additionalFields": []}}));
    let crash = log_form(
        "t",
        &no_log,
        &[ContactInfo::create_new_row()],
        None,
        Direction::Inbound,
    )
    .crash
    .unwrap();
    assert!(
        crash.contains("undefined.concat: page.callLog.additionalFields is missing"),
        "{crash}"
    );

    // The new-contact list missing: the first form opens, switching to the create row throws.
    let no_new = platform_of(json!({"callLog": {"additionalFields": [
        {"const": "deals", "title": "Deal", "type": "selection", "contactDependent": true}
    ]}}));
    let rows = [
        contact("1", json!({"deals": [{"const": "d", "title": "D"}]})),
        ContactInfo::create_new_row(),
    ];
    assert_eq!(
        log_form("t", &no_new, &rows, None, Direction::Inbound).crash,
        None
    );
    let crash = log_form(
        "t",
        &no_new,
        &rows,
        Some(CREATE_NEW_CONTACT_ID),
        Direction::Inbound,
    )
    .crash
    .unwrap();
    assert!(
        crash.contains("page.newContact.additionalFields is missing"),
        "{crash}"
    );

    // Switching to a contact whose list is [] or missing.
    let rows = [
        contact("1", json!({"deals": [{"const": "d", "title": "D"}]})),
        contact("2", json!({"deals": []})),
    ];
    let crash = log_form("t", &no_new, &rows, Some("2"), Direction::Inbound)
        .crash
        .unwrap();
    assert!(
        crash.contains("the chosen contact's additionalInfo.deals is []")
            || crash.contains("additionalInfo.deals is []"),
        "{crash}"
    );
    let category = platform_of(json!({"callLog": {"additionalFields": [
        {"const": "category", "title": "Category", "type": "selection", "contactDependent": false}
    ]}}));
    let rows = [
        contact("1", json!({"category": [{"const": "c", "title": "C"}]})),
        contact("2", json!({})),
    ];
    let crash = log_form("t", &category, &rows, Some("2"), Direction::Inbound)
        .crash
        .unwrap();
    assert!(crash.contains("additionalInfo lacks category"), "{crash}");

    // No rows at all (and no search row): the default contact is null.
    let crash = log_form("t", &category, &[], None, Direction::Inbound)
        .crash
        .unwrap();
    assert!(crash.starts_with("The form cannot open"), "{crash}");
}

/// Extension 1.6.6 with `page.useContactSearch`: its own "Search contacts" row is last, counts
/// for both warnings, and keeps an empty list from crashing.
#[test]
fn the_search_row_counts_for_the_warnings_and_opens_an_empty_list() {
    let pipedrive = reference("pipedrive");
    let form = log_form(
        "pipedrive",
        &pipedrive,
        &[ContactInfo::create_new_row()],
        None,
        Direction::Inbound,
    );
    let last = form.contacts.last().unwrap();
    assert!(last.is_search_row && !last.is_create_row);
    assert_eq!(
        (last.id.as_str(), last.title.as_str()),
        ("searchContact", "Search contacts")
    );
    assert_eq!(form.warning, None, "two rows: the create row is not alone");
    let one_and_create = [contact("1", json!(null)), ContactInfo::create_new_row()];
    assert_eq!(
        log_form(
            "pipedrive",
            &pipedrive,
            &one_and_create,
            None,
            Direction::Inbound
        )
        .warning,
        None,
        "three rows, one of them the create row and one the search row: no warning"
    );
    let two = [contact("1", json!(null)), contact("2", json!(null))];
    assert_eq!(
        log_form("pipedrive", &pipedrive, &two, None, Direction::Inbound)
            .warning
            .as_deref(),
        Some(switchboard_core::forms::MULTIPLE_CONTACTS_WARNING),
        "two contacts and the search row"
    );
    let empty = log_form("pipedrive", &pipedrive, &[], None, Direction::Inbound);
    assert_eq!(empty.crash, None, "the search row keeps the form open");
    assert_eq!(empty.selected.as_deref(), Some("searchContact"));
    let p = sandbox();
    assert_eq!(
        log_form(
            "sandbox",
            &p,
            &[ContactInfo::create_new_row()],
            None,
            Direction::Inbound
        )
        .warning
        .as_deref(),
        Some(switchboard_core::forms::NO_CONTACT_WARNING),
        "no search row: the create row alone"
    );
}

/// Extension 1.6.6: from the "Search contacts" row the client asks
/// `GET /custom/contact/search?jwtToken=…&name=<typed name>`, answered like a lookup.
#[tokio::test]
async fn the_search_row_asks_the_custom_contact_search() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        let body =
            r#"{"successful":true,"contact":[{"id":"7","name":"Ada Lovelace","type":"Person"}]}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap()
            .to_owned()
    });
    let client = switchboard_core::client::AppConnectClient::new(&url, "t", None).unwrap();
    client.set_jwt(Some(switchboard_core::Sensitive::from("t")));
    let found = client.search_contacts("Ada L").await.into_result().unwrap();
    assert_eq!(found.contact[0].id, "7");
    let line = server.await.unwrap();
    assert!(
        line.starts_with("GET /custom/contact/search?") && line.contains("name=Ada+L"),
        "{line}"
    );
}
