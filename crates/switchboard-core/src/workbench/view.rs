//! What a front end is sent and what it sends: plain data, camelCase, never a secret. The desktop
//! shell returns these from its commands; the CLI prints them. TypeScript types for the web view
//! are generated from these definitions (`make bindings`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Exchange;
use crate::flow::{FormValues, PlaceholderFlow};
use crate::forms::LogForm;
use crate::lint::Lint;
use crate::manifest::{AdditionalField, AuthType, Environment, Platform};
use crate::phone::{Expansion, ParsedNumber};
use crate::profile::Profile;
use crate::wire::{
    CallLogResponse, CreateContactResponse, Direction, FindContactResponse, MessageSource,
    ReturnMessage,
};
use crate::UserError;

/// Which client's behaviour Switchboard reproduces (SPEC §6–7).
pub const CLIENT_BEHAVIOUR: &str =
    "App Connect extension 1.6.6 (automatic placeholder rule from 1.7.0-beta)";

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppView {
    pub manifest: ManifestView,
    pub platform: PlatformView,
    pub server_url: String,
    pub server_overridden: bool,
    pub sandbox_url: Option<String>,
    pub session: SessionView,
    pub keychain_problem: Option<String>,
    /// The active profile's settings (no secrets).
    pub profile: Profile,
    pub profiles: Vec<ProfileSummary>,
    /// Which secrets the current server has in the keychain.
    pub stored: Stored,
    /// Why the profile's own manifest is not the one open.
    pub manifest_problem: Option<String>,
    /// Problems with the open manifest that do not stop it from being used (a bad timeout).
    pub manifest_warnings: Vec<String>,
    /// The authorize URL of an OAuth sign-in waiting for the browser.
    pub oauth_pending: Option<String>,
    /// The keychain service in use (debug and release builds differ).
    pub keychain_service: String,
    /// Colours offered for profiles.
    pub palette: Vec<String>,
    /// The client whose behaviour is reproduced.
    pub client_behaviour: String,
}

/// The window's first answer: the app view and, with it, the manifest page's call-log form preview
/// (sample contacts, none chosen, inbound), so the first page is built and painted once instead of
/// waiting for a second command (issue 14, start-up).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FirstView {
    pub view: AppView,
    /// None when there is no platform to preview; the manifest page then asks for it as usual and
    /// shows why it cannot be built.
    pub preview: Option<LogForm>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileSummary {
    pub id: String,
    pub name: String,
    pub colour: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ManifestView {
    pub source: String,
    pub version: Option<String>,
    pub server_url: Option<String>,
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PlatformView {
    pub name: String,
    pub display_name: String,
    pub auth_type: AuthType,
    pub contact_types: Vec<ContactTypeView>,
    pub login_page: Option<LoginPageView>,
    pub environment: Option<Environment>,
    pub call_log_fields: Vec<AdditionalField>,
    pub new_contact_fields: Vec<AdditionalField>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ContactTypeView {
    pub display: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LoginPageView {
    pub title: Option<String>,
    pub warning: Option<String>,
    pub fields: Vec<LoginFieldView>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LoginFieldView {
    pub key: String,
    pub title: String,
    pub required: bool,
    pub description: Option<String>,
    /// A non-secret default the form may prefill.
    pub default_value: Option<String>,
    pub is_button: bool,
    pub hidden: bool,
}

/// The session for the server and platform in use.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SessionView {
    pub signed_in: bool,
    pub user_name: Option<String>,
    /// Where a session would be used, as a person reads it: `sandbox at http://127.0.0.1:6066`.
    pub server: String,
    /// The comparable origin the session is bound to (changes when the server does).
    pub origin: String,
}

/// Which secrets the current server has in the keychain (never the secrets themselves).
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Stored {
    pub session: bool,
    /// The login page fields (by `const`) with a stored value.
    pub login_fields: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignInView {
    pub user_name: Option<String>,
    pub return_message: Option<ReturnMessage>,
    /// Where the session is bound.
    pub server: String,
}

/// A phone number as the person typed it, with their phone settings.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PhoneInput {
    pub input: String,
    pub region: Option<String>,
    #[serde(default)]
    pub formats: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PhoneView {
    pub number: ParsedNumber,
    pub expansions: Vec<Expansion>,
    /// The `overridingFormat` query value as the client sends it.
    pub overriding_format: String,
    /// The same formats as a list, as `POST /callLog` sends them.
    pub formats: Vec<String>,
    /// Why the number may not be sent (neither valid, nor of a possible length, nor a short extension), as every action that
    /// reaches a connector refuses it; none when it may.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LookupView {
    pub phone: PhoneView,
    pub response: Option<FindContactResponse>,
    pub error: Option<UserError>,
    /// The toast the real client shows for this answer: the server's `returnMessage`, or the
    /// client's own "No contact found" when the answer has no `contact` key.
    pub return_message: Option<ReturnMessage>,
    /// Who made that message: the server or the client itself.
    pub message_source: Option<MessageSource>,
    pub exchange: Exchange,
    /// Connector behaviour that breaks or changes what the real client shows.
    pub lints: Vec<Lint>,
}

/// A name search from the client's "Search contacts" row.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SearchView {
    pub name: String,
    pub response: Option<FindContactResponse>,
    pub error: Option<UserError>,
    pub exchange: Exchange,
    pub lints: Vec<Lint>,
}

/// A single create or log call (the CLI's `create` and `log`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallView<T> {
    pub response: T,
    pub exchange: Exchange,
    pub lints: Vec<Lint>,
}

pub type CreateView = CallView<CreateContactResponse>;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogView {
    pub session_id: String,
    #[serde(flatten)]
    pub call: CallView<CallLogResponse>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FlowView {
    pub phone: PhoneView,
    pub flow: PlaceholderFlow,
    /// Why the last step failed, if it did.
    pub error: Option<UserError>,
    /// The activity titles the client fills in for the flow's contact.
    pub subjects: Option<Subjects>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Subjects {
    pub inbound: String,
    pub outbound: String,
}

/// The manual flow's one Save with the create row chosen: the typed name, the picked type (none
/// or `""`: never touched) and the call with form values by `const`: every one (the window), or
/// only overrides on the form's starting values (`formValues: "overDefaults"`).
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SaveInput {
    pub name: String,
    pub contact_type: Option<String>,
    pub call: CallInput,
    /// How `call.additionalSubmission` reads; absent means `complete`.
    #[serde(default)]
    pub form_values: FormValues,
}

/// The simulated call a person describes in the log form.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CallInput {
    pub direction: Direction,
    pub caller_name: Option<String>,
    #[ts(type = "number")]
    pub duration_s: u64,
    pub note: String,
    pub subject: Option<String>,
    /// Minutes before now the call started.
    #[serde(default)]
    #[ts(type = "number")]
    pub started_minutes_ago: u64,
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub additional_submission: Map<String, Value>,
    /// The call's session id; a new one when absent.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// What the automatic variant would send as the placeholder's name.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AutoPreview {
    pub name: String,
    pub e164: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OAuthStartView {
    pub authorize_url: String,
    pub redirect_uri: String,
    /// True when the listener waits for the browser; false when the person pastes the URL.
    pub listening: bool,
    /// Why the system browser could not be opened (the URL can be copied instead).
    pub browser_error: Option<String>,
}

/// What the window hears when a loopback sign-in ends.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OAuthFinished {
    pub user_name: Option<String>,
    pub error: Option<UserError>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ForgottenView {
    pub deleted: u32,
    pub view: AppView,
}

/// The settings edited in the profile form; absent ones stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileEdit {
    #[ts(optional)]
    pub name: Option<String>,
    #[ts(optional)]
    pub colour: Option<String>,
    #[ts(optional)]
    pub region: Option<String>,
    #[ts(optional)]
    pub formats: Option<Vec<String>>,
    /// `""` clears the environment choice.
    #[ts(optional)]
    pub hostname: Option<String>,
    #[ts(optional)]
    pub agent_number: Option<String>,
    #[ts(optional)]
    pub max_body_mib: Option<u32>,
}

/// One exchange in the history, with the connector lints it raised and a redacted curl command.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Recorded {
    #[serde(flatten)]
    pub exchange: Exchange,
    pub lints: Vec<Lint>,
    pub curl: String,
    /// Where it was made; `None` for history kept by a version that did not record it.
    pub context: Option<RequestContext>,
}

impl Recorded {
    pub fn new(
        exchange: Exchange,
        platform: Option<&crate::manifest::Platform>,
        context: Option<RequestContext>,
    ) -> Self {
        Self {
            lints: crate::lint::for_exchange(&exchange, platform),
            curl: exchange.to_curl(),
            exchange,
            context,
        }
    }
}

/// Where a request was made: the profile, manifest and platform in use and the server it went to
/// (no secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestContext {
    pub profile: String,
    pub manifest: String,
    pub platform: String,
    pub server: String,
}

/// A history entry as the history file keeps it (redacted; lints are recomputed on load). Files
/// written before contexts were kept hold bare exchanges, which read as entries with none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryEntry {
    #[serde(flatten)]
    pub exchange: Exchange,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<RequestContext>,
}

impl HistoryEntry {
    pub(crate) fn of(r: &Recorded) -> Self {
        Self {
            exchange: r.exchange.clone(),
            context: r.context.clone(),
        }
    }
}

pub(crate) fn platform_view(name: &str, p: &Platform) -> PlatformView {
    let page = p
        .auth
        .as_ref()
        .and_then(|a| a.api_key.as_ref())
        .and_then(|k| k.page.as_ref());
    PlatformView {
        name: name.to_owned(),
        display_name: p.display_name.clone().unwrap_or_else(|| name.to_owned()),
        auth_type: p.auth_type(),
        contact_types: p
            .usable_contact_types()
            .map(|(d, v)| ContactTypeView {
                display: d.to_owned(),
                value: v.to_owned(),
            })
            .collect(),
        login_page: page.map(|page| LoginPageView {
            title: page.title.clone(),
            warning: page.warning.clone(),
            fields: page
                .content
                .iter()
                .map(|f| LoginFieldView {
                    key: f.key.clone(),
                    title: f.title.clone().unwrap_or_else(|| f.key.clone()),
                    required: f.required,
                    description: f.description.clone(),
                    // A default for the API key itself would be a secret in a manifest; never prefill it.
                    default_value: if f.key == "apiKey" {
                        None
                    } else {
                        f.default_value
                            .as_ref()
                            .and_then(|d| d.as_str())
                            .map(str::to_owned)
                    },
                    is_button: f.is_button(),
                    hidden: f.hidden,
                })
                .collect(),
        }),
        environment: p.environment.clone(),
        call_log_fields: p.call_log_fields().to_vec(),
        new_contact_fields: p.new_contact_fields().to_vec(),
    }
}

/// What a number of the sandbox shows when looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum SandboxNumberKind {
    /// Two contacts share it: the client lists both.
    Shared,
    /// Stored only in a local format: found only with an overriding format.
    FormatOnly,
    /// A short extension, sent with `isExtension=true`.
    Extension,
    /// No contact has it: the client offers to create one.
    Unknown,
}

/// A number of the sandbox's fake CRM worth trying, taken from its data.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SandboxNumber {
    pub kind: SandboxNumberKind,
    /// What to type in the lookup.
    pub number: String,
    /// The overriding format the lookup needs to find it, if any.
    pub format: Option<String>,
    /// The names of the contacts it finds.
    pub contacts: Vec<String>,
    /// What it shows, in a sentence.
    pub note: String,
}
