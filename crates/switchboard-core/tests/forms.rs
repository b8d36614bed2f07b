//! Snapshots of the call-log form model the client would render, for every reference manifest and
//! several lookup results: one match with options, only the create row, and several contacts with
//! the create row chosen. A change to what users would see shows up as a snapshot diff.

use std::path::PathBuf;

use serde_json::json;
use switchboard_core::forms::{log_form, sample_contacts};
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
}
