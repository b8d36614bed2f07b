//! The App Connect manifest: a typed view of the fields Switchboard uses (SPEC §5), loaded from a
//! file, an http(s) URL or the bundled sandbox sample.
//!
//! Loading is deliberately tolerant: unknown keys are ignored and a field of the wrong type reads as
//! absent, so one odd field never stops a person from previewing the rest. Only invalid JSON and a
//! manifest with no usable platform are load errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::error::{ErrorCode, UserError};

/// The manifest that describes the bundled sandbox connector.
pub const SANDBOX_MANIFEST: &str = include_str!("../../../manifests/sandbox.json");
/// How the bundled manifest is named wherever a source is shown.
pub const SANDBOX_SOURCE: &str = "bundled:sandbox";

/// Reads a field as `Some(T)` when it has the expected shape, `None` otherwise.
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// Reads a list, keeping the items that have the expected shape.
fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// `lenient_list` that keeps a missing key apart (with `#[serde(default)]`: `None`).
fn lenient_list_opt<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    lenient_list(d).map(Some)
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(matches!(v, Value::Bool(true)) || v.as_str() == Some("true"))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    #[serde(default, deserialize_with = "lenient")]
    pub server_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub redirect_uri: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub author: Option<Author>,
    #[serde(default, deserialize_with = "lenient")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "lenient_platforms")]
    pub platforms: IndexMap<String, Platform>,
}

fn lenient_platforms<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Platform>, D::Error> {
    let v = Value::deserialize(d)?;
    let mut out = IndexMap::new();
    if let Value::Object(map) = v {
        for (key, value) in map {
            if let Ok(p) = serde_json::from_value::<Platform>(value) {
                out.insert(key, p);
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Author {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub website_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub logo_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub documentation_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub auth: Option<Auth>,
    #[serde(default, deserialize_with = "lenient")]
    pub environment: Option<Environment>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub contact_types: Vec<ContactType>,
    #[serde(default, deserialize_with = "lenient")]
    pub contact_page_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub log_page_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub page: Option<Pages>,
    #[serde(default, deserialize_with = "lenient")]
    pub request_config: Option<RequestConfig>,
    /// Changes the client applies when it loads the manifest (SPEC §5): by CRM hostname, or always
    /// (`meta`).
    #[serde(
        rename = "override",
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub overrides: Vec<Override>,
}

/// One item of a platform's `override` list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Override {
    #[serde(default, deserialize_with = "lenient")]
    pub trigger_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub trigger_value: Option<String>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub override_objects: Vec<OverrideObject>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OverrideObject {
    pub path: String,
    #[serde(default)]
    pub value: Value,
}

/// Sets `value` at a dot path, making objects on the way as the client does (an existing object
/// or list is kept; anything else is replaced by an object).
fn set_path(target: &mut Value, path: &str, value: Value) {
    let mut keys: Vec<&str> = path.split('.').collect();
    let Some(last) = keys.pop() else {
        return;
    };
    let mut current = target;
    for key in keys {
        let Value::Object(map) = current else {
            return;
        };
        let next = map.entry(key.to_owned()).or_insert(Value::Null);
        if !next.is_object() && !next.is_array() {
            *next = Value::Object(serde_json::Map::new());
        }
        current = next;
    }
    if let Value::Object(map) = current {
        map.insert(last.to_owned(), value);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum AuthType {
    ApiKey,
    #[serde(rename = "oauth")]
    OAuth,
    Unknown,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub api_key: Option<ApiKeyAuth>,
    #[serde(default, deserialize_with = "lenient")]
    pub oauth: Option<OAuth>,
}

impl Auth {
    pub fn auth_type(&self) -> AuthType {
        match self.kind.as_deref() {
            Some("apiKey") => AuthType::ApiKey,
            Some("oauth") => AuthType::OAuth,
            _ => AuthType::Unknown,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyAuth {
    #[serde(default, deserialize_with = "lenient")]
    pub page: Option<AuthPage>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthPage {
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub warning: Option<String>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub content: Vec<AuthField>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthField {
    #[serde(rename = "const")]
    pub key: String,
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub required: bool,
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    #[serde(default)]
    pub default_value: Option<Value>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub hidden: bool,
    /// Fields rendered as buttons (`uiSchema["ui:field"] == "button"`) carry no value.
    #[serde(default)]
    pub ui_schema: Option<Value>,
}

impl AuthField {
    pub fn is_button(&self) -> bool {
        self.ui_schema
            .as_ref()
            .and_then(|u| u.get("ui:field"))
            .and_then(Value::as_str)
            == Some("button")
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OAuth {
    #[serde(default, deserialize_with = "lenient")]
    pub auth_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub scope: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub custom_state: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub redirect_uri: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub url_identifier: Option<String>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub instructions: Vec<String>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub selections: Vec<EnvironmentChoice>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentChoice {
    #[serde(rename = "const")]
    pub url: String,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}

/// One option of the "Contact type" dropdown: shown as `display`, submitted as `value`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContactType {
    #[serde(default, deserialize_with = "lenient")]
    pub display: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Pages {
    #[serde(default, deserialize_with = "lenient")]
    pub call_log: Option<FieldSet>,
    #[serde(default, deserialize_with = "lenient")]
    pub message_log: Option<FieldSet>,
    #[serde(default, deserialize_with = "lenient")]
    pub new_contact: Option<FieldSet>,
    /// The client adds its own "Search contacts" row to the contact list (SPEC §6).
    #[serde(default, deserialize_with = "lenient_bool")]
    pub use_contact_search: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FieldSet {
    /// `None` when the key is missing: extension 1.6.6 then throws concatenating to it (SPEC §6).
    #[serde(default, deserialize_with = "lenient_list_opt")]
    pub additional_fields: Option<Vec<AdditionalField>>,
}

/// A field of the call-log, message-log or new-contact form.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalField {
    #[serde(rename = "const")]
    pub key: String,
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// `selection`, `checkbox`, `inputField` or `warning`.
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub contact_dependent: bool,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub contact_type_dependent: bool,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub required: bool,
    #[serde(default)]
    pub default_value: Option<Value>,
    #[serde(default, deserialize_with = "lenient")]
    pub pattern: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// `false` removes the "None" option the client otherwise appends to a selection.
    #[serde(default, deserialize_with = "lenient")]
    pub include_none_option: Option<bool>,
    /// Static options some manifests give a non-contact-dependent selection.
    #[serde(default, deserialize_with = "lenient_list")]
    pub options: Vec<FieldOption>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct FieldOption {
    #[serde(rename = "const")]
    pub value: Value,
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestConfig {
    /// Seconds.
    #[serde(default, deserialize_with = "lenient")]
    pub timeout: Option<f64>,
}

/// The client's request timeout when the manifest sets none (extension 1.6.6).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longer than any connector should take; larger values are taken for mistakes.
pub const MAX_REQUEST_TIMEOUT_S: f64 = 3600.0;

/// Why a `requestConfig.timeout` of `t` seconds cannot be meant (not positive, not finite, over an
/// hour), or `None` when it is usable (then `Duration::from_secs_f64(t)` cannot panic).
pub fn timeout_problem(t: f64) -> Option<String> {
    if !t.is_finite() || t <= 0.0 {
        Some(format!(
            "requestConfig.timeout is {t}; it must be a positive number of seconds."
        ))
    } else if t > MAX_REQUEST_TIMEOUT_S {
        // Only suggest milliseconds-by-mistake when the value read as milliseconds is plausible.
        let hint = if t / 1000.0 <= MAX_REQUEST_TIMEOUT_S {
            format!(
                " It is in seconds, not milliseconds: did you mean {}?",
                (t / 1000.0).round().max(1.0)
            )
        } else {
            " It is in seconds; use a value of at most 3600.".to_owned()
        };
        Some(format!(
            "requestConfig.timeout is {t} seconds (over an hour).{hint}"
        ))
    } else {
        None
    }
}

impl Platform {
    /// The request timeout the client uses: `requestConfig.timeout` seconds, else 30 s. A value
    /// that cannot be meant (not positive, not finite, over an hour: often milliseconds by
    /// mistake) falls back to 30 s, with the reason to show.
    pub fn request_timeout(&self) -> (Duration, Option<String>) {
        let Some(t) = self.request_config.as_ref().and_then(|r| r.timeout) else {
            return (DEFAULT_REQUEST_TIMEOUT, None);
        };
        let Some(problem) = timeout_problem(t) else {
            return (Duration::from_secs_f64(t), None);
        };
        (
            DEFAULT_REQUEST_TIMEOUT,
            Some(format!(
                "{problem} Switchboard uses the client's default of 30 s."
            )),
        )
    }

    pub fn auth_type(&self) -> AuthType {
        self.auth
            .as_ref()
            .map(Auth::auth_type)
            .unwrap_or(AuthType::Unknown)
    }

    /// The fields of the API-key login page, in manifest order.
    pub fn api_key_fields(&self) -> &[AuthField] {
        self.auth
            .as_ref()
            .and_then(|a| a.api_key.as_ref())
            .and_then(|k| k.page.as_ref())
            .map(|p| p.content.as_slice())
            .unwrap_or(&[])
    }

    pub fn call_log_fields(&self) -> &[AdditionalField] {
        self.page
            .as_ref()
            .and_then(|p| p.call_log.as_ref())
            .and_then(|f| f.additional_fields.as_deref())
            .unwrap_or(&[])
    }

    pub fn message_log_fields(&self) -> &[AdditionalField] {
        self.page
            .as_ref()
            .and_then(|p| p.message_log.as_ref())
            .and_then(|f| f.additional_fields.as_deref())
            .unwrap_or(&[])
    }

    pub fn new_contact_fields(&self) -> &[AdditionalField] {
        self.page
            .as_ref()
            .and_then(|p| p.new_contact.as_ref())
            .and_then(|f| f.additional_fields.as_deref())
            .unwrap_or(&[])
    }

    /// Contact types usable in the dropdown (both `display` and `value` present).
    pub fn usable_contact_types(&self) -> impl Iterator<Item = (&str, &str)> {
        self.contact_types
            .iter()
            .filter_map(|t| Some((t.display.as_deref()?, t.value.as_deref()?)))
    }
}

/// Where a manifest came from, as a person typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestSource {
    Bundled,
    File(PathBuf),
    Url(url::Url),
}

impl ManifestSource {
    /// `bundled:sandbox`, an `http(s)://` URL, or a file path.
    pub fn parse(text: &str) -> Self {
        let t = text.trim();
        if t == SANDBOX_SOURCE || t == "sandbox" {
            return Self::Bundled;
        }
        if t.starts_with("http://") || t.starts_with("https://") {
            if let Ok(u) = url::Url::parse(t) {
                return Self::Url(u);
            }
        }
        Self::File(PathBuf::from(t))
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Bundled => SANDBOX_SOURCE.to_owned(),
            Self::File(p) => p.display().to_string(),
            Self::Url(u) => u.to_string(),
        }
    }
}

/// A manifest with the text it was parsed from (kept for the checker and the raw view).
#[derive(Debug, Clone)]
pub struct LoadedManifest {
    pub source: String,
    pub text: String,
    pub manifest: Manifest,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("Could not read the manifest file {path}: {reason}. Check the path and that the file is readable.")]
    Read { path: String, reason: String },
    #[error("Could not download the manifest from {url}: {reason}. Check the URL and that the server is running.")]
    Fetch { url: String, reason: String },
    #[error(
        "The manifest at {url} answered HTTP {status}; expected 200 with JSON. Check the URL."
    )]
    HttpStatus { url: String, status: u16 },
    #[error("The manifest is not valid JSON at line {line}, column {column}: {reason}. Fix the JSON and reload.")]
    Json {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("The manifest's top level must be a JSON object with a \"platforms\" object; found {found}.")]
    NotAnObject { found: &'static str },
    #[error("The manifest has no platforms. Add a \"platforms\" object with at least one platform keyed by its name.")]
    NoPlatforms,
    #[error("The manifest has no platform named \"{wanted}\". It has: {available}.")]
    UnknownPlatform { wanted: String, available: String },
    #[error("The manifest {source_name} is {size}; Switchboard reads manifests of up to {limit} ({MAX_MANIFEST_BYTES} bytes). Check that it is the right file: real manifests are a few hundred KB at most.", limit = describe_size(MAX_MANIFEST_BYTES as u64))]
    TooLarge {
        source_name: String,
        /// As shown: "12.0 MiB (12582912 bytes)", or "over 8 MiB" when a download was cut off.
        size: String,
    },
}

impl From<ManifestError> for UserError {
    fn from(e: ManifestError) -> Self {
        UserError::new(ErrorCode::ManifestInvalid, e.to_string())
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses manifest text. Fails only on invalid JSON, a non-object top level, or no platforms.
pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ManifestError::Json {
        line: e.line(),
        column: e.column(),
        reason: e
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or("")
            .to_owned(),
    })?;
    if !value.is_object() {
        return Err(ManifestError::NotAnObject {
            found: json_kind(&value),
        });
    }
    // `lenient` fields never fail, so this only fails on a non-object, already handled above.
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| ManifestError::Json {
        line: 0,
        column: 0,
        reason: e.to_string(),
    })?;
    if manifest.platforms.is_empty() {
        return Err(ManifestError::NoPlatforms);
    }
    Ok(manifest)
}

impl Manifest {
    /// The named platform, or the first one when no name is given.
    pub fn platform(&self, name: Option<&str>) -> Result<(&str, &Platform), ManifestError> {
        match name {
            Some(wanted) => self
                .platforms
                .get_key_value(wanted)
                .map(|(k, p)| (k.as_str(), p))
                .ok_or_else(|| ManifestError::UnknownPlatform {
                    wanted: wanted.to_owned(),
                    available: self.platform_names().join(", "),
                }),
            None => self
                .platforms
                .first()
                .map(|(k, p)| (k.as_str(), p))
                .ok_or(ManifestError::NoPlatforms),
        }
    }

    pub fn platform_names(&self) -> Vec<String> {
        self.platforms.keys().cloned().collect()
    }

    /// The manifest as the client uses it once loaded (extension 1.6.6): the chosen platform's
    /// `override` items applied, `meta` ones to the whole manifest and `hostname` ones (when their
    /// `triggerValue` is the user's CRM hostname) inside the platform. Also says what changed.
    pub fn with_overrides(
        &self,
        platform: &str,
        hostname: Option<&str>,
    ) -> (Manifest, Vec<String>) {
        let unchanged = || (self.clone(), Vec::new());
        let Some(p) = self.platforms.get(platform) else {
            return unchanged();
        };
        if p.overrides.is_empty() {
            return unchanged();
        }
        let Ok(mut whole) = serde_json::to_value(self) else {
            return unchanged();
        };
        let mut applied = Vec::new();
        for item in &p.overrides {
            match item.trigger_type.as_deref() {
                Some("meta") => {
                    for o in &item.override_objects {
                        set_path(&mut whole, &o.path, o.value.clone());
                        applied.push(o.path.clone());
                    }
                }
                Some("hostname")
                    if item.trigger_value.is_some()
                        && item.trigger_value.as_deref() == hostname =>
                {
                    for o in &item.override_objects {
                        if let Some(target) = whole
                            .get_mut("platforms")
                            .and_then(|ps| ps.get_mut(platform))
                        {
                            set_path(target, &o.path, o.value.clone());
                            applied.push(format!("platforms.{platform}.{}", o.path));
                        }
                    }
                }
                _ => {}
            }
        }
        match serde_json::from_value::<Manifest>(whole) {
            Ok(m) => (m, applied),
            Err(_) => unchanged(),
        }
    }
}

/// The largest manifest Switchboard reads or checks, in bytes (8 MiB). Real manifests are a few to a
/// few hundred KB; anything far larger is the wrong file, and is refused before it is parsed.
pub const MAX_MANIFEST_BYTES: usize = 8 * 1024 * 1024;

/// A size for people: "812 bytes", "3.5 KiB", "12.0 MiB" ("8 MiB" when exact).
pub fn describe_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let (unit, name) = match bytes {
        b if b >= MIB => (MIB, "MiB"),
        b if b >= KIB => (KIB, "KiB"),
        b => return format!("{b} byte{}", if b == 1 { "" } else { "s" }),
    };
    if bytes.is_multiple_of(unit) {
        format!("{} {name}", bytes / unit)
    } else {
        format!("{:.1} {name}", bytes as f64 / unit as f64)
    }
}

fn too_large(source: String, size: Option<u64>) -> ManifestError {
    ManifestError::TooLarge {
        source_name: source,
        size: match size {
            Some(n) => format!("{} ({n} bytes)", describe_size(n)),
            None => format!(
                "over {} (reading stopped there)",
                describe_size(MAX_MANIFEST_BYTES as u64)
            ),
        },
    }
}

/// How long a manifest download may take before it is abandoned.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// Loads a manifest from wherever `source` points.
#[tracing::instrument(skip_all, fields(source = %source.describe()))]
pub async fn load(source: &ManifestSource) -> Result<LoadedManifest, ManifestError> {
    let text = read_text(source).await?;
    let manifest = parse(&text)?;
    Ok(LoadedManifest {
        source: source.describe(),
        text,
        manifest,
    })
}

/// The manifest's text, unparsed (the checker reports invalid JSON itself, with its position).
/// Text over [`MAX_MANIFEST_BYTES`] is refused; a download stops reading at the limit.
pub async fn read_text(source: &ManifestSource) -> Result<String, ManifestError> {
    match source {
        ManifestSource::Bundled => Ok(SANDBOX_MANIFEST.to_owned()),
        ManifestSource::File(path) => read_file(path),
        ManifestSource::Url(url) => fetch(url).await,
    }
}

fn read_file(path: &Path) -> Result<String, ManifestError> {
    use std::io::Read;
    let err = |e: std::io::Error| ManifestError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(err)?;
    let size = file.metadata().map_err(err)?.len();
    if size > MAX_MANIFEST_BYTES as u64 {
        return Err(too_large(path.display().to_string(), Some(size)));
    }
    // The size can change while reading (and is 0 for pipes): never read past the limit.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_MANIFEST_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(too_large(path.display().to_string(), None));
    }
    String::from_utf8(bytes).map_err(|_| {
        err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// The `charset` parameter of a Content-Type header, if any.
fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

async fn fetch(url: &url::Url) -> Result<String, ManifestError> {
    let http = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| ManifestError::Fetch {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
    let mut resp = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| ManifestError::Fetch {
            url: url.to_string(),
            reason: if e.is_timeout() {
                format!("no answer within {} s", FETCH_TIMEOUT.as_secs())
            } else {
                crate::client::describe_transport_error(&e)
            },
        })?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(ManifestError::HttpStatus {
            url: url.to_string(),
            status,
        });
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_MANIFEST_BYTES as u64)
    {
        return Err(too_large(url.to_string(), resp.content_length()));
    }
    // Decoded as reqwest's `text()` does (charset from Content-Type, else UTF-8; BOM removed), but
    // read chunk by chunk so that a huge or endless body stops at the limit.
    let encoding = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(charset)
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| ManifestError::Fetch {
        url: url.to_string(),
        reason: if e.is_timeout() {
            format!("no answer within {} s", FETCH_TIMEOUT.as_secs())
        } else {
            e.to_string()
        },
    })? {
        if body.len() + chunk.len() > MAX_MANIFEST_BYTES {
            return Err(too_large(url.to_string(), None));
        }
        body.extend_from_slice(&chunk);
    }
    let (text, _, _) = encoding.decode(&body);
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_manifest_describes_an_api_key_sandbox_with_contact_types() {
        let m = parse(SANDBOX_MANIFEST).expect("the bundled manifest must parse");
        let (name, p) = m.platform(None).unwrap();
        assert_eq!(name, "sandbox");
        assert_eq!(p.auth_type(), AuthType::ApiKey);
        assert!(p.usable_contact_types().count() >= 2);
        assert!(
            p.call_log_fields()
                .iter()
                .any(|f| f.contact_dependent && f.kind.as_deref() == Some("selection")),
            "the sandbox must exercise a contact-dependent selection field"
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_do_not_stop_loading() {
        let m = parse(
            r#"{"serverUrl": 42, "surprise": {"a": 1},
                "platforms": {"x": {"name": "x", "contactTypes": [{"id": 1, "name": "Lead"}, {"display": "P", "value": "p"}],
                                    "auth": {"type": "apiKey", "weird": true}, "page": "nope"}}}"#,
        )
        .unwrap();
        assert_eq!(m.server_url, None, "a number is not a server URL");
        let (_, p) = m.platform(Some("x")).unwrap();
        assert_eq!(p.contact_types.len(), 2);
        assert_eq!(
            p.usable_contact_types().collect::<Vec<_>>(),
            vec![("P", "p")]
        );
        assert!(p.page.is_none());
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let err = parse("{\n  \"platforms\": {,\n}").unwrap_err();
        match err {
            ManifestError::Json { line, column, .. } => assert_eq!((line, column), (2, 17)),
            other => panic!("expected a JSON error, got {other:?}"),
        }
    }

    #[test]
    fn no_platforms_and_non_objects_are_refused_with_a_fix() {
        assert!(matches!(parse("{}"), Err(ManifestError::NoPlatforms)));
        assert!(matches!(
            parse("[1]"),
            Err(ManifestError::NotAnObject { found: "an array" })
        ));
        assert!(ManifestError::NoPlatforms.to_string().contains("Add a"));
    }

    #[test]
    fn unknown_platform_lists_the_ones_that_exist() {
        let m = parse(SANDBOX_MANIFEST).unwrap();
        let e = m.platform(Some("nope")).unwrap_err().to_string();
        assert!(e.contains("\"nope\"") && e.contains("sandbox"), "{e}");
    }

    fn with_timeout(timeout: Value) -> Platform {
        let text = serde_json::json!({"platforms": {"x": {"name": "x", "requestConfig": {"timeout": timeout}}}})
            .to_string();
        parse(&text).unwrap().platforms["x"].clone()
    }

    #[test]
    fn request_timeout_never_panics_and_explains_values_it_cannot_use() {
        use serde_json::json;
        let secs = |t: Value| with_timeout(t).request_timeout();
        assert_eq!(secs(json!(5)), (Duration::from_secs(5), None));
        assert_eq!(secs(json!(0.5)), (Duration::from_millis(500), None));
        assert_eq!(secs(json!(3600)), (Duration::from_secs(3600), None));
        for (bad, says) in [
            (json!(30000), "did you mean 30?"),
            (json!(1e20), "use a value of at most 3600"),
            (json!(f64::MAX), "over an hour"),
            (json!(-1), "must be a positive number"),
            (json!(0), "must be a positive number"),
            (json!(-1e300), "must be a positive number"),
        ] {
            let (timeout, problem) = secs(bad.clone());
            assert_eq!(timeout, DEFAULT_REQUEST_TIMEOUT, "{bad}");
            let problem = problem.unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem}");
        }
        // Dropped by the tolerant reading (the checker names them): the default, silently.
        for dropped in [
            json!("5"),
            json!(null),
            json!([5]),
            json!({"s": 5}),
            json!(true),
        ] {
            assert_eq!(
                secs(dropped.clone()),
                (DEFAULT_REQUEST_TIMEOUT, None),
                "{dropped}"
            );
        }
        // A number too large for f64 is invalid JSON, not a panic.
        let text = r#"{"platforms": {"x": {"name": "x", "requestConfig": {"timeout": 1e400}}}}"#;
        assert!(matches!(parse(text), Err(ManifestError::Json { .. })));
    }

    #[test]
    fn sizes_are_described_for_people() {
        assert_eq!(describe_size(1), "1 byte");
        assert_eq!(describe_size(812), "812 bytes");
        assert_eq!(describe_size(3584), "3.5 KiB");
        assert_eq!(describe_size(MAX_MANIFEST_BYTES as u64), "8 MiB");
        assert_eq!(describe_size(12_900_000), "12.3 MiB");
    }

    #[tokio::test]
    async fn a_file_over_the_limit_is_refused_with_its_size_and_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.json");
        // Sparse: 9 MiB that take no disk space.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(9 * 1024 * 1024)
            .unwrap();
        let source = ManifestSource::File(path.clone());
        for e in [
            read_text(&source).await.unwrap_err(),
            load(&source).await.unwrap_err(),
        ] {
            assert!(matches!(e, ManifestError::TooLarge { .. }), "{e:?}");
            let message = e.to_string();
            assert!(
                message.contains("9 MiB (9437184 bytes)")
                    && message.contains("up to 8 MiB (8388608 bytes)"),
                "{message}"
            );
        }
        // At the limit exactly it is read (and then judged as JSON).
        let at = dir.path().join("at.json");
        let mut text = String::from("{\"platforms\": {\"x\": {\"name\": \"x\"}}}");
        text.push_str(&" ".repeat(MAX_MANIFEST_BYTES - text.len()));
        std::fs::write(&at, &text).unwrap();
        let loaded = load(&ManifestSource::File(at)).await.unwrap();
        assert_eq!(loaded.text.len(), MAX_MANIFEST_BYTES);
    }

    /// Serves one HTTP answer on loopback: `head` (status line and headers), then `body` until it
    /// is done or the client hangs up.
    fn serve_once(
        head: &'static str,
        body: impl FnOnce(&mut std::net::TcpStream) + Send + 'static,
    ) -> url::Url {
        use std::io::{BufRead, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            if stream.write_all(head.as_bytes()).is_ok() {
                body(&mut stream);
            }
        });
        url::Url::parse(&format!("http://{addr}/manifest.json")).unwrap()
    }

    #[tokio::test]
    async fn a_download_over_the_limit_is_refused_without_reading_it_all() {
        use std::io::Write;
        // Announced too large: refused on the header.
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 9437184\r\n\r\n",
            |_| {},
        );
        let e = read_text(&ManifestSource::Url(url)).await.unwrap_err();
        assert!(e.to_string().contains("9 MiB (9437184 bytes)"), "{e}");
        // Not announced (chunked, endless): reading stops at the limit.
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            |stream| {
                let chunk = vec![b' '; 64 * 1024];
                // Bounded: 32 MiB at most, or until the client hangs up.
                for _ in 0..512 {
                    let sent = write!(stream, "{:x}\r\n", chunk.len())
                        .and_then(|()| stream.write_all(&chunk))
                        .and_then(|()| stream.write_all(b"\r\n"));
                    if sent.is_err() {
                        return;
                    }
                }
            },
        );
        let e = load(&ManifestSource::Url(url)).await.unwrap_err();
        assert!(matches!(e, ManifestError::TooLarge { .. }), "{e:?}");
        assert!(e.to_string().contains("over 8 MiB"), "{e}");
    }

    #[tokio::test]
    async fn a_download_is_decoded_by_its_charset_without_a_bom() {
        use std::io::Write;
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=\"ISO-8859-1\"\r\ncontent-length: 58\r\n\r\n",
            |stream| {
                let _ = stream.write_all(b"{\"platforms\": {\"x\": {\"name\": \"x\", \"displayName\": \"Caf\xe9\"}}}");
            },
        );
        let loaded = load(&ManifestSource::Url(url)).await.unwrap();
        assert_eq!(
            loaded.manifest.platforms["x"].display_name.as_deref(),
            Some("Café")
        );
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 38\r\n\r\n",
            |stream| {
                let _ =
                    stream.write_all(b"\xef\xbb\xbf{\"platforms\": {\"x\": {\"name\": \"x\"}}}");
            },
        );
        assert!(
            load(&ManifestSource::Url(url)).await.is_ok(),
            "a UTF-8 BOM is removed"
        );
    }

    #[test]
    fn sources_are_told_apart() {
        assert_eq!(
            ManifestSource::parse("bundled:sandbox"),
            ManifestSource::Bundled
        );
        assert!(matches!(
            ManifestSource::parse("https://x.test/m.json"),
            ManifestSource::Url(_)
        ));
        assert!(matches!(
            ManifestSource::parse("./m.json"),
            ManifestSource::File(_)
        ));
    }
}
