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
