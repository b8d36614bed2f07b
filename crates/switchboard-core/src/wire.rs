//! App Connect's HTTP wire types (SPEC §2, §3), shared by the client and the sandbox server.
//!
//! Decoding is tolerant where real connectors vary (ids as numbers or strings, missing optional
//! keys); the contract lints, not the decoder, judge whether a response is well-formed.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

/// The id of the connector-provided "Create new contact..." row. The client recognises it by this id.
pub const CREATE_NEW_CONTACT_ID: &str = "createNewContact";
/// The text the real client shows for that row.
pub const CREATE_NEW_CONTACT_NAME: &str = "Create new contact...";

/// Accepts a string or a number and keeps it as a string (CRMs use both for ids).
fn id_as_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Ok(other.to_string()),
    }
}

fn opt_id_as_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Ok(Some(other.to_string())),
    }
}

fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(serde_json::from_value(Value::deserialize(d)?).ok())
}

/// Who made a message the client shows as a toast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum MessageSource {
    /// The connector server's `returnMessage` (the connector's own, or the framework's).
    Server,
    /// A message the client makes itself when the server sent none (extension 1.6.6).
    Client,
}

/// `{message, messageType, ttl, details?}`; shown by the client as a toast.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ReturnMessage {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub message: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub message_type: Option<String>,
    /// Milliseconds; 0 keeps the toast until dismissed; missing means 5000 in the client.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional, type = "number")]
    pub ttl: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub details: Option<Value>,
}

impl ReturnMessage {
    pub fn new(kind: &str, message: impl Into<String>, ttl: u64) -> Self {
        Self {
            message: Some(message.into()),
            message_type: Some(kind.to_owned()),
            ttl: Some(ttl),
            details: None,
        }
    }

    /// The client's own toast after `POST /callLog` succeeded with no message (extension 1.6.6).
    pub fn call_log_added() -> Self {
        Self::new("success", "Call log added", 3000)
    }

    /// The client's own toast after `POST /callLog` failed with no message (extension 1.6.6).
    pub fn call_log_failed() -> Self {
        Self::new("warning", "Failed to save call log", 3000)
    }

    /// The client's own toast for a findContact answer with no `contact` key (extension 1.6.6).
    pub fn no_contact_found() -> Self {
        Self::new("warning", "No contact found", 3000)
    }
}

/// One contact of a findContact answer, or the object a createContact answer carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ContactInfo {
    #[serde(deserialize_with = "id_as_string", default)]
    pub id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(
        rename = "type",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub kind: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub phone: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub title: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub company: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub most_recent_activity_date: Option<String>,
    /// Keyed by call-log field `const`; a selection's value is its option list for this contact.
    #[serde(default)]
    pub additional_info: Option<Value>,
    /// Marks the create row for the form: with it, the client shows the name and type inputs.
    /// (Saving creates a contact only when the row's id is `createNewContact`.)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_new_contact: bool,
    /// On the create row: the `newContactType` the client submits until the person picks a type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub default_contact_type: Option<String>,
}

impl ContactInfo {
    /// The connector-provided "Create new contact..." row.
    pub fn create_new_row() -> Self {
        Self {
            id: CREATE_NEW_CONTACT_ID.to_owned(),
            name: Some(CREATE_NEW_CONTACT_NAME.to_owned()),
            is_new_contact: true,
            additional_info: None,
            ..Self::default()
        }
    }

    /// The row the client creates a contact for on save: recognised by its id alone.
    pub fn is_create_row(&self) -> bool {
        self.id == CREATE_NEW_CONTACT_ID
    }

    /// The `newContactType` the client submits while this row is chosen and no type was picked:
    /// the row's `defaultContactType`, else the empty string (extension 1.6.6).
    pub fn initial_contact_type(&self) -> String {
        self.default_contact_type.clone().unwrap_or_default()
    }

    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("(no name)")
    }
}

/// `GET /contact` answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct FindContactResponse {
    #[serde(default)]
    pub successful: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub return_message: Option<ReturnMessage>,
    #[serde(default, deserialize_with = "contacts_list")]
    pub contact: Vec<ContactInfo>,
}

fn contacts_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ContactInfo>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect(),
        // A lone object is a contract violation the lints report; still show what came back.
        obj @ Value::Object(_) => serde_json::from_value(obj).ok().into_iter().collect(),
        _ => Vec::new(),
    })
}

impl FindContactResponse {
    /// Contacts the CRM really holds (the create row excluded).
    pub fn real_matches(&self) -> impl Iterator<Item = &ContactInfo> {
        self.contact.iter().filter(|c| !c.is_create_row())
    }

    /// The usual answer read from its parsed JSON without the copies the tolerant `Deserialize`
    /// makes (each tolerant field is re-read from a copy of its value): what
    /// `FindContactResponse::deserialize(v)` gives, or `None` when any part is out of the
    /// ordinary (a non-bool `successful` or `isNewContact`, a `contact` or `returnMessage` that
    /// is not a list or an object, a contact that is not an object, an id that is not a string,
    /// number or null), for the caller to decode through serde. A batch decodes every answer.
    pub fn from_usual(v: &Value) -> Option<Self> {
        let mut out = Self::default();
        for (key, v) in v.as_object()? {
            match key.as_str() {
                "successful" => out.successful = v.as_bool()?,
                "returnMessage" => out.return_message = Some(ReturnMessage::from_usual(v)?),
                "contact" => {
                    let items = v.as_array()?;
                    out.contact = items
                        .iter()
                        .map(ContactInfo::from_usual)
                        .collect::<Option<_>>()?;
                }
                _ => {}
            }
        }
        Some(out)
    }
}

/// A tolerant string field: a string is kept, anything else reads as absent (as `lenient`).
fn usual_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// An `Option<Value>` field: `null` reads as absent.
fn usual_value(v: &Value) -> Option<Value> {
    (!v.is_null()).then(|| v.clone())
}

impl ReturnMessage {
    fn from_usual(v: &Value) -> Option<Self> {
        let mut out = Self::default();
        for (key, v) in v.as_object()? {
            match key.as_str() {
                "message" => out.message = usual_str(v),
                "messageType" => out.message_type = usual_str(v),
                "ttl" => out.ttl = v.as_u64(),
                "details" => out.details = usual_value(v),
                _ => {}
            }
        }
        Some(out)
    }
}

impl ContactInfo {
    fn from_usual(v: &Value) -> Option<Self> {
        let mut out = Self::default();
        for (key, v) in v.as_object()? {
            match key.as_str() {
                "id" => {
                    out.id = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Null => String::new(),
                        _ => return None,
                    }
                }
                "name" => out.name = usual_str(v),
                "type" => out.kind = usual_str(v),
                "phone" => out.phone = usual_str(v),
                "title" => out.title = usual_str(v),
                "company" => out.company = usual_str(v),
                "mostRecentActivityDate" => out.most_recent_activity_date = usual_str(v),
                "additionalInfo" => out.additional_info = usual_value(v),
                "isNewContact" => out.is_new_contact = v.as_bool()?,
                "defaultContactType" => out.default_contact_type = usual_str(v),
                _ => {}
            }
        }
        Some(out)
    }
}

/// `POST /contact` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct CreateContactRequest {
    pub phone_number: String,
    pub new_contact_name: String,
    /// The manual flow sends the chosen type, else the create row's `defaultContactType`, else
    /// `""` (never `null`); the automatic variant sends `null` until a type is configured.
    pub new_contact_type: Option<String>,
    #[serde(default)]
    pub additional_submission: Map<String, Value>,
}

/// `POST /contact` answer: `contact` is an object here, not a list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct CreateContactResponse {
    #[serde(default)]
    pub successful: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub return_message: Option<ReturnMessage>,
    #[serde(default, deserialize_with = "lenient")]
    pub contact: Option<ContactInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    pub phone_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[ts(export)]
pub enum Direction {
    #[default]
    Inbound,
    Outbound,
}

/// A call record as the client sends it in `logInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct LogInfo {
    pub session_id: String,
    pub id: String,
    pub direction: Direction,
    pub from: Party,
    pub to: Party,
    /// Milliseconds since the epoch.
    #[ts(type = "number")]
    pub start_time: i64,
    /// Seconds.
    #[ts(type = "number")]
    pub duration: u64,
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub custom_subject: Option<String>,
}

/// `POST /callLog` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
///
/// As extension 1.6.6 sends it: `contactId` keeps the JSON type the connector gave the id (a number
/// stays a number), and keys the client leaves `undefined` (no type, no name) are left out.
pub struct CallLogRequest {
    pub log_info: LogInfo,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    #[ts(type = "string | number | null")]
    pub contact_id: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub contact_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub additional_submission: Map<String, Value>,
    /// The user's overriding formats, as a list (`GET /contact` sends them comma-joined).
    #[serde(default)]
    pub overriding_format: Vec<String>,
}

impl CallLogRequest {
    /// The contact id as text, whatever its JSON type (`""` when absent).
    pub fn contact_id_text(&self) -> String {
        match &self.contact_id {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct CallLogResponse {
    #[serde(default)]
    pub successful: bool,
    #[serde(default, deserialize_with = "opt_id_as_string")]
    pub log_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub return_message: Option<ReturnMessage>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct LogMatch {
    #[serde(deserialize_with = "id_as_string")]
    pub session_id: String,
    #[serde(default)]
    pub matched: bool,
    #[serde(default, deserialize_with = "opt_id_as_string")]
    pub log_id: Option<String>,
}

/// `GET /callLog` answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct CallLogLookupResponse {
    #[serde(default)]
    pub successful: bool,
    #[serde(default)]
    pub logs: Vec<LogMatch>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub return_message: Option<ReturnMessage>,
}

/// `POST /apiKeyLogin` body. Built only inside the client, right before sending.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyLoginRequest {
    pub platform: String,
    pub api_key: String,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub additional_info: Map<String, Value>,
}

/// `POST /apiKeyLogin` and `GET /oauth-callback` answer.
/// Not exported to TypeScript: it carries the session token, which never reaches the web view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    #[serde(default)]
    pub jwt_token: String,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[ts(optional)]
    pub return_message: Option<ReturnMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_and_missing_keys_decode() {
        let r: FindContactResponse = serde_json::from_str(
            r#"{"successful":true,"contact":[{"id":42,"name":"Ada","type":"Lead"},{"id":"createNewContact","name":"Create new contact...","isNewContact":true}]}"#,
        )
        .unwrap();
        assert_eq!(r.contact[0].id, "42");
        assert_eq!(r.real_matches().count(), 1, "the create row is not a match");
        assert!(r.contact[1].is_create_row());
    }

    #[test]
    fn the_create_rows_default_contact_type_is_decoded() {
        let r: FindContactResponse = serde_json::from_str(
            r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact...","isNewContact":true,"defaultContactType":"lead"},{"id":"createNewContact","isNewContact":true,"defaultContactType":7}]}"#,
        )
        .unwrap();
        assert_eq!(r.contact[0].default_contact_type.as_deref(), Some("lead"));
        assert_eq!(r.contact[0].initial_contact_type(), "lead");
        assert_eq!(
            r.contact[1].default_contact_type, None,
            "a non-string reads as absent"
        );
        assert_eq!(r.contact[1].initial_contact_type(), "", "none → \"\"");
    }

    #[test]
    fn create_row_serializes_as_the_client_expects() {
        let v = serde_json::to_value(ContactInfo::create_new_row()).unwrap();
        assert_eq!(v["id"], "createNewContact");
        assert_eq!(v["isNewContact"], true);
        assert!(v["additionalInfo"].is_null());
    }

    #[test]
    fn new_contact_type_null_is_sent_as_null() {
        let v = serde_json::to_value(CreateContactRequest {
            phone_number: "+1".into(),
            new_contact_name: "n".into(),
            new_contact_type: None,
            additional_submission: Map::new(),
        })
        .unwrap();
        assert!(v["newContactType"].is_null());
    }

    /// The fields of a struct's generated TypeScript object type: (name, optional, type).
    fn ts_fields<T: TS>() -> Vec<(String, bool, String)> {
        let inline = T::inline(&ts_rs::Config::new());
        let (mut text, mut rest) = (String::new(), inline.as_str());
        while let Some(i) = rest.find("/*") {
            text.push_str(&rest[..i]);
            let end = rest[i..].find("*/").expect("closed comment");
            rest = &rest[i + end + 2..];
        }
        text.push_str(rest);
        let body = text.trim();
        let body = &body[1..body.len() - 1];
        let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
        for (i, c) in body.char_indices() {
            match c {
                '{' | '<' | '[' | '(' => depth += 1,
                '}' | '>' | ']' | ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&body[start..]);
        parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let (name, ty) = p.split_once(':').expect("name: type");
                let name = name.trim();
                let optional = name.ends_with('?');
                let name = name.trim_end_matches('?').trim_matches('"');
                (name.to_owned(), optional, ty.trim().to_owned())
            })
            .collect()
    }

    /// What serde writes for `value` fits its generated TypeScript type: every key is declared,
    /// every key left out is optional (`?`), and a `null` only where the type allows one.
    fn assert_ts_fits<T: TS + Serialize>(value: &T) {
        let json = serde_json::to_value(value).unwrap();
        let obj = json.as_object().expect("an object");
        let fields = ts_fields::<T>();
        let name = T::name(&ts_rs::Config::new());
        for key in obj.keys() {
            assert!(
                fields.iter().any(|(n, ..)| n == key),
                "{name}: `{key}` is serialized but not in the TypeScript type {fields:?}"
            );
        }
        for (field, optional, ty) in &fields {
            match obj.get(field) {
                None => assert!(*optional, "{name}: `{field}` is left out but not optional"),
                Some(Value::Null) => assert!(
                    ty == "JsonValue" || ty.split('|').any(|t| t.trim() == "null"),
                    "{name}: `{field}` is null but typed `{ty}`"
                ),
                Some(_) => {}
            }
        }
    }

    #[test]
    fn serde_output_fits_the_generated_typescript() {
        assert_ts_fits(&ReturnMessage::default());
        let mut rm = ReturnMessage::new("warning", "Careful", 0);
        rm.details = Some(serde_json::json!([{"title": "t"}]));
        assert_ts_fits(&rm);
        assert_ts_fits(&ContactInfo::default());
        assert_ts_fits(&ContactInfo::create_new_row());
        let full = ContactInfo {
            id: "1".into(),
            name: Some("Ada".into()),
            kind: Some("Lead".into()),
            phone: Some("+1".into()),
            title: Some("Dr".into()),
            company: Some("Acme".into()),
            most_recent_activity_date: Some("2024-01-01".into()),
            additional_info: Some(serde_json::json!({"matter": []})),
            is_new_contact: false,
            default_contact_type: Some("lead".into()),
        };
        let v = serde_json::to_value(&full).unwrap();
        assert_eq!(v["type"], "Lead", "`kind` is sent as `type`");
        assert_eq!(v["defaultContactType"], "lead");
        assert_ts_fits(&full);
        assert_ts_fits(&FindContactResponse {
            successful: true,
            return_message: Some(rm.clone()),
            contact: vec![full.clone()],
        });
        assert_ts_fits(&FindContactResponse::default());
        assert_ts_fits(&CreateContactResponse::default());
        assert_ts_fits(&CreateContactRequest::default());
        assert_ts_fits(&LogInfo::default());
        assert_ts_fits(&Party::default());
        assert_ts_fits(&CallLogRequest::default());
        assert_ts_fits(&CallLogResponse::default());
        assert_ts_fits(&CallLogLookupResponse::default());
        assert_ts_fits(&LogMatch::default());
        assert_ts_fits(&LoginResponse::default());
        assert_ts_fits(&crate::profile::Profile::default());
        assert_ts_fits(&crate::flow::AutoSettings::default());
        assert_ts_fits(&crate::UserError::new(crate::ErrorCode::Timeout, "slow"));
        assert_ts_fits(&crate::manifest::AdditionalField::default());
        assert_ts_fits(&crate::manifest::Environment::default());
    }

    /// Each variant's serde name is one of the generated union's string literals (acronyms such
    /// as `OAuth` are where serde's and ts-rs's renaming could drift apart).
    fn assert_variants_fit<T: TS + Serialize>(variants: &[T]) {
        let ts = T::inline(&ts_rs::Config::new());
        let literals: Vec<&str> = ts.split('|').map(|l| l.trim().trim_matches('"')).collect();
        assert_eq!(literals.len(), variants.len(), "{ts}");
        for v in variants {
            let json = serde_json::to_value(v).unwrap();
            let s = json.as_str().expect("a unit variant");
            assert!(literals.contains(&s), "`{s}` is not in {ts}");
        }
    }

    #[test]
    fn enum_names_match_serde() {
        use crate::manifest::AuthType;
        assert_variants_fit(&[AuthType::ApiKey, AuthType::OAuth, AuthType::Unknown]);
        assert_variants_fit(&[Direction::Inbound, Direction::Outbound]);
        assert_variants_fit(&[MessageSource::Server, MessageSource::Client]);
        use crate::flow::Step;
        assert_variants_fit(&[
            Step::Lookup,
            Step::Create,
            Step::Log,
            Step::Verify,
            Step::Decide,
        ]);
        use crate::flow::{MultipleContacts, UnknownContact};
        assert_variants_fit(&[
            UnknownContact::SkipLogging,
            UnknownContact::CreatePlaceholder,
        ]);
        assert_variants_fit(&[
            MultipleContacts::SkipLogging,
            MultipleContacts::FirstAlphabetical,
            MultipleContacts::MostRecentActivity,
        ]);
        use crate::lint::LintLevel;
        assert_variants_fit(&[LintLevel::Error, LintLevel::Warning]);
        use crate::check::Severity;
        assert_variants_fit(&[Severity::Error, Severity::Warning]);
    }

    /// `FindContactResponse::from_usual` gives what serde gives, or leaves the answer to serde:
    /// every field of the answer, its message and a contact is set in turn to each of a range of
    /// JSON values (and left out), alone and together with the others.
    #[test]
    fn the_usual_reading_of_a_find_answer_is_serdes() {
        use serde_json::json;
        let odd = [
            None,
            Some(json!(null)),
            Some(json!(true)),
            Some(json!(false)),
            Some(json!("text")),
            Some(json!("")),
            Some(json!(0)),
            Some(json!(5000)),
            Some(json!(-1)),
            Some(json!(1.5)),
            Some(json!(18446744073709551615u64)),
            Some(json!([])),
            Some(json!(["a", "warning", 3])),
            Some(json!({})),
            Some(json!({"a": [1, {"b": null}]})),
        ];
        let message = json!({"message": "Found", "messageType": "success", "ttl": 3000,
            "details": [{"title": "t", "items": []}], "extra": 1});
        let contact = json!({"id": "42", "name": "Ada", "type": "Lead", "phone": "+1415",
            "title": "Dr", "company": "Acme", "mostRecentActivityDate": "2024-01-01",
            "additionalInfo": {"matter": [{"const": "m", "title": "M"}]}, "isNewContact": false,
            "defaultContactType": "lead", "unknown": {"x": 1}});
        let create = json!({"id": "createNewContact", "name": "Create new contact...",
            "isNewContact": true, "additionalInfo": null});
        let answer = |c: Value| json!({"successful": true, "returnMessage": message, "contact": c});
        let mut answers = vec![
            answer(json!([contact, create])),
            answer(json!([create])),
            answer(json!([])),
            json!({}),
            answer(json!([contact, 7, create])),
            answer(json!({"id": 1})),
        ];
        let with = |base: &Value, key: &str, v: &Option<Value>| {
            let mut out = base.clone();
            let map = out.as_object_mut().unwrap();
            match v {
                Some(v) => map.insert(key.to_owned(), v.clone()),
                None => map.remove(key),
            };
            out
        };
        for v in &odd {
            for key in ["successful", "returnMessage", "contact", "other"] {
                answers.push(with(&answer(json!([contact, create])), key, v));
            }
            for key in ["message", "messageType", "ttl", "details", "other"] {
                let m = with(&message, key, v);
                answers.push(json!({"successful": true, "returnMessage": m, "contact": []}));
            }
            for key in contact.as_object().unwrap().keys() {
                answers.push(answer(json!([with(&contact, key, v), create])));
                answers.push(answer(json!([with(&create, key, v)])));
            }
            answers.push(answer(json!([v.clone().unwrap_or_default(), contact])));
        }
        let mut usual = 0;
        for a in &answers {
            let serde = FindContactResponse::deserialize(a).map_err(|e| e.to_string());
            match FindContactResponse::from_usual(a) {
                Some(fast) => {
                    usual += 1;
                    assert_eq!(Ok(fast), serde, "{a}");
                }
                // Left to serde: only answers with something out of the ordinary.
                None => assert_ne!(a, &answer(json!([contact, create])), "{a}"),
            }
        }
        assert!(usual > answers.len() / 2, "{usual} of {}", answers.len());
    }
}
