//! The forms the App Connect client renders (SPEC §6), as data: the call-log form for a lookup
//! result, and sample data to preview a manifest's forms before any server exists. The UI renders
//! these models; tests snapshot them for every reference manifest.

use serde::Serialize;
use serde_json::{json, Map, Value};
use ts_rs::TS;

use crate::manifest::{AdditionalField, FieldSet, Pages, Platform};
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
    /// The client's own "Search contacts" row (`page.useContactSearch`): choosing it opens the
    /// name search (`GET /custom/contact/search?name=`), and the form ignores additional fields.
    pub is_search_row: bool,
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
    /// A dropdown. Extension 1.6.6 has no static options: they are always a list the connector
    /// sent in `additionalInfo`, with `{const: "none", title: "None"}` appended.
    Selection {
        key: String,
        title: String,
        required: bool,
        options: Vec<OptionItem>,
        /// Where the options come from: `contact` (the chosen row's `additionalInfo[const]`) or
        /// `contactType` (the create row's `additionalInfo[<defaultContactType>][const]`).
        source: &'static str,
        /// The value the form starts with: the first option of `additionalInfo[const]`, else
        /// nothing (the dropdown starts blank).
        value: Option<Value>,
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
        /// Checked on every change; lost (`None`) once the person switches contacts (1.6.6).
        pattern: Option<String>,
        description: Option<String>,
        /// Prefilled: the manifest's `defaultValue`, else empty.
        value: String,
    },
    Warning {
        key: String,
        title: String,
        text: String,
    },
}

impl FieldModel {
    fn key(&self) -> &str {
        match self {
            Self::Selection { key, .. }
            | Self::Checkbox { key, .. }
            | Self::Input { key, .. }
            | Self::Warning { key, .. } => key,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct NewContactForm {
    /// Empty when the manifest has no contactTypes: then there is no Contact type dropdown.
    pub contact_types: Vec<OptionItem>,
    /// The `newContactType` the client submits until the person picks a type: the default row's
    /// `defaultContactType`, else `""`; after switching to the create row, the first contact
    /// type (else `""`). The dropdown shows this value (blank for `""`) meanwhile.
    pub initial_type: String,
    pub fields: Vec<FieldModel>,
}

/// The "Save to <CRM>" call-log form for one lookup result and one chosen contact.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct LogForm {
    pub title: String,
    /// The rows, with the client's own "Search contacts" row last under `page.useContactSearch`.
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
    /// Set when extension 1.6.6 throws building this call-log form: what throws and why. With the
    /// default row the form cannot open; after switching contacts it does not update.
    pub crash: Option<String>,
    /// The same for the message-log (SMS) form.
    pub message_log_crash: Option<String>,
}

impl LogForm {
    /// The values the client's form starts with before anyone touches it (extension 1.6.6
    /// `additionalFieldsValue`): each shown selection's first option, each checkbox's
    /// `defaultValue` (else false), each shown input's `defaultValue` (else empty); the call-log
    /// fields, then the new-contact fields of a create row. A Save with no change sends these.
    pub fn starting_values(&self) -> Map<String, Value> {
        let new_contact = self.new_contact.iter().flat_map(|n| n.fields.iter());
        let mut out = Map::new();
        for f in self.fields.iter().chain(new_contact) {
            let (key, value) = match f {
                FieldModel::Selection {
                    key,
                    value: Some(v),
                    ..
                } => (key, v.clone()),
                FieldModel::Checkbox { key, default, .. } => (key, Value::Bool(*default)),
                FieldModel::Input { key, value, .. } => (key, Value::String(value.clone())),
                FieldModel::Selection { .. } | FieldModel::Warning { .. } => continue,
            };
            out.insert(key.clone(), value);
        }
        out
    }
}

fn title_of(f: &AdditionalField) -> String {
    f.title.clone().unwrap_or_else(|| f.key.clone())
}

/// The option the client appends to a selection (SPEC §6): `{const: "none", title: "None"}`. It is
/// last, so the first real option stays preselected; a saved `"none"` is dropped from
/// `additionalSubmission`.
pub const NONE_VALUE: &str = "none";

/// The id of the client's own "Search contacts" row (`page.useContactSearch`).
pub const SEARCH_CONTACT_ID: &str = "searchContact";
pub const SEARCH_CONTACT_TITLE: &str = "Search contacts";

fn none_option() -> OptionItem {
    OptionItem {
        value: Value::String(NONE_VALUE.to_owned()),
        title: "None".to_owned(),
    }
}

fn option_of(o: &Value) -> OptionItem {
    OptionItem {
        value: o.get("const").cloned().unwrap_or(Value::Null),
        title: o
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| o.get("const").map(ToString::to_string).unwrap_or_default()),
    }
}

/// JavaScript truthiness.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// How a JavaScript template shows a value (`${v}`), for crash explanations.
fn js(v: &Value) -> String {
    match v {
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

/// A row of the client's contact list: a connector's contact, or the client's search row.
#[derive(Clone, Copy)]
enum Row<'a> {
    Contact(&'a ContactInfo),
    Search,
}

impl<'a> Row<'a> {
    fn id(self) -> &'a str {
        match self {
            Row::Contact(c) => &c.id,
            Row::Search => SEARCH_CONTACT_ID,
        }
    }
    fn is_new_contact(self) -> bool {
        matches!(self, Row::Contact(c) if c.is_new_contact)
    }
    fn info(self) -> Option<&'a Value> {
        match self {
            Row::Contact(c) => c.additional_info.as_ref().filter(|v| !v.is_null()),
            Row::Search => None,
        }
    }
    /// `additionalInfo?.[key]`, `None` for JavaScript's `undefined`.
    fn info_at(self, key: &str) -> Option<&'a Value> {
        self.info().and_then(|i| i.get(key))
    }
    fn name(self) -> &'a str {
        match self {
            Row::Contact(c) => c.display_name(),
            Row::Search => SEARCH_CONTACT_TITLE,
        }
    }
}

/// Where a rendered field came from: the call-log (or message-log) list, or the new-contact list.
#[derive(Clone, Copy, PartialEq)]
enum Origin {
    Log,
    NewContact,
}

struct Rendered {
    field: FieldModel,
    origin: Origin,
    /// `associationField`: the client drops it when the person switches contacts.
    association: bool,
}

/// The lists one form reads: the call-log (or message-log) fields and the new-contact fields,
/// `None` where the manifest lacks the key.
struct Lists<'a> {
    name: &'static str,
    log: Option<&'a [AdditionalField]>,
    new_contact: Option<&'a [AdditionalField]>,
}

impl<'a> Lists<'a> {
    /// The client's `allAdditionalFields` for `row`: the log list, with the new-contact list
    /// concatenated for a create row (`undefined` when that list is missing).
    fn all(&self, row: Row) -> Result<Vec<(Option<&'a AdditionalField>, Origin)>, String> {
        let mut all: Vec<_> = self
            .log
            .unwrap_or_default()
            .iter()
            .map(|f| (Some(f), Origin::Log))
            .collect();
        if row.is_new_contact() {
            let Some(_) = self.log else {
                return Err(format!(
                    "undefined.concat: page.{}.additionalFields is missing, and the client appends the new-contact fields to it for a create row.",
                    self.name
                ));
            };
            match self.new_contact {
                Some(list) => all.extend(list.iter().map(|f| (Some(f), Origin::NewContact))),
                None => all.push((None, Origin::NewContact)),
            }
        }
        Ok(all)
    }
}

fn options_list(v: &Value, what: impl FnOnce() -> String) -> Result<Vec<OptionItem>, String> {
    match v {
        Value::Array(items) => Ok(items.iter().map(option_of).collect()),
        other => Err(format!(
            "{} is {}, not a list: the client spreads it into the options.",
            what(),
            js(other)
        )),
    }
}

/// The form built for the default row (extension 1.6.6 `getLogPageRender`).
fn initial_fields(lists: &Lists, row: Row) -> Result<Vec<Rendered>, String> {
    let mut out = Vec::new();
    for (f, origin) in lists.all(row)? {
        // The initial render skips the `undefined` a missing new-contact list leaves.
        let Some(f) = f else { continue };
        let key = f.key.clone();
        let title = title_of(f);
        let association = f.contact_dependent;
        let field = match f.kind.as_deref() {
            Some("selection") => {
                let (mut options, source) = if row.is_new_contact() && f.contact_type_dependent {
                    let Some(info) = row.info() else {
                        return Err(format!("additionalInfo is null while contactTypeDependent new-contact fields exist: the create row's options for \"{key}\" are read from additionalInfo[<defaultContactType>].{key}."));
                    };
                    let t = match row {
                        Row::Contact(c) => c.default_contact_type.as_deref().unwrap_or("undefined"),
                        Row::Search => "undefined",
                    };
                    let Some(by_type) = info.get(t) else {
                        return Err(format!("The create row's additionalInfo has no \"{t}\" (its defaultContactType): reading additionalInfo.{t}.{key} for the contactTypeDependent field \"{key}\" throws."));
                    };
                    let Some(list) = by_type.get(&key) else {
                        return Err(format!("The create row's additionalInfo.{t} lacks {key}: spreading it into the options of the contactTypeDependent field \"{key}\" throws."));
                    };
                    let what = || format!("The create row's additionalInfo.{t}.{key}");
                    (options_list(list, what)?, "contactType")
                } else {
                    let Some(list) = row.info_at(&key) else {
                        continue;
                    };
                    let what = || format!("The chosen contact's additionalInfo.{key}");
                    (options_list(list, what)?, "contact")
                };
                options.push(none_option());
                // The first option of additionalInfo[const] (even for a contactTypeDependent field).
                let value = row
                    .info_at(&key)
                    .and_then(|l| l.get(0))
                    .and_then(|o| o.get("const"))
                    .filter(|v| truthy(v))
                    .cloned();
                if let Some(v) = &value {
                    if !options.iter().any(|o| &o.value == v) {
                        options.push(OptionItem {
                            value: v.clone(),
                            title: v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        });
                    }
                }
                FieldModel::Selection {
                    key,
                    title,
                    required: f.required,
                    options,
                    source,
                    value,
                }
            }
            Some("checkbox") => {
                if row.info_at(&key).is_none() {
                    continue;
                }
                FieldModel::Checkbox {
                    key,
                    title,
                    default: f.default_value.as_ref().is_some_and(truthy),
                }
            }
            Some("inputField") => {
                if row.info_at(&key).is_some_and(truthy) {
                    continue;
                }
                FieldModel::Input {
                    key,
                    title,
                    required: f.required,
                    pattern: f.pattern.clone(),
                    description: f.description.clone(),
                    value: text_of(f.default_value.as_ref()),
                }
            }
            Some("warning") => warning_of(f),
            _ => continue,
        };
        out.push(Rendered {
            field,
            origin,
            association,
        });
    }
    Ok(out)
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn warning_of(f: &AdditionalField) -> FieldModel {
    let title = title_of(f);
    FieldModel::Warning {
        key: f.key.clone(),
        text: f.description.clone().unwrap_or_else(|| title.clone()),
        title,
    }
}

/// The form after the person switches from the default row's form (`before`) to `row`
/// (extension 1.6.6 `getUpdatedLogPageRender`): contact-dependent fields are dropped and every
/// field is read again from the new row; the others keep their place and value.
fn switched_fields(
    lists: &Lists,
    before: Vec<Rendered>,
    row: Row,
) -> Result<Vec<Rendered>, String> {
    let mut out: Vec<Rendered> = before.into_iter().filter(|r| !r.association).collect();
    let previous = |out: &[Rendered], key: &str| -> Option<FieldModel> {
        out.iter()
            .find(|r| r.field.key() == key)
            .map(|r| r.field.clone())
    };
    let all = if lists.log.is_some() || row.is_new_contact() {
        lists.all(row)?
    } else {
        Vec::new()
    };
    let mut added = Vec::new();
    for (f, origin) in all {
        if matches!(row, Row::Search) {
            continue; // the search row ignores additional fields
        }
        let Some(f) = f else {
            return Err("page.newContact.additionalFields is missing: switching to the create row reads .type of the undefined it leaves in the list.".to_owned());
        };
        let key = f.key.clone();
        let title = title_of(f);
        let dependent = f.contact_dependent;
        let field = match f.kind.as_deref() {
            Some("selection") => {
                if dependent && row.info_at(&key).is_none() {
                    continue;
                }
                let Some(info) = row.info() else {
                    return Err(format!("The chosen contact's additionalInfo is null: reading additionalInfo.{key} for the selection \"{key}\" throws."));
                };
                let Some(list) = info.get(&key) else {
                    return Err(format!("The chosen contact's additionalInfo lacks {key}: the selection \"{key}\" is not contactDependent, so its options are read anyway."));
                };
                let what = || format!("The chosen contact's additionalInfo.{key}");
                let mut options = options_list(list, what)?;
                options.push(none_option());
                let value = if dependent {
                    let Some(first) = list.get(0) else {
                        return Err(format!("The chosen contact's additionalInfo.{key} is []: the client reads its first option's const."));
                    };
                    first.get("const").cloned()
                } else {
                    match previous(&out, &key) {
                        Some(FieldModel::Selection { value, .. }) => value,
                        _ => None,
                    }
                };
                FieldModel::Selection {
                    key,
                    title,
                    required: f.required,
                    options,
                    source: "contact",
                    value,
                }
            }
            Some("checkbox") => {
                if dependent && row.info_at(&key).is_none() {
                    continue;
                }
                let default = if dependent {
                    f.default_value.as_ref().is_some_and(truthy)
                } else {
                    matches!(
                        previous(&out, &key),
                        Some(FieldModel::Checkbox { default: true, .. })
                    )
                };
                FieldModel::Checkbox {
                    key,
                    title,
                    default,
                }
            }
            Some("inputField") => {
                if dependent && row.info_at(&key).is_some_and(truthy) {
                    continue;
                }
                let value = if dependent {
                    text_of(f.default_value.as_ref())
                } else {
                    match previous(&out, &key) {
                        Some(FieldModel::Input { value, .. }) => value,
                        _ => String::new(),
                    }
                };
                FieldModel::Input {
                    key,
                    title,
                    required: f.required,
                    pattern: None,
                    description: f.description.clone(),
                    value,
                }
            }
            Some("warning") => warning_of(f),
            _ => continue,
        };
        added.push(Rendered {
            field,
            origin,
            association: dependent,
        });
    }
    for r in added {
        match out.iter_mut().find(|o| o.field.key() == r.field.key()) {
            Some(slot) => *slot = r,
            None => out.push(r),
        }
    }
    Ok(out)
}

/// One form's fields for `chosen`, built the way the client gets there: from the default row's
/// form, then by switching when `chosen` is another row.
fn form_fields(lists: &Lists, default: Row, chosen: Row) -> Result<Vec<Rendered>, String> {
    let before =
        initial_fields(lists, default).map_err(|e| format!("The form cannot open. {e}"))?;
    if chosen.id() == default.id() {
        return Ok(before);
    }
    switched_fields(lists, before, chosen).map_err(|e| {
        format!(
            "Switching to \"{}\" throws; the form keeps the previous contact's fields. {e}",
            chosen.name()
        )
    })
}

fn field_list<'a>(
    platform: &'a Platform,
    pick: fn(&'a Pages) -> Option<&'a FieldSet>,
) -> Option<&'a [AdditionalField]> {
    platform
        .page
        .as_ref()
        .and_then(pick)
        .and_then(|s| s.additional_fields.as_deref())
}

/// The warning above the contact list, counting the client's search row (extension 1.6.6).
fn warning_for(rows: &[Row]) -> Option<String> {
    let has_new = rows.iter().any(|r| r.is_new_contact());
    let has_search = rows.iter().any(|r| matches!(r, Row::Search));
    if rows.len() > 2 {
        // Exactly the create row, one contact and the search row: no warning.
        (!(rows.len() == 3 && has_new && has_search)).then(|| MULTIPLE_CONTACTS_WARNING.to_owned())
    } else if rows.len() == 1 && rows[0].is_new_contact() {
        Some(NO_CONTACT_WARNING.to_owned())
    } else {
        None
    }
}

/// The call-log form the client shows for `contacts`, with `selected` chosen (default: the first
/// row). Choosing another row than the first is modelled as the person switching to it.
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
    let use_search = platform.page.as_ref().is_some_and(|p| p.use_contact_search);
    let mut rows: Vec<Row> = contacts.iter().map(Row::Contact).collect();
    if use_search {
        rows.push(Row::Search);
    }
    let options: Vec<ContactOption> = rows
        .iter()
        .map(|r| match *r {
            Row::Contact(c) => ContactOption {
                id: c.id.clone(),
                title: c.display_name().to_owned(),
                subtitle: c.kind.as_ref().map(|t| format!("{t} - {}", c.id)),
                is_create_row: c.id == CREATE_NEW_CONTACT_ID,
                is_search_row: false,
            },
            Row::Search => ContactOption {
                id: SEARCH_CONTACT_ID.to_owned(),
                title: SEARCH_CONTACT_TITLE.to_owned(),
                subtitle: None,
                is_create_row: false,
                is_search_row: true,
            },
        })
        .collect();
    let Some(&default) = rows.first() else {
        let crash = "The form cannot open: the answer has no rows and there is no create row or search row, so the client's default contact is null (reading isNewContact throws).".to_owned();
        return LogForm {
            title: format!("Save to {display}"),
            contacts: options,
            selected: None,
            warning: None,
            new_contact: None,
            fields: Vec::new(),
            message_log_fields: Vec::new(),
            subject: crate::flow::default_subject(direction, ""),
            crash: Some(crash.clone()),
            message_log_crash: Some(crash),
        };
    };
    let chosen = selected
        .and_then(|id| rows.iter().copied().find(|r| r.id() == id))
        .unwrap_or(default);
    let switched = chosen.id() != default.id();
    let new_list = field_list(platform, |p| p.new_contact.as_ref());
    let call = Lists {
        name: "callLog",
        log: field_list(platform, |p| p.call_log.as_ref()),
        new_contact: new_list,
    };
    let message = Lists {
        name: "messageLog",
        log: field_list(platform, |p| p.message_log.as_ref()),
        new_contact: new_list,
    };
    // The form shows the name and type inputs for a row flagged `isNewContact`; whether Save then
    // creates a contact depends on the id instead (see `ContactInfo::is_create_row`).
    let creating = chosen.is_new_contact();
    let split = |r: Result<Vec<Rendered>, String>| match r {
        Ok(list) => {
            let (new, log): (Vec<_>, Vec<_>) = list
                .into_iter()
                .partition(|r| creating && r.origin == Origin::NewContact);
            (
                log.into_iter().map(|r| r.field).collect::<Vec<_>>(),
                new.into_iter().map(|r| r.field).collect::<Vec<_>>(),
                None,
            )
        }
        Err(e) => (Vec::new(), Vec::new(), Some(e)),
    };
    let (fields, new_fields, crash) = split(form_fields(&call, default, chosen));
    let (message_log_fields, _, message_log_crash) = split(form_fields(&message, default, chosen));
    let new_contact = match chosen {
        Row::Contact(row) if creating => Some(NewContactForm {
            initial_type: if switched {
                platform
                    .contact_types
                    .first()
                    .and_then(|t| t.value.clone())
                    .unwrap_or_default()
            } else {
                row.initial_contact_type()
            },
            contact_types: platform
                .usable_contact_types()
                .map(|(d, v)| OptionItem {
                    value: Value::String(v.to_owned()),
                    title: d.to_owned(),
                })
                .collect(),
            fields: new_fields,
        }),
        _ => None,
    };
    let name = if creating {
        "<new contact name>"
    } else {
        chosen.name()
    };
    LogForm {
        title: format!("Save to {display}"),
        contacts: options,
        selected: Some(chosen.id().to_owned()),
        warning: warning_for(&rows),
        new_contact,
        fields,
        message_log_fields,
        subject: crate::flow::default_subject(direction, name),
        crash,
        message_log_crash,
    }
}

/// The list a sample connector sends for a selection: the manifest's own `options` when it lists
/// some (extension 1.6.6 ignores them, so a connector must send them), else two made-up options.
fn sample_options(f: &AdditionalField) -> Value {
    if !f.options.is_empty() {
        return Value::Array(
            f.options
                .iter()
                .map(|o| json!({"const": o.value, "title": o.title.clone().unwrap_or_else(|| o.value.to_string())}))
                .collect(),
        );
    }
    let title = title_of(f);
    json!([{"const": format!("{}-1", f.key), "title": format!("Sample {title} A")},
           {"const": format!("{}-2", f.key), "title": format!("Sample {title} B")}])
}

/// Sample contacts for previewing a manifest with no server, answered the way extension 1.6.6
/// needs: one match whose `additionalInfo` has a list for every selection and every checkbox's key,
/// a second contact with only what is not contact-dependent (switching to a contact that lacks
/// those throws), and the create row, carrying the lists it needs (per contact type for
/// `contactTypeDependent` new-contact fields, then with the first type as `defaultContactType`).
pub fn sample_contacts(platform: &Platform) -> Vec<ContactInfo> {
    let kinds: Vec<&str> = platform.usable_contact_types().map(|(_, v)| v).collect();
    let log_fields = || {
        platform
            .call_log_fields()
            .iter()
            .chain(platform.message_log_fields())
    };
    let (mut ada, mut grace, mut create) = (Map::new(), Map::new(), Map::new());
    for f in log_fields() {
        let value = match f.kind.as_deref() {
            Some("selection") => sample_options(f),
            Some("checkbox") => Value::Bool(true),
            _ => continue,
        };
        if !f.contact_dependent {
            grace.insert(f.key.clone(), value.clone());
            create.insert(f.key.clone(), value.clone());
        }
        ada.insert(f.key.clone(), value);
    }
    let mut by_type = Map::new();
    for f in platform.new_contact_fields() {
        if f.kind.as_deref() != Some("selection") {
            continue;
        }
        if !f.contact_dependent {
            create.insert(f.key.clone(), sample_options(f));
        }
        if f.contact_type_dependent {
            for k in &kinds {
                let entry = by_type
                    .entry((*k).to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                entry[&f.key] = sample_options(f);
            }
        }
    }
    let default_contact_type = (!by_type.is_empty())
        .then(|| kinds.first().map(|k| (*k).to_owned()))
        .flatten();
    create.extend(by_type);
    let object = |m: Map<String, Value>| (!m.is_empty()).then_some(Value::Object(m));
    vec![
        ContactInfo {
            id: "1001".into(),
            name: Some("Ada Sample".into()),
            kind: kinds.first().map(|k| (*k).to_owned()),
            additional_info: object(ada),
            ..ContactInfo::default()
        },
        ContactInfo {
            id: "1002".into(),
            name: Some("Grace Sample".into()),
            kind: kinds.get(1).or(kinds.first()).map(|k| (*k).to_owned()),
            additional_info: object(grace),
            ..ContactInfo::default()
        },
        ContactInfo {
            additional_info: object(create),
            default_contact_type,
            ..ContactInfo::create_new_row()
        },
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
