//! The forms the App Connect client renders (SPEC §6), as data: the call-log form for a lookup
//! result, and sample data to preview a manifest's forms before any server exists. The UI renders
//! these models; tests snapshot them for every reference manifest.

use serde::Serialize;
use serde_json::{json, Value};
use ts_rs::TS;

use crate::manifest::{AdditionalField, Platform};
use crate::wire::{ContactInfo, Direction, CREATE_NEW_CONTACT_ID};

pub const NO_CONTACT_WARNING: &str =
    "No contact found. Enter a name to have a placeholder contact made for you.";
pub const MULTIPLE_CONTACTS_WARNING: &str =
    "Multiple contacts found. Please select the contact to associate this activity with.";

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ContactOption {
    pub id: String,
    /// First line: the name.
    pub title: String,
    /// Second line: `<type> - <id>` when the contact has a type.
    pub subtitle: Option<String>,
    pub is_create_row: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct OptionItem {
    pub value: Value,
    pub title: String,
}

/// One rendered additional field.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(
    rename_all = "camelCase",
    tag = "kind",
    rename_all_fields = "camelCase"
)]
pub enum FieldModel {
    /// A dropdown; `None` is appended as the client does, unless the field sets includeNoneOption false.
    Selection {
        key: String,
        title: String,
        required: bool,
        options: Vec<OptionItem>,
        /// Where the options come from: `contact`, `manifest` or `accountData`.
        source: &'static str,
    },
    Checkbox {
        key: String,
        title: String,
        default: bool,
    },
    Input {
        key: String,
        title: String,
        required: bool,
        pattern: Option<String>,
        description: Option<String>,
    },
    Warning {
        key: String,
        title: String,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct NewContactForm {
    /// Empty when the manifest has no contactTypes: then there is no Contact type dropdown.
    pub contact_types: Vec<OptionItem>,
    /// The `newContactType` the client submits until the person picks a type: the chosen row's
    /// `defaultContactType`, else `""`. The dropdown shows this value (blank for `""`) meanwhile.
    pub initial_type: String,
    pub fields: Vec<FieldModel>,
}

/// The "Save to <CRM>" call-log form for one lookup result and one chosen contact.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct LogForm {
    pub title: String,
    pub contacts: Vec<ContactOption>,
    pub selected: Option<String>,
    pub warning: Option<String>,
    /// Present only while the chosen row has `isNewContact: true` (that flag, not the id, makes
    /// the client show the name and type inputs).
    pub new_contact: Option<NewContactForm>,
    pub fields: Vec<FieldModel>,
    /// The message-log form's fields for the same contact (SMS logging).
    pub message_log_fields: Vec<FieldModel>,
    /// The activity title the client fills in.
    pub subject: String,
}

fn title_of(f: &AdditionalField) -> String {
    f.title.clone().unwrap_or_else(|| f.key.clone())
}

/// The option the client appends to a selection (SPEC §6): `{const: "none", title: "None"}`. It is
/// last, so the first real option stays preselected; a saved `"none"` is dropped from
/// `additionalSubmission`.
pub const NONE_VALUE: &str = "none";

fn none_option() -> OptionItem {
    OptionItem {
        value: Value::String(NONE_VALUE.to_owned()),
        title: "None".to_owned(),
    }
}

fn options_from(list: &Value) -> Vec<OptionItem> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|o| OptionItem {
                    value: o.get("const").cloned().unwrap_or(Value::Null),
                    title: o
                        .get("title")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| {
                            o.get("const").map(ToString::to_string).unwrap_or_default()
                        }),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The fields of a form for one contact. A contact-dependent selection takes its options from the
/// contact's `additionalInfo[const]` and is hidden when that key is absent.
fn fields_for(fields: &[AdditionalField], contact: Option<&ContactInfo>) -> Vec<FieldModel> {
    let info = contact.and_then(|c| c.additional_info.as_ref());
    fields
        .iter()
        .filter_map(|f| {
            let key = f.key.clone();
            let title = title_of(f);
            Some(match f.kind.as_deref()? {
                "selection" => {
                    let (mut options, source) = if f.contact_dependent {
                        (options_from(info?.get(&f.key)?), "contact")
                    } else if !f.options.is_empty() {
                        let opts = f
                            .options
                            .iter()
                            .map(|o| OptionItem {
                                value: o.value.clone(),
                                title: o.title.clone().unwrap_or_else(|| o.value.to_string()),
                            })
                            .collect();
                        (opts, "manifest")
                    } else {
                        (Vec::new(), "accountData")
                    };
                    if f.include_none_option != Some(false) {
                        options.push(none_option());
                    }
                    FieldModel::Selection {
                        key,
                        title,
                        required: f.required,
                        options,
                        source,
                    }
                }
                "checkbox" => FieldModel::Checkbox {
                    key,
                    title,
                    default: f.default_value == Some(Value::Bool(true)),
                },
                "inputField" => FieldModel::Input {
                    key,
                    title,
                    required: f.required,
                    pattern: f.pattern.clone(),
                    description: f.description.clone(),
                },
                "warning" => FieldModel::Warning {
                    key,
                    text: f.description.clone().unwrap_or_else(|| title.clone()),
                    title,
                },
                _ => return None,
            })
        })
        .collect()
}

/// The call-log form the client shows for `contacts`, with `selected` chosen (default: the first).
pub fn log_form(
    platform_name: &str,
    platform: &Platform,
    contacts: &[ContactInfo],
    selected: Option<&str>,
    direction: Direction,
) -> LogForm {
    let display = platform
        .display_name
        .clone()
        .unwrap_or_else(|| platform_name.to_owned());
    let options: Vec<ContactOption> = contacts
        .iter()
        .map(|c| ContactOption {
            id: c.id.clone(),
            title: c.display_name().to_owned(),
            subtitle: c.kind.as_ref().map(|t| format!("{t} - {}", c.id)),
            is_create_row: c.id == CREATE_NEW_CONTACT_ID,
        })
        .collect();
    let chosen = selected
        .and_then(|id| contacts.iter().find(|c| c.id == id))
        .or_else(|| contacts.first());
    let warning = if contacts.len() == 1 && contacts[0].id == CREATE_NEW_CONTACT_ID {
        Some(NO_CONTACT_WARNING.to_owned())
    } else if contacts.len() > 2 {
        Some(MULTIPLE_CONTACTS_WARNING.to_owned())
    } else {
        None
    };
    // The form shows the name and type inputs for a row flagged `isNewContact`; whether Save then
    // creates a contact depends on the id instead (see `ContactInfo::is_create_row`).
    let creating = chosen.filter(|c| c.is_new_contact);
    let new_contact = creating.map(|row| NewContactForm {
        initial_type: row.initial_contact_type(),
        contact_types: platform
            .usable_contact_types()
            .map(|(d, v)| OptionItem {
                value: Value::String(v.to_owned()),
                title: d.to_owned(),
            })
            .collect(),
        fields: fields_for(platform.new_contact_fields(), None),
    });
    let name = if creating.is_some() {
        "<new contact name>"
    } else {
        chosen.map_or("", |c| c.display_name())
    };
    LogForm {
        title: format!("Save to {display}"),
        contacts: options,
        selected: chosen.map(|c| c.id.clone()),
        warning,
        new_contact,
        fields: fields_for(platform.call_log_fields(), chosen),
        message_log_fields: fields_for(platform.message_log_fields(), chosen),
        subject: crate::flow::default_subject(direction, name),
    }
}

/// Sample contacts for previewing a manifest with no server: one match whose `additionalInfo` fills
/// every contact-dependent selection, a second contact without it, and the create row.
pub fn sample_contacts(platform: &Platform) -> Vec<ContactInfo> {
    let kinds: Vec<&str> = platform.usable_contact_types().map(|(_, v)| v).collect();
    let mut info = serde_json::Map::new();
    for f in platform
        .call_log_fields()
        .iter()
        .filter(|f| f.contact_dependent)
    {
        let title = title_of(f);
        info.insert(
            f.key.clone(),
            json!([{"const": format!("{}-1", f.key), "title": format!("Sample {title} A")},
                   {"const": format!("{}-2", f.key), "title": format!("Sample {title} B")}]),
        );
    }
    vec![
        ContactInfo {
            id: "1001".into(),
            name: Some("Ada Sample".into()),
            kind: kinds.first().map(|k| (*k).to_owned()),
            additional_info: (!info.is_empty()).then_some(Value::Object(info)),
            ..ContactInfo::default()
        },
        ContactInfo {
            id: "1002".into(),
            name: Some("Grace Sample".into()),
            kind: kinds.get(1).or(kinds.first()).map(|k| (*k).to_owned()),
            ..ContactInfo::default()
        },
        ContactInfo::create_new_row(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{parse, SANDBOX_MANIFEST};

    fn sandbox() -> Platform {
        parse(SANDBOX_MANIFEST)
            .unwrap()
            .platform(None)
            .unwrap()
            .1
            .clone()
    }

    #[test]
    fn only_the_create_row_asks_for_a_name_and_type() {
        let p = sandbox();
        let form = log_form(
            "sandbox",
            &p,
            &[ContactInfo::create_new_row()],
            None,
            Direction::Inbound,
        );
        assert_eq!(form.warning.as_deref(), Some(NO_CONTACT_WARNING));
        let nc = form
            .new_contact
            .expect("the create row shows the new-contact form");
        assert_eq!(nc.contact_types.len(), 3);
        assert!(
            !form
                .fields
                .iter()
                .any(|f| matches!(f, FieldModel::Selection { key, .. } if key == "deals")),
            "no additionalInfo → Deal hidden"
        );
    }

    #[test]
    fn a_contacts_options_fill_its_selection_and_none_is_appended() {
        let p = sandbox();
        let contacts = sample_contacts(&p);
        let form = log_form("sandbox", &p, &contacts, None, Direction::Outbound);
        assert_eq!(form.warning.as_deref(), Some(MULTIPLE_CONTACTS_WARNING));
        assert_eq!(form.subject, "Outbound Call to Ada Sample");
        assert_eq!(form.contacts[0].subtitle.as_deref(), Some("contact - 1001"));
        let FieldModel::Selection {
            options, source, ..
        } = &form.fields[0]
        else {
            panic!("{:?}", form.fields[0])
        };
        assert_eq!(*source, "contact");
        assert_eq!(
            options.iter().map(|o| o.title.as_str()).collect::<Vec<_>>(),
            ["Sample Deal A", "Sample Deal B", "None"]
        );
        assert_eq!(
            options[0].value,
            json!("deals-1"),
            "the first real option comes first"
        );
        assert_eq!(
            options.last().map(|o| &o.value),
            Some(&json!(NONE_VALUE)),
            "None is SPEC §6's {{const: \"none\"}}, last"
        );
        let form = log_form("sandbox", &p, &contacts, Some("1002"), Direction::Inbound);
        assert!(form.new_contact.is_none());
        assert!(
            !form
                .fields
                .iter()
                .any(|f| matches!(f, FieldModel::Selection { .. })),
            "Grace has no deals"
        );
    }
}
