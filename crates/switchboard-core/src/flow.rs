//! The create-placeholder-contact flow (SPEC §6–§8, seed 002) as a small state machine, following
//! App Connect extension 1.6.6: lookup → (no real match) → the log form's one Save (create with
//! name + type, then log the call against the new id) → re-lookup and `GET /callLog` to verify.
//! The automatic variant (1.7.0-beta) decides by itself after the lookup: create and log, log
//! against a match, or skip.
//!
//! Each step records its exchange, so a person sees every request, and the toast the client would
//! show. A failed step leaves the state where it was (a failed create logs nothing) and says why.

use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::client::{AppConnectClient, ClientError, Exchange};
use crate::error::{ErrorCode, UserError};
use crate::forms;
use crate::lint::{self, Lint, LintLevel};
use crate::manifest::Platform;
use crate::phone::ParsedNumber;
use crate::wire::{
    CallLogRequest, CallLogResponse, ContactInfo, CreateContactRequest, Direction,
    FindContactResponse, LogInfo, MessageSource, Party, ReturnMessage,
};

/// The name prefix App Connect uses for automatic placeholders until an admin changes it.
pub const DEFAULT_PLACEHOLDER_PREFIX: &str = "PlaceholderContact";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Lookup,
    Create,
    Log,
    Verify,
    /// What the client decides on its own (the automatic variant): skip, wait, or crash.
    Decide,
}

/// One step as it happened.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub step: Step,
    pub ok: bool,
    pub summary: String,
    /// The toast the real client shows after this step, if any: the server's `returnMessage`, or
    /// the client's own default when the server sent none.
    pub return_message: Option<ReturnMessage>,
    /// Who made that message: the server or the client itself.
    pub message_source: Option<MessageSource>,
    /// What the real client does with this step's answer, where that is a problem for its user.
    pub lints: Vec<Lint>,
    pub exchanges: Vec<Exchange>,
}

/// A toast and who made it.
pub type Toast = (Option<ReturnMessage>, Option<MessageSource>);

fn from_server(m: Option<ReturnMessage>) -> Toast {
    let source = m.as_ref().map(|_| MessageSource::Server);
    (m, source)
}

fn json_body(exchange: &Exchange) -> Option<Value> {
    if !exchange.status.is_some_and(|s| (200..300).contains(&s)) {
        return None;
    }
    serde_json::from_str(exchange.response_body.as_deref()?).ok()
}

/// The toast the client shows for a findContact answer (extension 1.6.6): the server's message,
/// or its own "No contact found" when a JSON answer has no `contact` key at all.
pub fn lookup_toast(
    exchange: &Exchange,
    result: &Result<FindContactResponse, ClientError>,
) -> Toast {
    lookup_toast_for(json_body(exchange).as_ref(), result)
}

/// `lookup_toast` with the answer's JSON at hand, as the record shows it (none when the status is
/// not 2xx or the body is not JSON): batches parse each answer once.
pub fn lookup_toast_for(
    body: Option<&Value>,
    result: &Result<FindContactResponse, ClientError>,
) -> Toast {
    if body.is_some_and(|b| b.is_object() && b.get("contact").is_none()) {
        return (
            Some(ReturnMessage::no_contact_found()),
            Some(MessageSource::Client),
        );
    }
    from_server(match result {
        Ok(r) => r.return_message.clone(),
        Err(e) => e.return_message().cloned(),
    })
}

/// The toast the client shows after `POST /callLog` (extension 1.6.6): for a 2xx answer, the
/// server's message, else "Call log added" when `successful` and "Failed to save call log" when not
/// (an answer it cannot read counts as not successful); an error status goes to the catch-all.
pub fn call_log_toast(exchange: &Exchange, result: &Result<CallLogResponse, ClientError>) -> Toast {
    if !exchange.status.is_some_and(|s| (200..300).contains(&s)) {
        return failure_toast(exchange, result.as_ref().err());
    }
    let (server, default) = match result {
        Ok(r) => (r.return_message.clone(), ReturnMessage::call_log_added()),
        Err(e) => (
            e.return_message().cloned(),
            ReturnMessage::call_log_failed(),
        ),
    };
    match server {
        Some(m) => (Some(m), Some(MessageSource::Server)),
        None => (Some(default), Some(MessageSource::Client)),
    }
}

/// The toast extension 1.6.6's catch-all shows when a request throws (an HTTP error status, a
/// timeout, or code failing on the answer): a timeout → "Timeout"; an error status other than 404
/// with a body that is not JSON → that text (warning, 5 s); anything else only reaches the console.
pub fn failure_toast(exchange: &Exchange, error: Option<&ClientError>) -> Toast {
    if matches!(error, Some(ClientError::Timeout { .. })) {
        return (
            Some(ReturnMessage::new("warning", "Timeout", 5000)),
            Some(MessageSource::Client),
        );
    }
    let Some(status) = exchange.status else {
        return (None, None);
    };
    if (200..300).contains(&status) || status == 404 {
        return (None, None);
    }
    let body = exchange.response_body.as_deref().unwrap_or("");
    let text = match serde_json::from_str::<Value>(body) {
        Ok(Value::String(s)) => s,
        Ok(_) => return (None, None),
        Err(_) => body.to_owned(),
    };
    if text.is_empty() {
        return (None, None);
    }
    (
        Some(ReturnMessage::new("warning", text, 5000)),
        Some(MessageSource::Server),
    )
}

/// A create answer the client goes on with: a 2xx JSON object whose `contact` is not null. The
/// client reads neither `successful` nor the status beyond axios's 2xx check (extension 1.6.6).
struct Created {
    contact: ContactInfo,
    /// The id exactly as the connector sent it (`Null` when it sent none).
    id: Value,
    return_message: Option<ReturnMessage>,
}

fn read_created(exchange: &Exchange) -> Option<Created> {
    let body = json_body(exchange)?;
    let contact = body.get("contact").filter(|c| !c.is_null())?;
    let id = contact.get("id").cloned().unwrap_or(Value::Null);
    Some(Created {
        contact: serde_json::from_value(contact.clone()).unwrap_or_default(),
        id,
        return_message: body
            .get("returnMessage")
            .and_then(|m| serde_json::from_value(m.clone()).ok()),
    })
}

/// The id of `contact` as the lookup answer sent it (a number stays a number).
fn raw_id(lookup: Option<&Exchange>, contact: &ContactInfo) -> Value {
    let listed = lookup
        .and_then(json_body)
        .and_then(|b| b.get("contact").cloned())
        .map(|c| match c {
            Value::Array(items) => items,
            other => vec![other],
        })
        .unwrap_or_default();
    listed
        .into_iter()
        .filter_map(|c| c.get("id").cloned())
        .find(|id| match id {
            Value::String(s) => *s == contact.id,
            Value::Number(n) => n.to_string() == contact.id,
            _ => false,
        })
        .unwrap_or_else(|| Value::String(contact.id.clone()))
}

/// JavaScript truthiness of a form value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The `additionalSubmission` of the manual Save (extension 1.6.6): every call-log field, then
/// every new-contact field, whose form value is truthy and not `"none"`.
pub fn form_submission(platform: &Platform, values: &Map<String, Value>) -> Map<String, Value> {
    let pages = platform.page.as_ref();
    let fields = pages
        .and_then(|p| p.call_log.as_ref())
        .and_then(|f| f.additional_fields.as_deref())
        .unwrap_or_default()
        .iter()
        .chain(
            pages
                .and_then(|p| p.new_contact.as_ref())
                .and_then(|f| f.additional_fields.as_deref())
                .unwrap_or_default(),
        );
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = values.get(&f.key) {
            if truthy(v) && v.as_str() != Some("none") {
                out.insert(f.key.clone(), v.clone());
            }
        }
    }
    out
}

/// How the form values a Save is given (`SimulatedCall::additional_submission`) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum FormValues {
    /// Every value of the form as a person left it, starting values included (the window, which
    /// showed the form: a default-true checkbox the person unchecked stays unchecked).
    #[default]
    Complete,
    /// Only the values a caller sets (the CLI's `--field`, a scenario step): the form's starting
    /// values for the chosen row come first, as the client fills them, and these replace them.
    OverDefaults,
}

/// What to change so that a log form the client cannot build opens (`crash` from `forms`).
fn form_fix(crash: &str) -> &'static str {
    if crash.contains("undefined.concat") {
        "Add the missing additionalFields list to the manifest's page (an empty list will do)."
    } else if crash.contains("contactTypeDependent") || crash.contains("defaultContactType") {
        "Give the create row a defaultContactType and, under additionalInfo.<that type>, an option list for every contactTypeDependent new-contact field (or drop contactTypeDependent from those fields)."
    } else if crash.contains("not a list") {
        "Send each field's options in additionalInfo as a list of {const, title}."
    } else {
        "Change the connector's findContact answer (the create row's additionalInfo) or the manifest's additionalFields as described, so the form opens."
    }
}

/// The warning 1.7.0-beta shows when it does not log a call automatically.
fn not_logged_toast(description: &str) -> ReturnMessage {
    ReturnMessage::new(
        "warning",
        format!("Call not logged. {description}. Please log it manually on call history page"),
        5000,
    )
}

/// A create answer the client fails on silently: JSON with no `contact`, or `contact: null`.
fn create_without_contact(exchange: &Exchange) -> Option<(Lint, Option<String>)> {
    let body = json_body(exchange)?;
    if !body.is_object() || !matches!(body.get("contact"), None | Some(Value::Null)) {
        return None;
    }
    let said = body
        .pointer("/returnMessage/message")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((lint::create_without_contact(&body), said))
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "state"
)]
pub enum FlowState {
    /// Nothing looked up yet.
    Ready,
    /// The CRM already has this number: no placeholder is needed.
    Matched {
        contacts: Vec<ContactInfo>,
    },
    /// No real match: a placeholder can be created.
    NeedsContact {
        contacts: Vec<ContactInfo>,
    },
    Created {
        contact: ContactInfo,
    },
    Logged {
        contact: ContactInfo,
        log_id: Option<String>,
        session_id: String,
    },
    Verified {
        contact: ContactInfo,
        log_id: Option<String>,
        session_id: String,
        contact_found: bool,
        log_matched: bool,
    },
    /// The automatic variant decided not to log (or failed before sending): why.
    NotLogged {
        contacts: Vec<ContactInfo>,
        reason: String,
    },
}

impl FlowState {
    fn name(&self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Matched { .. } => "matched",
            Self::NeedsContact { .. } => "needs a contact",
            Self::Created { .. } => "created",
            Self::Logged { .. } => "logged",
            Self::Verified { .. } => "verified",
            Self::NotLogged { .. } => "not logged",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("Can't {action} now: the flow is at \"{state}\". {hint}")]
    OutOfOrder {
        action: &'static str,
        state: &'static str,
        hint: &'static str,
    },
    #[error("Enter a name for the new contact.")]
    EmptyName,
    /// No row with id `createNewContact`: the client's Save never creates a contact.
    #[error("The lookup answer has no create row (id \"createNewContact\"), so App Connect offers no way to create a contact for this number. Add the create row to the connector's findContact answer.")]
    NoCreateRow,
    /// Extension 1.6.6 throws building the log form for the create row: there is no Save to press.
    #[error("App Connect cannot open its log form for the create row, so it never sends POST /contact or POST /callLog; Switchboard sends nothing either. {crash} Fix: {fix}")]
    FormCannotOpen { crash: String, fix: &'static str },
    #[error("\"{0}\" is not one of the manifest's contact types.")]
    UnknownContactType(String),
    /// The create answer had no contact: the real client does nothing visible.
    #[error("In App Connect nothing would happen: no toast, no call log (extension 1.6.6 throws reading the new contact's id and only logs to the console). The create answer has no contact{}.", .said.as_deref().map(|m| format!("; the server's message, never shown: \"{m}\"")).unwrap_or_default())]
    SilentCreateFailure {
        said: Option<String>,
        /// `Rejected` when the answer said `successful: false`, else `BadResponse`.
        code: ErrorCode,
    },
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl From<FlowError> for UserError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Client(c) => c.into(),
            FlowError::EmptyName
            | FlowError::UnknownContactType(_)
            | FlowError::NoCreateRow
            | FlowError::FormCannotOpen { .. } => {
                UserError::new(ErrorCode::FlowOrder, e.to_string())
            }
            FlowError::OutOfOrder { .. } => UserError::new(ErrorCode::FlowOrder, e.to_string()),
            FlowError::SilentCreateFailure { code, .. } => UserError::new(code, e.to_string()),
        }
    }
}

/// The call a person simulates: who called, when, for how long. Time is given, never read here.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct SimulatedCall {
    pub session_id: String,
    pub direction: Direction,
    /// The caller-ID name, when the phone system knows one.
    pub caller_name: Option<String>,
    /// The Switchboard user's own number (the other end of the call).
    pub own_number: String,
    #[ts(type = "number")]
    pub start_time_ms: i64,
    #[ts(type = "number")]
    pub duration_s: u64,
    pub note: String,
    /// Activity title; when empty the client's default (`Inbound Call from <name>`) is used.
    pub subject: Option<String>,
    /// Values of the call-log additional fields, by `const`.
    #[serde(default)]
    pub additional_submission: Map<String, Value>,
}

/// The activity title the real client fills in.
pub fn default_subject(direction: Direction, contact_name: &str) -> String {
    match direction {
        Direction::Inbound => format!("Inbound Call from {contact_name}"),
        Direction::Outbound => format!("Outbound Call to {contact_name}"),
    }
}

/// The name an automatic placeholder gets: prefix + caller-ID name (if any) + space + number.
pub fn auto_placeholder_name(prefix: &str, caller_name: Option<&str>, e164: &str) -> String {
    let caller = caller_name.map(str::trim).unwrap_or("");
    format!("{prefix}{caller} {e164}")
}

/// What 1.7.0-beta does with a call from an unknown number when it logs automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum UnknownContact {
    /// The client's own default: show "Call not logged…" and log nothing.
    SkipLogging,
    /// Create a placeholder contact and log against it (what this variant demonstrates, so it is
    /// Switchboard's default).
    #[default]
    CreatePlaceholder,
}

/// What 1.7.0-beta does when several contacts match a call it logs automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum MultipleContacts {
    /// The client's default: show "Call not logged…" and log nothing.
    #[default]
    SkipLogging,
    /// The first row by name, in the client's sort (create rows included).
    FirstAlphabetical,
    /// The row with the latest `mostRecentActivityDate`, in the client's sort.
    MostRecentActivity,
}

fn yes() -> bool {
    true
}

/// Settings of the automatic variant (SPEC §7; extension 1.7.0-beta).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct AutoSettings {
    pub prefix: String,
    /// `None` until an admin sets it; sent as `null`.
    pub contact_type: Option<String>,
    /// Auto-logging on (the automatic path needs it).
    #[serde(default = "yes")]
    pub auto_log: bool,
    /// Call pop on: the client opens the log form instead of logging by itself.
    #[serde(default)]
    pub call_pop: bool,
    #[serde(default)]
    pub unknown_contact: UnknownContact,
    #[serde(default)]
    pub multiple_contacts: MultipleContacts,
}

impl Default for AutoSettings {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PLACEHOLDER_PREFIX.to_owned(),
            contact_type: None,
            auto_log: true,
            call_pop: false,
            unknown_contact: UnknownContact::default(),
            multiple_contacts: MultipleContacts::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct PlaceholderFlow {
    pub number: ParsedNumber,
    /// The formats as `GET /contact` sends them (comma-joined).
    pub overriding_format: String,
    /// The same formats as `POST /callLog` sends them (a list).
    pub formats: Vec<String>,
    pub state: FlowState,
    /// The `contactType` the call log is sent with (`None`: left out, as the client does).
    pub contact_type: Option<String>,
    /// The `contactName` the call log is sent with.
    pub contact_name: Option<String>,
    pub steps: Vec<StepRecord>,
    /// The `contactId` the call log is sent with, in the JSON type the connector gave it.
    #[serde(skip)]
    #[ts(skip)]
    contact_id: Value,
}

fn out_of_order(action: &'static str, state: &FlowState, hint: &'static str) -> FlowError {
    FlowError::OutOfOrder {
        action,
        state: state.name(),
        hint,
    }
}

/// `Array.prototype.sort` as V8 runs it on short arrays (under 64 items: one run, then binary
/// insertion), with the comparator's `NaN` read as 0, so an inconsistent comparator (rows without
/// a date) picks what the client picks. A comparator error is the client's `TypeError`.
fn js_sort<T: Clone, E>(
    items: &[T],
    compare: impl Fn(&T, &T) -> Result<f64, E>,
) -> Result<Vec<T>, E> {
    let mut a = items.to_vec();
    let n = a.len();
    if n < 2 {
        return Ok(a);
    }
    let cmp = |x: &T, y: &T| -> Result<f64, E> {
        let v = compare(x, y)?;
        Ok(if v.is_nan() { 0.0 } else { v })
    };
    if n >= 64 {
        // Longer lists merge runs; the result is the stable sort of a consistent comparator.
        let mut err = None;
        a.sort_by(|x, y| match cmp(x, y) {
            Ok(v) => v.partial_cmp(&0.0).unwrap_or(std::cmp::Ordering::Equal),
            Err(e) => {
                err.get_or_insert(e);
                std::cmp::Ordering::Equal
            }
        });
        return err.map_or(Ok(a), Err);
    }
    // Count the first run; a strictly descending one is reversed.
    let mut run = 2;
    let descending = cmp(&a[1], &a[0])? < 0.0;
    while run < n {
        let order = cmp(&a[run], &a[run - 1])?;
        if (descending && order >= 0.0) || (!descending && order < 0.0) {
            break;
        }
        run += 1;
    }
    if descending {
        a[..run].reverse();
    }
    for start in run..n {
        let pivot = a[start].clone();
        let (mut left, mut right) = (0, start);
        while left < right {
            let mid = left + (right - left) / 2;
            if cmp(&pivot, &a[mid])? < 0.0 {
                right = mid;
            } else {
                left = mid + 1;
            }
        }
        a[left..=start].rotate_right(1);
    }
    Ok(a)
}

/// `String.prototype.localeCompare` in the root collation, as far as names need: spaces and
/// punctuation before digits before letters, letters by alphabet ignoring case, then lower case
/// before upper case. (ICU goes further with accents and scripts; names seldom need it.)
fn locale_compare(a: &str, b: &str) -> f64 {
    fn primary(c: char) -> (u8, char) {
        let class = if c.is_whitespace() {
            0
        } else if c.is_ascii_digit() {
            2
        } else if c.is_alphabetic() {
            3
        } else {
            1
        };
        (class, c.to_lowercase().next().unwrap_or(c))
    }
    let pa: Vec<_> = a.chars().map(primary).collect();
    let pb: Vec<_> = b.chars().map(primary).collect();
    let order = pa.cmp(&pb).then_with(|| {
        // Tertiary: at the first case difference, lower case first.
        a.chars()
            .zip(b.chars())
            .find(|(x, y)| x != y)
            .map(|(x, y)| y.is_lowercase().cmp(&x.is_lowercase()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    match order {
        std::cmp::Ordering::Less => -1.0,
        std::cmp::Ordering::Equal => 0.0,
        std::cmp::Ordering::Greater => 1.0,
    }
}

/// `new Date(s)` in milliseconds for the ISO forms connectors send; `NaN` otherwise.
fn js_date(s: Option<&str>) -> f64 {
    let Some(s) = s.map(str::trim) else {
        return f64::NAN;
    };
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return t.as_millisecond() as f64;
    }
    if let Ok(d) = s.parse::<jiff::civil::DateTime>() {
        // Date-time without an offset: the client reads local time; UTC is close enough here.
        if let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC) {
            return z.timestamp().as_millisecond() as f64;
        }
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        if let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC) {
            return z.timestamp().as_millisecond() as f64;
        }
    }
    f64::NAN
}

/// The client's own failure (a `TypeError` in its code): nothing is sent after it.
#[derive(Debug)]
struct Crash(String);

impl PlaceholderFlow {
    pub fn new(number: ParsedNumber, overriding_format: String) -> Self {
        Self {
            number,
            overriding_format,
            formats: Vec::new(),
            state: FlowState::Ready,
            contact_type: None,
            contact_name: None,
            steps: Vec::new(),
            contact_id: Value::Null,
        }
    }

    /// The user's overriding formats, for the call log's `overridingFormat` list.
    pub fn with_formats(mut self, formats: Vec<String>) -> Self {
        self.formats = formats;
        self
    }

    /// Sets who the next call log is for, as the client would fill `contactId`, `contactType`
    /// and `contactName` for a contact chosen from the lookup (the CLI's `log`).
    pub fn log_against(&mut self, contact: &ContactInfo) {
        self.contact_id = raw_id(self.lookup_exchange(), contact);
        self.contact_type = contact.kind.clone();
        self.contact_name = contact.name.clone();
    }

    fn lookup_exchange(&self) -> Option<&Exchange> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.step == Step::Lookup)
            .and_then(|s| s.exchanges.first())
    }

    fn record(&mut self, step: Step, ok: bool, summary: String, toast: Toast, ex: Vec<Exchange>) {
        self.record_with(step, ok, summary, toast, Vec::new(), ex);
    }

    fn record_with(
        &mut self,
        step: Step,
        ok: bool,
        summary: String,
        (return_message, message_source): Toast,
        lints: Vec<Lint>,
        exchanges: Vec<Exchange>,
    ) {
        self.steps.push(StepRecord {
            step,
            ok,
            summary,
            return_message,
            message_source,
            lints,
            exchanges,
        });
    }

    async fn find(&self, client: &AppConnectClient) -> crate::client::Called<FindContactResponse> {
        client
            .find_contact(
                &self.number.e164,
                &self.overriding_format,
                self.number.is_extension,
            )
            .await
    }

    /// Step 1: `GET /contact`. Allowed from the start, or again after a match.
    pub async fn lookup(&mut self, client: &AppConnectClient) -> Result<&FlowState, FlowError> {
        if !matches!(
            self.state,
            FlowState::Ready | FlowState::Matched { .. } | FlowState::NeedsContact { .. }
        ) {
            return Err(out_of_order(
                "look up",
                &self.state,
                "Start a new flow to look up again.",
            ));
        }
        let called = self.find(client).await;
        let toast = lookup_toast(&called.exchange, &called.result);
        match called.result {
            Ok(resp) => {
                let real = resp.real_matches().count();
                let summary = match real {
                    0 => "No contact matches: a placeholder can be created.".to_owned(),
                    1 => "1 contact matches: no placeholder is needed.".to_owned(),
                    n => format!("{n} contacts match: no placeholder is needed."),
                };
                self.record(Step::Lookup, true, summary, toast, vec![called.exchange]);
                self.state = if real == 0 {
                    FlowState::NeedsContact {
                        contacts: resp.contact,
                    }
                } else {
                    FlowState::Matched {
                        contacts: resp.contact,
                    }
                };
                Ok(&self.state)
            }
            Err(e) => {
                self.record(
                    Step::Lookup,
                    false,
                    e.to_string(),
                    toast,
                    vec![called.exchange],
                );
                Err(e.into())
            }
        }
    }

    fn contacts(&self) -> &[ContactInfo] {
        match &self.state {
            FlowState::NeedsContact { contacts }
            | FlowState::Matched { contacts }
            | FlowState::NotLogged { contacts, .. } => contacts,
            _ => &[],
        }
    }

    /// The create row of the lookup (the row whose id makes Save create a contact), if any.
    pub fn create_row(&self) -> Option<&ContactInfo> {
        self.contacts().iter().find(|c| c.is_create_row())
    }

    /// The manual flow's one Save with the create row chosen (extension 1.6.6): `POST /contact`
    /// with the typed name, the type (the picked one, else the row's `defaultContactType`, else
    /// `""`) and the form's `additionalSubmission`; then, if the answer has a contact,
    /// `POST /callLog` for it with the same `additionalSubmission`. `call.subject` empty means the
    /// title the client wrote when the name was typed (`Inbound call from <name>`).
    ///
    /// The form is built first, as the client builds it for these rows with the create row
    /// chosen: when the client throws there (`forms::log_form`'s crash), it has no Save, so
    /// nothing is sent. `additionalSubmission` is every call-log and new-contact field of
    /// `platform` whose form value is truthy and not `"none"`; `values` says whether
    /// `call.additional_submission` is the whole form or overrides on its starting values.
    pub async fn save(
        &mut self,
        client: &AppConnectClient,
        platform: &Platform,
        name: &str,
        contact_type: Option<String>,
        call: &SimulatedCall,
        values: FormValues,
    ) -> Result<&FlowState, FlowError> {
        if !matches!(self.state, FlowState::NeedsContact { .. }) {
            return Err(out_of_order(
                "create a contact",
                &self.state,
                "A placeholder is created only after a lookup that found no contact.",
            ));
        }
        let row = self.create_row().cloned().ok_or(FlowError::NoCreateRow)?;
        let form = forms::log_form(
            platform.name.as_deref().unwrap_or_default(),
            platform,
            self.contacts(),
            Some(&row.id),
            call.direction,
        );
        if let Some(crash) = form.crash.clone() {
            return Err(FlowError::FormCannotOpen {
                fix: form_fix(&crash),
                crash,
            });
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(FlowError::EmptyName);
        }
        let mut call = call.clone();
        call.additional_submission = match values {
            FormValues::Complete => form_submission(platform, &call.additional_submission),
            FormValues::OverDefaults => {
                let mut all = form.starting_values();
                all.extend(call.additional_submission);
                form_submission(platform, &all)
            }
        };
        let sent = contact_type
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| row.initial_contact_type());
        self.create_as(
            client,
            name,
            Some(sent.clone()),
            call.additional_submission.clone(),
            true,
        )
        .await?;
        // The log: `contactType` is the submitted type unless it is "" (then the chosen row's),
        // `contactName` the typed name, `contactId` the created id or, with none, the row's id.
        if self.contact_id.is_null() {
            self.contact_id = Value::String(row.id.clone());
        }
        self.contact_type = if sent.is_empty() {
            row.kind.clone()
        } else {
            Some(sent)
        };
        self.contact_name = Some(name.to_owned());
        if call.subject.as_deref().is_none_or(|s| s.trim().is_empty()) {
            call.subject = Some(typed_subject(call.direction, name));
        }
        self.log_call(client, &call).await
    }

    /// `POST /contact` with `new_contact_type` sent as given (`None` → `null`). The manual flow shows
    /// the answer's message; the automatic variant does not (1.7.0-beta). The client goes on with
    /// any 2xx answer that has a contact, whatever `successful` says.
    async fn create_as(
        &mut self,
        client: &AppConnectClient,
        name: &str,
        new_contact_type: Option<String>,
        additional_submission: Map<String, Value>,
        show_message: bool,
    ) -> Result<&FlowState, FlowError> {
        let request = CreateContactRequest {
            phone_number: self.number.e164.clone(),
            new_contact_name: name.to_owned(),
            new_contact_type,
            additional_submission,
        };
        let called = client.create_contact(&request).await;
        if let Some(created) = read_created(&called.exchange) {
            let toast = if show_message {
                from_server(created.return_message)
            } else {
                (None, None)
            };
            let mut lints = Vec::new();
            if let Err(ClientError::Rejected { .. }) = &called.result {
                lints.push(Lint::new(
                    LintLevel::Warning,
                    "create-unsuccessful-with-contact",
                    "successful",
                    "The create answer says successful: false but has a contact.",
                    "Extension 1.6.6 does not read `successful` here: it logs the call against this contact anyway.",
                ));
            }
            let id = match &created.id {
                Value::Null => "no id".to_owned(),
                Value::String(s) => format!("id \"{s}\""),
                other => format!("id {other}"),
            };
            self.record_with(
                Step::Create,
                true,
                format!("Created \"{}\" with {id}.", created.contact.display_name()),
                toast,
                lints,
                vec![called.exchange],
            );
            self.contact_id = created.id;
            self.state = FlowState::Created {
                contact: created.contact,
            };
            return Ok(&self.state);
        }
        let e = match called.result {
            Err(e) => e,
            Ok(_) => ClientError::BadResponse {
                reason: "the create answer has no contact".to_owned(),
            },
        };
        if let Some((finding, said)) = create_without_contact(&called.exchange) {
            let code = match e {
                ClientError::Rejected { .. } => ErrorCode::Rejected,
                _ => ErrorCode::BadResponse,
            };
            let e = FlowError::SilentCreateFailure { said, code };
            // No toast: the client shows nothing at all.
            self.record_with(
                Step::Create,
                false,
                e.to_string(),
                (None, None),
                vec![finding],
                vec![called.exchange],
            );
            return Err(e);
        }
        // The request threw: the client's catch-all decides whether anything is shown.
        let toast = failure_toast(&called.exchange, Some(&e));
        let shown = match &toast.0 {
            Some(m) => format!(
                " In App Connect the only sign is a toast: \"{}\".",
                m.message.as_deref().unwrap_or_default()
            ),
            None => " In App Connect nothing visible happens (the error only reaches the console)."
                .to_owned(),
        };
        self.record(
            Step::Create,
            false,
            format!("{e} Nothing was logged.{shown}"),
            toast,
            vec![called.exchange],
        );
        Err(e.into())
    }

    /// The `POST /callLog` body the client would send for this call and contact.
    pub fn call_log_request(&self, contact: &ContactInfo, call: &SimulatedCall) -> CallLogRequest {
        let name = self
            .contact_name
            .clone()
            .unwrap_or_else(|| contact.display_name().to_owned());
        let caller = Party {
            phone_number: self.number.e164.clone(),
            name: call.caller_name.clone(),
        };
        let own = Party {
            phone_number: call.own_number.clone(),
            name: None,
        };
        let (from, to) = match call.direction {
            Direction::Inbound => (caller, own),
            Direction::Outbound => (own, caller),
        };
        let subject = call
            .subject
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default_subject(call.direction, &name));
        let contact_id = if self.contact_id.is_null() {
            Value::String(contact.id.clone())
        } else {
            self.contact_id.clone()
        };
        CallLogRequest {
            log_info: LogInfo {
                session_id: call.session_id.clone(),
                id: format!("call-{}", call.session_id),
                direction: call.direction,
                from,
                to,
                start_time: call.start_time_ms,
                duration: call.duration_s,
                result: "Call connected".to_owned(),
                custom_subject: Some(subject),
            },
            contact_id,
            contact_type: self.contact_type.clone(),
            contact_name: self.contact_name.clone(),
            note: call.note.clone(),
            additional_submission: call.additional_submission.clone(),
            overriding_format: self.formats.clone(),
        }
    }

    /// `POST /callLog` against the contact the flow created (or was pointed at).
    pub async fn log_call(
        &mut self,
        client: &AppConnectClient,
        call: &SimulatedCall,
    ) -> Result<&FlowState, FlowError> {
        let FlowState::Created { contact } = &self.state else {
            return Err(out_of_order(
                "log the call",
                &self.state,
                "Create the contact first.",
            ));
        };
        let contact = contact.clone();
        let request = self.call_log_request(&contact, call);
        let called = client.create_call_log(&request).await;
        let toast = call_log_toast(&called.exchange, &called.result);
        match called.result {
            Ok(resp) => {
                self.record(
                    Step::Log,
                    true,
                    format!(
                        "Logged call {} against {} (log id {}).",
                        call.session_id,
                        request.contact_id_text(),
                        resp.log_id.as_deref().unwrap_or("not given")
                    ),
                    toast,
                    vec![called.exchange],
                );
                self.state = FlowState::Logged {
                    contact,
                    log_id: resp.log_id,
                    session_id: call.session_id.clone(),
                };
                Ok(&self.state)
            }
            Err(e) => {
                self.record(
                    Step::Log,
                    false,
                    e.to_string(),
                    toast,
                    vec![called.exchange],
                );
                Err(e.into())
            }
        }
    }

    /// Step 4 (CHECK.9): the contact is now found for the number, and the call log exists.
    pub async fn verify(&mut self, client: &AppConnectClient) -> Result<&FlowState, FlowError> {
        let FlowState::Logged {
            contact,
            log_id,
            session_id,
        } = &self.state
        else {
            return Err(out_of_order("verify", &self.state, "Log the call first."));
        };
        let (contact, log_id, session_id) = (contact.clone(), log_id.clone(), session_id.clone());
        let found = self.find(client).await;
        let logs = client
            .get_call_logs(std::slice::from_ref(&session_id))
            .await;
        let exchanges = vec![found.exchange, logs.exchange];
        let contact_found = match &found.result {
            // With no id to look for (a bare `verify`), any real match counts.
            Ok(r) => r
                .real_matches()
                .any(|c| contact.id.is_empty() || c.id == contact.id),
            Err(_) => false,
        };
        let log_matched = match &logs.result {
            Ok(r) => r
                .logs
                .iter()
                .any(|l| l.session_id == session_id && l.matched),
            Err(_) => false,
        };
        let mut problems = Vec::new();
        match &found.result {
            Err(e) => problems.push(format!("the re-lookup failed: {e}")),
            Ok(_) if !contact_found => problems.push(if contact.id.is_empty() {
                format!("a new lookup of {} returns no contact", self.number.e164)
            } else {
                format!(
                    "a new lookup of {} does not return contact {}",
                    self.number.e164, contact.id
                )
            }),
            Ok(_) => {}
        }
        match &logs.result {
            Err(e) => problems.push(format!("the call-log lookup failed: {e}")),
            Ok(_) if !log_matched => problems.push(format!(
                "GET /callLog does not report session {session_id} as matched"
            )),
            Ok(_) => {}
        }
        let ok = problems.is_empty();
        let summary = if ok {
            format!(
                "Verified: the contact {} is found and call {} is logged.",
                contact.id, session_id
            )
        } else {
            format!("Verification failed: {}.", problems.join("; "))
        };
        self.record(Step::Verify, ok, summary, (None, None), exchanges);
        self.state = FlowState::Verified {
            contact,
            log_id,
            session_id,
            contact_found,
            log_matched,
        };
        Ok(&self.state)
    }

    fn not_logged(&mut self, reason: String, toast: Toast, lints: Vec<Lint>) -> &FlowState {
        let contacts = self.contacts().to_vec();
        self.record_with(
            Step::Decide,
            false,
            reason.clone(),
            toast,
            lints,
            Vec::new(),
        );
        self.state = FlowState::NotLogged { contacts, reason };
        &self.state
    }

    /// The automatic variant (extension 1.7.0-beta): after the lookup, the client decides with no
    /// prompt. An unknown number (no row but create rows) gets a placeholder named from the prefix,
    /// the caller-ID name and the number, or the "Call not logged" warning; several matches are
    /// skipped or resolved by name or by latest activity; one match is logged against. Then the
    /// call is logged and verified. `new_contact_fields` says whether the manifest has
    /// `page.newContact.additionalFields` (any list, even empty).
    pub async fn run_automatic(
        &mut self,
        client: &AppConnectClient,
        settings: &AutoSettings,
        call: &SimulatedCall,
        new_contact_fields: bool,
    ) -> Result<&FlowState, FlowError> {
        self.lookup(client).await?;
        if !settings.auto_log {
            return Ok(self.not_logged(
                "Auto-logging is off: the call waits on the call history page to be logged by hand; nothing is sent.".to_owned(),
                (None, None),
                Vec::new(),
            ));
        }
        if settings.call_pop {
            return Ok(self.not_logged(
                "Call pop is on: the client opens the log form after the call instead of logging it (the manual flow shows that form); nothing is sent.".to_owned(),
                (None, None),
                Vec::new(),
            ));
        }
        let contacts = self.contacts().to_vec();
        let existing: Vec<&ContactInfo> = contacts.iter().filter(|c| !c.is_new_contact).collect();
        let skipped = |description: &str| {
            (
                Some(not_logged_toast(description)),
                Some(MessageSource::Client),
            )
        };
        let chosen = match existing.len() {
            0 => {
                if settings.unknown_contact == UnknownContact::SkipLogging {
                    // The warning's text comes from a helper that throws when no row is a create
                    // row, so an empty list shows nothing at all.
                    let toast = if contacts.iter().any(|c| c.is_new_contact) {
                        skipped("There is no matched contact")
                    } else {
                        (None, None)
                    };
                    return Ok(self.not_logged(
                        "No contact matches and \"Unknown contact\" is set to skip logging: nothing is sent.".to_owned(),
                        toast,
                        Vec::new(),
                    ));
                }
                return self
                    .auto_create(client, settings, call, new_contact_fields)
                    .await;
            }
            1 => existing[0].clone(),
            n => {
                let picked = match settings.multiple_contacts {
                    MultipleContacts::SkipLogging => {
                        return Ok(self.not_logged(
                            format!("{n} contacts match and \"Multiple contacts\" is set to skip logging: nothing is sent."),
                            skipped("There are multiple matched contacts"),
                            Vec::new(),
                        ));
                    }
                    MultipleContacts::FirstAlphabetical => js_sort(&contacts, |a, b| {
                        let left = a.name.as_deref().ok_or_else(|| {
                            Crash(format!(
                                "the row with id \"{}\" has no name, and the client's sort by name throws on it",
                                a.id
                            ))
                        })?;
                        Ok(locale_compare(
                            left,
                            b.name.as_deref().unwrap_or("undefined"),
                        ))
                    }),
                    MultipleContacts::MostRecentActivity => js_sort(&contacts, |a, b| {
                        Ok::<_, Crash>(
                            js_date(b.most_recent_activity_date.as_deref())
                                - js_date(a.most_recent_activity_date.as_deref()),
                        )
                    }),
                };
                match picked {
                    Ok(sorted) => sorted[0].clone(),
                    Err(Crash(why)) => {
                        return Ok(self.not_logged(
                            format!("The client fails before logging: {why}. Nothing is sent and nothing is shown."),
                            (None, None),
                            vec![Lint::new(
                                LintLevel::Error,
                                "auto-sort-crash",
                                "contact",
                                format!("Automatic logging cannot choose among {n} contacts: {why}."),
                                "Extension 1.7.0-beta sorts every row (create rows too) by name; a row without a name throws, so the call is never logged.",
                            )],
                        ));
                    }
                }
            }
        };
        let mut lints = Vec::new();
        if chosen.is_create_row() || chosen.is_new_contact {
            lints.push(Lint::new(
                LintLevel::Error,
                "auto-picks-create-row",
                "contact",
                format!(
                    "Automatic logging chose the create row \"{}\" (id \"{}\") over the real matches.",
                    chosen.display_name(),
                    chosen.id
                ),
                "Extension 1.7.0-beta sorts every row, create rows included, when several contacts match; the call is logged against the create row's id.",
            ));
        }
        // One match: a list with one option is chosen; a longer list needs a default the admin
        // set (none here), and the client asks for a manual disposition.
        let mut submission = Map::new();
        let mut manual_disposition = false;
        if existing.len() == 1 {
            if let Some(Value::Object(info)) = &chosen.additional_info {
                for (key, options) in info {
                    match options.as_array().map(Vec::as_slice) {
                        Some([only]) => {
                            if let Some(v) = only.get("const") {
                                submission.insert(key.clone(), v.clone());
                            }
                        }
                        Some(list) if list.len() > 1 => {
                            manual_disposition = true;
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }
        self.log_against(&chosen);
        self.state = FlowState::Created {
            contact: chosen.clone(),
        };
        let mut call = call.clone();
        call.subject = Some(default_subject(
            call.direction,
            chosen.name.as_deref().unwrap_or(""),
        ));
        call.additional_submission = submission;
        self.log_call(client, &call).await?;
        if let Some(step) = self.steps.last_mut() {
            step.lints.extend(lints);
        }
        if manual_disposition {
            self.record(
                Step::Decide,
                true,
                format!(
                    "\"{}\" has a field with several options and no default set, so the client asks for a manual disposition.",
                    chosen.display_name()
                ),
                (
                    Some(ReturnMessage::new(
                        "warning",
                        "Manual disposition needed. Please edit logged call to disposition.",
                        5000,
                    )),
                    Some(MessageSource::Client),
                ),
                Vec::new(),
            );
        }
        self.verify(client).await
    }

    /// The unknown-number branch of the automatic variant: the placeholder, then its call log.
    async fn auto_create(
        &mut self,
        client: &AppConnectClient,
        settings: &AutoSettings,
        call: &SimulatedCall,
        new_contact_fields: bool,
    ) -> Result<&FlowState, FlowError> {
        let name = auto_placeholder_name(
            &settings.prefix,
            call.caller_name.as_deref(),
            &self.number.e164,
        );
        let mut submission = Map::new();
        if new_contact_fields {
            // Taken from the first row's `additionalInfo[<type>]` (`"null"` with no type set).
            let key = settings.contact_type.as_deref().unwrap_or("null");
            let first = self.contacts().first().cloned();
            let under = match &first {
                None => Err("the lookup returned no row, and the client reads the first row's additionalInfo".to_owned()),
                Some(row) => match &row.additional_info {
                    Some(Value::Object(info)) => match info.get(key) {
                        Some(Value::Object(fields)) => Ok(fields.clone()),
                        Some(v) if !v.is_null() => Ok(Map::new()),
                        _ => Err(format!("the first row's additionalInfo has no \"{key}\" entry for the new contact's fields")),
                    },
                    _ => Err("the first row's additionalInfo is null or missing, and the client reads the new contact's fields from it".to_owned()),
                },
            };
            match under {
                Ok(fields) => {
                    for (k, v) in fields {
                        match v {
                            Value::Array(options) => match options.first() {
                                Some(o) => {
                                    if let Some(c) = o.get("const") {
                                        submission.insert(k, c.clone());
                                    }
                                }
                                None => {
                                    return Ok(self.auto_crash(format!(
                                        "the \"{k}\" list under additionalInfo[\"{key}\"] is empty, and the client takes its first option"
                                    )));
                                }
                            },
                            other => {
                                submission.insert(k, other);
                            }
                        }
                    }
                }
                Err(why) => return Ok(self.auto_crash(why)),
            }
        }
        self.create_as(
            client,
            &name,
            settings.contact_type.clone(),
            submission,
            false,
        )
        .await?;
        let FlowState::Created { contact } = &self.state else {
            return Ok(&self.state);
        };
        // The log takes the contact as the connector returned it (1.7.0-beta).
        let contact = contact.clone();
        let mut lints = Vec::new();
        if contact.kind.is_none() {
            lints.push(Lint::new(
                LintLevel::Warning,
                "auto-created-without-type",
                "contact.type",
                "The create answer's contact has no type.",
                "Extension 1.7.0-beta sends the call log's contactType from the created contact, so this call log goes without one.",
            ));
        }
        self.contact_type = contact.kind.clone();
        self.contact_name = contact.name.clone();
        let mut call = call.clone();
        call.subject = Some(default_subject(
            call.direction,
            contact.name.as_deref().unwrap_or(""),
        ));
        call.additional_submission = Map::new();
        self.log_call(client, &call).await?;
        if let Some(step) = self.steps.last_mut() {
            step.lints.extend(lints);
        }
        self.verify(client).await
    }

    fn auto_crash(&mut self, why: String) -> &FlowState {
        let lint = Lint::new(
            LintLevel::Error,
            "auto-create-crash",
            "additionalInfo",
            format!("Automatic placeholder creation fails: {why}."),
            "Extension 1.7.0-beta throws before POST /contact when the manifest has page.newContact.additionalFields; the call is neither created nor logged, and nothing is shown.",
        );
        self.not_logged(
            format!("The client fails before creating the placeholder: {why}. Nothing is sent and nothing is shown."),
            (None, None),
            vec![lint],
        )
    }
}

/// The activity title after the person typed the new contact's name (extension 1.6.6 rewrites it,
/// with a lower-case "call", unless it was edited by hand).
pub fn typed_subject(direction: Direction, name: &str) -> String {
    match direction {
        Direction::Inbound => format!("Inbound call from {name}"),
        Direction::Outbound => format!("Outbound call to {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_http::{answer_json, read_request};
    use serde_json::json;
    use std::sync::{Arc, Mutex};

    /// A loopback server that answers `GET /contact`, `POST /contact` and `POST /callLog` with the
    /// given bodies and remembers every request body it received.
    async fn scripted(
        find: &'static str,
        create: &'static str,
        log: &'static str,
    ) -> (AppConnectClient, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let bodies = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let bodies = bodies.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let answer = if request.head.starts_with("GET /contact") {
                        find
                    } else if request.head.starts_with("POST /contact") {
                        create
                    } else {
                        log
                    };
                    bodies.lock().unwrap().push(request.body);
                    answer_json(&mut stream, answer).await;
                });
            }
        });
        let client = AppConnectClient::new(&url, "crm", None).unwrap();
        client.set_jwt(Some(crate::Sensitive::from("t")));
        (client, seen)
    }

    const CREATE_ROW_ONLY: &str = r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact...","isNewContact":true}]}"#;
    const CREATED: &str = r#"{"successful":true,"contact":{"id":"9","name":"Jane","type":"lead"},"returnMessage":{"message":"Created","messageType":"success","ttl":2000}}"#;

    fn call() -> SimulatedCall {
        SimulatedCall {
            session_id: "s1".into(),
            direction: Direction::Inbound,
            caller_name: None,
            own_number: "+16505550199".into(),
            start_time_ms: 1,
            duration_s: 1,
            note: String::new(),
            subject: None,
            additional_submission: Map::new(),
        }
    }

    /// A platform whose log form opens for a bare create row; `matter` is one of its call-log
    /// fields.
    fn platform() -> Platform {
        crate::manifest::parse(
            r#"{"platforms":{"crm":{"page":{"callLog":{"additionalFields":[
                {"const":"matter","type":"selection","contactDependent":true}]}}}}}"#,
        )
        .unwrap()
        .platform(None)
        .unwrap()
        .1
        .clone()
    }

    /// The Save as the window sends it: the test platform and call, the form's values complete.
    async fn save<'f>(
        f: &'f mut PlaceholderFlow,
        client: &AppConnectClient,
        name: &str,
        contact_type: Option<String>,
    ) -> Result<&'f FlowState, FlowError> {
        f.save(
            client,
            &platform(),
            name,
            contact_type,
            &call(),
            FormValues::Complete,
        )
        .await
    }

    fn flow() -> PlaceholderFlow {
        PlaceholderFlow::new(
            crate::phone::parse_e164("+12025550100").unwrap(),
            String::new(),
        )
    }

    fn sent(seen: &Arc<Mutex<Vec<String>>>, i: usize) -> Value {
        serde_json::from_str(&seen.lock().unwrap()[i]).unwrap()
    }

    /// Extension 1.6.6: with no type chosen, `newContactType` is the create row's
    /// `defaultContactType`, else `""`; never `null`.
    #[tokio::test]
    async fn the_manual_create_sends_the_rows_default_type_or_empty_never_null() {
        let (client, seen) = scripted(CREATE_ROW_ONLY, CREATED, r#"{"successful":true}"#).await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        save(&mut f, &client, "Jane", None).await.unwrap();
        assert_eq!(sent(&seen, 1)["newContactType"], json!(""));
        let (client, seen) = scripted(
            r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact...","isNewContact":true,"defaultContactType":"lead"}]}"#,
            CREATED,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        save(&mut f, &client, "Jane", Some(String::new()))
            .await
            .unwrap();
        assert_eq!(sent(&seen, 1)["newContactType"], json!("lead"));
        assert_eq!(
            f.steps[1].message_source,
            Some(MessageSource::Server),
            "the connector's own message is shown"
        );
    }

    /// 1.7.0-beta: the automatic variant sends the configured type, `null` until one is set, and
    /// does not show the create answer's message.
    #[tokio::test]
    async fn the_automatic_create_sends_null_and_shows_no_message() {
        let (client, seen) = scripted(CREATE_ROW_ONLY, CREATED, r#"{"successful":true}"#).await;
        let mut f = flow();
        let _ = f
            .run_automatic(&client, &AutoSettings::default(), &call(), false)
            .await;
        assert_eq!(sent(&seen, 1)["newContactType"], Value::Null);
        assert_eq!(f.steps[1].step, Step::Create);
        assert!(f.steps[1].return_message.is_none());
    }

    /// Extension 1.6.6: a create answer with no `contact` throws in the client: no toast, no log.
    #[tokio::test]
    async fn a_create_answer_without_contact_is_silent_in_the_client() {
        let (client, seen) = scripted(
            CREATE_ROW_ONLY,
            r#"{"successful":false,"returnMessage":{"message":"Reserved name","messageType":"warning","ttl":5000}}"#,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        let e = f
            .save(
                &client,
                &platform(),
                "Jane",
                None,
                &call(),
                FormValues::Complete,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, FlowError::SilentCreateFailure { .. }), "{e}");
        let step = f.steps.last().unwrap();
        assert!(!step.ok);
        assert!(step.return_message.is_none(), "the client shows no toast");
        assert_eq!(step.lints.len(), 1);
        assert_eq!(step.lints[0].rule, "created-contact-missing");
        assert_eq!(step.lints[0].level, crate::lint::LintLevel::Error);
        assert!(
            step.lints[0]
                .why
                .starts_with("Nothing happens: no toast, no call log"),
            "{}",
            step.lints[0].why
        );
        assert!(
            step.summary.contains("no toast, no call log")
                && step.summary.contains("Reserved name"),
            "{}",
            step.summary
        );
        assert_eq!(UserError::from(e).code, ErrorCode::Rejected);
        assert!(matches!(f.state, FlowState::NeedsContact { .. }));
        assert_eq!(seen.lock().unwrap().len(), 2, "nothing was logged");
    }

    /// Extension 1.6.6: the client's own toasts when the server sends no message.
    #[tokio::test]
    async fn the_clients_own_messages_stand_in_for_missing_ones() {
        let (client, _) = scripted(
            CREATE_ROW_ONLY,
            CREATED,
            r#"{"successful":true,"logId":"l1"}"#,
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        save(&mut f, &client, "Jane", None).await.unwrap();
        let step = f.steps.last().unwrap();
        assert_eq!(
            step.return_message,
            Some(ReturnMessage::new("success", "Call log added", 3000))
        );
        assert_eq!(step.message_source, Some(MessageSource::Client));

        let (client, _) = scripted(CREATE_ROW_ONLY, CREATED, r#"{"successful":false}"#).await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        save(&mut f, &client, "Jane", None).await.unwrap_err();
        let step = f.steps.last().unwrap();
        assert_eq!(
            step.return_message,
            Some(ReturnMessage::new(
                "warning",
                "Failed to save call log",
                3000
            ))
        );
        assert_eq!(step.message_source, Some(MessageSource::Client));

        let (client, _) = scripted(CREATE_ROW_ONLY, CREATED, r#"{"successful":false,"returnMessage":{"message":"Existing log for session s1","messageType":"warning","ttl":3000}}"#).await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        save(&mut f, &client, "Jane", None).await.unwrap_err();
        let step = f.steps.last().unwrap();
        assert_eq!(
            step.return_message
                .as_ref()
                .and_then(|m| m.message.as_deref()),
            Some("Existing log for session s1")
        );
        assert_eq!(step.message_source, Some(MessageSource::Server));

        let (client, _) = scripted(
            r#"{"successful":false,"message":"User not found"}"#,
            CREATED,
            "{}",
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap_err();
        let step = f.steps.last().unwrap();
        assert_eq!(
            step.return_message,
            Some(ReturnMessage::new("warning", "No contact found", 3000))
        );
        assert_eq!(step.message_source, Some(MessageSource::Client));
        let (client, _) = scripted(CREATE_ROW_ONLY, CREATED, "{}").await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        assert_eq!(
            f.steps[0].return_message, None,
            "a contact key and no message: no toast"
        );
        assert_eq!(f.steps[0].message_source, None);
    }

    fn exchange(status: Option<u16>, body: &str) -> Exchange {
        Exchange {
            method: "POST".into(),
            url: "http://127.0.0.1/contact".into(),
            request_headers: Vec::new(),
            request_body: None,
            status,
            response_headers: Vec::new(),
            response_body: Some(body.into()),
            elapsed_ms: 1,
            refreshed_token: false,
        }
    }

    /// Extension 1.6.6's one Save: the create body, then the call-log body with the created id in
    /// its JSON type, no contactType when none was picked and the row has none, the typed name,
    /// the same additionalSubmission, the formats as a list and the title the typed name wrote.
    #[tokio::test]
    async fn one_save_sends_the_clients_exact_bodies() {
        let (client, seen) = scripted(
            CREATE_ROW_ONLY,
            r#"{"successful":true,"contact":{"id":9,"name":"Jane","type":"lead"}}"#,
            r#"{"successful":true,"logId":"l1"}"#,
        )
        .await;
        let mut f = flow().with_formats(vec!["(***) ***-****".into(), "***-***-****".into()]);
        f.lookup(&client).await.unwrap();
        let mut c = call();
        c.additional_submission = serde_json::from_value(json!({"matter": "m1"})).unwrap();
        f.save(&client, &platform(), "Jane", None, &c, FormValues::Complete)
            .await
            .unwrap();
        let create = sent(&seen, 1);
        assert_eq!(
            create,
            json!({"phoneNumber": "+12025550100", "newContactName": "Jane", "newContactType": "", "additionalSubmission": {"matter": "m1"}})
        );
        let log = sent(&seen, 2);
        assert_eq!(log["contactId"], json!(9), "a numeric id stays a number");
        assert!(log.get("contactType").is_none(), "{log}");
        assert_eq!(log["contactName"], "Jane");
        assert_eq!(log["additionalSubmission"], json!({"matter": "m1"}));
        assert_eq!(
            log["overridingFormat"],
            json!(["(***) ***-****", "***-***-****"])
        );
        assert_eq!(log["logInfo"]["customSubject"], "Inbound call from Jane");
        assert!(matches!(f.state, FlowState::Logged { .. }));
        assert_eq!(
            f.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
            [Step::Lookup, Step::Create, Step::Log]
        );
    }

    /// A picked type is the log's contactType; a typed subject is kept.
    #[tokio::test]
    async fn one_save_sends_a_picked_type_and_a_typed_title() {
        let (client, seen) = scripted(CREATE_ROW_ONLY, CREATED, r#"{"successful":true}"#).await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        let mut c = call();
        c.subject = Some("Follow-up".into());
        f.save(
            &client,
            &platform(),
            "Jane",
            Some("contact".into()),
            &c,
            FormValues::Complete,
        )
        .await
        .unwrap();
        assert_eq!(sent(&seen, 1)["newContactType"], "contact");
        let log = sent(&seen, 2);
        assert_eq!(log["contactType"], "contact");
        assert_eq!(log["contactId"], "9");
        assert_eq!(log["logInfo"]["customSubject"], "Follow-up");
        assert_eq!(log["overridingFormat"], json!([]));
    }

    /// Extension 1.6.6 does not read `successful` of the create answer: a contact means it logs.
    #[tokio::test]
    async fn an_unsuccessful_create_with_a_contact_is_still_logged() {
        let (client, seen) = scripted(
            CREATE_ROW_ONLY,
            r#"{"successful":false,"contact":{"id":"c7","name":"Jane"}}"#,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        save(&mut f, &client, "Jane", None).await.unwrap();
        assert_eq!(sent(&seen, 2)["contactId"], "c7");
        assert_eq!(f.steps[1].lints[0].rule, "create-unsuccessful-with-contact");
    }

    /// With no create row the client's Save never creates: nothing is sent.
    #[tokio::test]
    async fn no_create_row_means_no_create() {
        let (client, seen) = scripted(
            r#"{"successful":true,"contact":[]}"#,
            CREATED,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        let e = f
            .save(
                &client,
                &platform(),
                "Jane",
                None,
                &call(),
                FormValues::Complete,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, FlowError::NoCreateRow), "{e}");
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    fn platform_of(manifest: &str) -> Platform {
        crate::manifest::parse(manifest)
            .unwrap()
            .platform(None)
            .unwrap()
            .1
            .clone()
    }

    /// Extension 1.6.6 submits the form's starting values: the first option of a shown selection,
    /// a checkbox's defaultValue, an input's defaultValue, for the call-log and the new-contact
    /// fields alike. A caller's values replace them (`OverDefaults`); the window's complete values
    /// are sent as they are, so a default it unchecked stays dropped (`Complete`).
    #[tokio::test]
    async fn the_forms_starting_values_are_sent_and_a_callers_values_replace_them() {
        let platform = platform_of(
            r#"{"platforms":{"crm":{"page":{
                "callLog":{"additionalFields":[
                    {"const":"matter","type":"selection"},
                    {"const":"billable","type":"checkbox","defaultValue":true},
                    {"const":"memo","type":"inputField","defaultValue":"Called back"}]},
                "newContact":{"additionalFields":[
                    {"const":"company","type":"inputField","defaultValue":"ACME"}]}}}}}"#,
        );
        const ROW: &str = r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact...","isNewContact":true,
            "additionalInfo":{"matter":[{"const":"m-1","title":"First"},{"const":"m-2","title":"Second"}],"billable":true}}]}"#;
        let submitted = |values: FormValues, given: Value| {
            let platform = platform.clone();
            async move {
                let (client, seen) = scripted(ROW, CREATED, r#"{"successful":true}"#).await;
                let mut f = flow();
                f.lookup(&client).await.unwrap();
                let mut c = call();
                c.additional_submission = serde_json::from_value(given).unwrap();
                f.save(&client, &platform, "Jane", None, &c, values)
                    .await
                    .unwrap();
                let (create, log) = (sent(&seen, 1), sent(&seen, 2));
                assert_eq!(
                    create["additionalSubmission"], log["additionalSubmission"],
                    "one form, one submission for both calls"
                );
                create["additionalSubmission"].clone()
            }
        };
        assert_eq!(
            submitted(FormValues::OverDefaults, json!({})).await,
            json!({"matter": "m-1", "billable": true, "memo": "Called back", "company": "ACME"}),
            "an untouched form sends its starting values"
        );
        assert_eq!(
            submitted(
                FormValues::OverDefaults,
                json!({"billable": false, "matter": "m-2", "memo": ""})
            )
            .await,
            json!({"matter": "m-2", "company": "ACME"}),
            "given values replace the defaults; falsy ones drop them"
        );
        assert_eq!(
            submitted(
                FormValues::Complete,
                json!({"matter": "m-1", "billable": false})
            )
            .await,
            json!({"matter": "m-1"}),
            "the window's complete values are not seeded again"
        );
    }

    /// Extension 1.6.6 throws building the log form for these rows (SPEC §6): there is no Save,
    /// so nothing may be sent; the refusal names what throws and how to fix it.
    #[tokio::test]
    async fn no_save_is_sent_when_the_clients_form_cannot_open() {
        // Bullhorn-like: a contactTypeDependent new-contact field, a create row without
        // additionalInfo.
        let dependent = platform_of(
            r#"{"platforms":{"crm":{"contactTypes":[{"display":"Lead","value":"lead"}],"page":{
                "callLog":{"additionalFields":[]},
                "newContact":{"additionalFields":[{"const":"status","type":"selection","contactTypeDependent":true}]}}}}}"#,
        );
        let (client, seen) = scripted(
            r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact...","isNewContact":true,"additionalInfo":null,"defaultContactType":"lead"}]}"#,
            CREATED,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        for values in [FormValues::Complete, FormValues::OverDefaults] {
            let e = f
                .save(&client, &dependent, "Jane", None, &call(), values)
                .await
                .unwrap_err();
            assert!(matches!(e, FlowError::FormCannotOpen { .. }), "{e}");
            let text = e.to_string();
            assert!(
                text.contains("additionalInfo is null while contactTypeDependent")
                    && text.contains("Fix: Give the create row a defaultContactType"),
                "{text}"
            );
            assert_eq!(UserError::from(e).code, ErrorCode::FlowOrder);
        }
        assert_eq!(seen.lock().unwrap().len(), 1, "only the lookup went out");
        assert!(matches!(f.state, FlowState::NeedsContact { .. }));
        assert_eq!(f.steps.len(), 1);

        // No page.callLog.additionalFields: the client's `undefined.concat` for a create row.
        let no_log_list =
            platform_of(r#"{"platforms":{"crm":{"page":{"newContact":{"additionalFields":[]}}}}}"#);
        let (client, seen) = scripted(CREATE_ROW_ONLY, CREATED, r#"{"successful":true}"#).await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        let e = f
            .save(
                &client,
                &no_log_list,
                "Jane",
                None,
                &call(),
                FormValues::OverDefaults,
            )
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("undefined.concat")
                && text.contains("Fix: Add the missing additionalFields"),
            "{text}"
        );
        assert_eq!(seen.lock().unwrap().len(), 1);

        // The same manifest with a create row the form does not treat as new (no isNewContact):
        // no new-contact fields are appended, the form opens, and Save goes out.
        let (client, seen) = scripted(
            r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact..."}]}"#,
            CREATED,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        f.lookup(&client).await.unwrap();
        f.save(
            &client,
            &no_log_list,
            "Jane",
            None,
            &call(),
            FormValues::OverDefaults,
        )
        .await
        .unwrap();
        assert_eq!(seen.lock().unwrap().len(), 3, "lookup, create, log");
    }

    /// 1.7.0-beta's automatic create reads the create row's `additionalInfo[<type>]` when the
    /// manifest has new-contact fields; an entry for another type only throws: nothing is sent.
    #[tokio::test]
    async fn the_automatic_create_sends_nothing_when_the_type_has_no_entry() {
        let (client, seen) = scripted(
            r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact...","isNewContact":true,
                "additionalInfo":{"contact":{"source":[{"const":"web","title":"Web"}]}}}]}"#,
            CREATED,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        let settings = AutoSettings {
            contact_type: Some("lead".into()),
            ..AutoSettings::default()
        };
        f.run_automatic(&client, &settings, &call(), true)
            .await
            .unwrap();
        assert!(matches!(f.state, FlowState::NotLogged { .. }));
        let step = f.steps.last().unwrap();
        assert_eq!(step.lints[0].rule, "auto-create-crash");
        assert!(
            step.lints[0].message.contains("\"lead\""),
            "{}",
            step.lints[0].message
        );
        assert!(step.return_message.is_none(), "nothing is shown");
        assert_eq!(seen.lock().unwrap().len(), 1, "only the lookup went out");
    }

    #[test]
    fn the_form_submission_keeps_truthy_values_of_the_manifests_fields() {
        let m = crate::manifest::parse(
            r#"{"platforms":{"p":{"page":{
                "callLog":{"additionalFields":[{"const":"matter","type":"selection"},{"const":"billable","type":"checkbox"},{"const":"memo","type":"inputField"}]},
                "newContact":{"additionalFields":[{"const":"source","type":"selection"}]}}}}}"#,
        )
        .unwrap();
        let platform = m.platform(None).unwrap().1;
        let values: Map<String, Value> = serde_json::from_value(json!({
            "matter": "none", "billable": false, "memo": "", "source": "web", "stray": "x", "count": 0
        }))
        .unwrap();
        assert_eq!(
            Value::Object(form_submission(platform, &values)),
            json!({"source": "web"})
        );
        let values: Map<String, Value> =
            serde_json::from_value(json!({"matter": "m2", "billable": true, "memo": "hi"}))
                .unwrap();
        assert_eq!(
            Value::Object(form_submission(platform, &values)),
            json!({"matter": "m2", "billable": true, "memo": "hi"})
        );
    }

    /// Extension 1.6.6's catch-all: a text error body is shown (not for 404), JSON is not, a
    /// timeout says "Timeout".
    #[test]
    fn a_thrown_request_shows_only_what_the_catch_all_shows() {
        let (m, _) = failure_toast(&exchange(Some(500), "CRM is down"), None);
        assert_eq!(m, Some(ReturnMessage::new("warning", "CRM is down", 5000)));
        assert_eq!(
            failure_toast(&exchange(Some(404), "Not here"), None).0,
            None
        );
        assert_eq!(
            failure_toast(&exchange(Some(500), r#"{"error":"x"}"#), None).0,
            None
        );
        assert_eq!(failure_toast(&exchange(Some(200), "fine"), None).0, None);
        let timeout = ClientError::Timeout {
            url: "u".into(),
            secs: 30,
        };
        assert_eq!(
            failure_toast(&exchange(None, ""), Some(&timeout)).0,
            Some(ReturnMessage::new("warning", "Timeout", 5000))
        );
        // A failed call log goes the same way; a 2xx that cannot be read counts as not successful.
        let failed: Result<CallLogResponse, ClientError> =
            Err(ClientError::BadResponse { reason: "x".into() });
        assert_eq!(
            call_log_toast(&exchange(Some(200), "oops"), &failed).0,
            Some(ReturnMessage::call_log_failed())
        );
        assert_eq!(
            call_log_toast(&exchange(Some(502), r#"{"x":1}"#), &failed).0,
            None
        );
    }

    /// The same inputs through Node 20's V8 gave these orders (`Array.prototype.sort`, with
    /// `localeCompare` and `new Date(b) - new Date(a)` comparators).
    #[test]
    fn the_clients_sorts_are_reproduced() {
        type Row = (&'static str, Option<&'static str>);
        let rows: Vec<Row> = vec![
            ("Zed", Some("2024-05-01T00:00:00Z")),
            ("Create new contact...", None),
            ("yan", Some("2025-01-01T00:00:00Z")),
            ("Ada", None),
            ("ada", Some("2023-01-01")),
        ];
        let names = |v: Vec<Row>| v.iter().map(|r| r.0).collect::<Vec<_>>().join("|");
        let by_name = js_sort(&rows, |a: &Row, b: &Row| {
            Ok::<_, ()>(locale_compare(a.0, b.0))
        })
        .unwrap();
        assert_eq!(names(by_name), "ada|Ada|Create new contact...|yan|Zed");
        let by_date = |v: &[Row]| {
            js_sort(v, |a: &Row, b: &Row| {
                Ok::<_, ()>(js_date(b.1) - js_date(a.1))
            })
            .unwrap()
        };
        assert_eq!(
            names(by_date(&rows)),
            "Zed|Create new contact...|yan|Ada|ada"
        );
        let r2: Vec<Row> = vec![
            ("Create new contact...", None),
            ("B", Some("2024-01-01")),
            ("A", Some("2025-01-01")),
        ];
        assert_eq!(names(by_date(&r2)), "Create new contact...|A|B");
        let r3: Vec<Row> = vec![
            ("B", Some("2024-01-01")),
            ("A", Some("2025-01-01")),
            ("Create new contact...", None),
        ];
        assert_eq!(names(by_date(&r3)), "A|B|Create new contact...");
        let words: Vec<Row> = ["b", "A", "a", "B", "_x", "1", "Éa", "e"]
            .iter()
            .map(|w| (*w, None))
            .collect();
        let sorted = js_sort(&words, |a: &Row, b: &Row| {
            Ok::<_, ()>(locale_compare(a.0, b.0))
        })
        .unwrap();
        assert_eq!(names(sorted), "_x|1|a|A|b|B|e|Éa");
    }

    fn auto(unknown: UnknownContact, multiple: MultipleContacts) -> AutoSettings {
        AutoSettings {
            unknown_contact: unknown,
            multiple_contacts: multiple,
            ..AutoSettings::default()
        }
    }

    /// 1.7.0-beta: the log takes contactType and contactName from the created contact as
    /// returned; a created contact without a type gets a log without contactType, and a finding.
    #[tokio::test]
    async fn the_automatic_log_uses_the_created_contact_as_returned() {
        let (client, seen) = scripted(
            CREATE_ROW_ONLY,
            r#"{"successful":true,"contact":{"id":5,"name":"Placeholder 5"}}"#,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        let _ = f
            .run_automatic(&client, &AutoSettings::default(), &call(), false)
            .await;
        let log = sent(&seen, 2);
        assert_eq!(log["contactId"], json!(5));
        assert_eq!(log["contactName"], "Placeholder 5");
        assert!(log.get("contactType").is_none(), "{log}");
        assert_eq!(
            log["logInfo"]["customSubject"],
            "Inbound Call from Placeholder 5"
        );
        assert_eq!(log["additionalSubmission"], json!({}));
        let log_step = f.steps.iter().find(|s| s.step == Step::Log).unwrap();
        assert!(log_step
            .lints
            .iter()
            .any(|l| l.rule == "auto-created-without-type"));
    }

    /// 1.7.0-beta's other outcomes: skip logging with its warning, auto-logging off, call pop on.
    #[tokio::test]
    async fn the_automatic_variant_skips_as_the_client_does() {
        let (client, seen) = scripted(CREATE_ROW_ONLY, CREATED, "{}").await;
        let mut f = flow();
        f.run_automatic(
            &client,
            &auto(UnknownContact::SkipLogging, MultipleContacts::SkipLogging),
            &call(),
            false,
        )
        .await
        .unwrap();
        assert!(matches!(f.state, FlowState::NotLogged { .. }));
        let decided = f.steps.last().unwrap();
        assert_eq!(decided.step, Step::Decide);
        assert_eq!(
            decided.return_message,
            Some(ReturnMessage::new(
                "warning",
                "Call not logged. There is no matched contact. Please log it manually on call history page",
                5000
            ))
        );
        assert_eq!(seen.lock().unwrap().len(), 1, "only the lookup was sent");
        for settings in [
            AutoSettings {
                auto_log: false,
                ..AutoSettings::default()
            },
            AutoSettings {
                call_pop: true,
                ..AutoSettings::default()
            },
        ] {
            let (client, seen) = scripted(CREATE_ROW_ONLY, CREATED, "{}").await;
            let mut f = flow();
            f.run_automatic(&client, &settings, &call(), false)
                .await
                .unwrap();
            assert!(matches!(f.state, FlowState::NotLogged { .. }));
            assert_eq!(seen.lock().unwrap().len(), 1);
        }
    }

    const TWO_MATCHES: &str = r#"{"successful":true,"contact":[
        {"id":"z","name":"Zed","mostRecentActivityDate":"2024-01-01T00:00:00Z"},
        {"id":"y","name":"Yan","mostRecentActivityDate":"2025-01-01T00:00:00Z"},
        {"id":"createNewContact","name":"Create new contact...","isNewContact":true}]}"#;

    /// 1.7.0-beta sorts every row, the create row too: "first alphabetical" can pick it.
    #[tokio::test]
    async fn several_matches_follow_the_clients_rules() {
        let (client, seen) = scripted(TWO_MATCHES, CREATED, r#"{"successful":true}"#).await;
        let mut f = flow();
        let _ = f
            .run_automatic(
                &client,
                &auto(
                    UnknownContact::CreatePlaceholder,
                    MultipleContacts::FirstAlphabetical,
                ),
                &call(),
                false,
            )
            .await;
        assert_eq!(sent(&seen, 1)["contactId"], "createNewContact");
        let log_step = f.steps.iter().find(|s| s.step == Step::Log).unwrap();
        assert!(log_step
            .lints
            .iter()
            .any(|l| l.rule == "auto-picks-create-row"));

        let (client, seen) = scripted(TWO_MATCHES, CREATED, r#"{"successful":true}"#).await;
        let mut f = flow();
        let _ = f
            .run_automatic(
                &client,
                &auto(
                    UnknownContact::CreatePlaceholder,
                    MultipleContacts::MostRecentActivity,
                ),
                &call(),
                false,
            )
            .await;
        let log = sent(&seen, 1);
        assert_eq!(log["contactId"], "y");
        assert_eq!(log["contactName"], "Yan");
        assert_eq!(log["logInfo"]["customSubject"], "Inbound Call from Yan");

        let (client, seen) = scripted(TWO_MATCHES, CREATED, "{}").await;
        let mut f = flow();
        f.run_automatic(&client, &AutoSettings::default(), &call(), false)
            .await
            .unwrap();
        assert!(f
            .steps
            .last()
            .unwrap()
            .return_message
            .as_ref()
            .is_some_and(|m| m
                .message
                .as_deref()
                .is_some_and(|t| t.contains("There are multiple matched contacts"))));
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    /// 1.7.0-beta reads the new contact's fields from the first row's `additionalInfo[<type>]`:
    /// the first option of each list; a missing entry throws before anything is created.
    #[tokio::test]
    async fn the_automatic_create_takes_fields_from_the_create_row() {
        let (client, seen) = scripted(
            r#"{"successful":true,"contact":[{"id":"createNewContact","name":"Create new contact...","isNewContact":true,
                "additionalInfo":{"lead":{"source":[{"const":"web","title":"Web"},{"const":"ads","title":"Ads"}],"flag":true}}}]}"#,
            CREATED,
            r#"{"successful":true}"#,
        )
        .await;
        let mut f = flow();
        let settings = AutoSettings {
            contact_type: Some("lead".into()),
            ..AutoSettings::default()
        };
        let _ = f.run_automatic(&client, &settings, &call(), true).await;
        assert_eq!(
            sent(&seen, 1)["additionalSubmission"],
            json!({"source": "web", "flag": true})
        );
        // With no type configured the client reads additionalInfo["null"], which is missing.
        let (client, seen) = scripted(CREATE_ROW_ONLY, CREATED, "{}").await;
        let mut f = flow();
        f.run_automatic(&client, &AutoSettings::default(), &call(), true)
            .await
            .unwrap();
        assert!(matches!(f.state, FlowState::NotLogged { .. }));
        assert_eq!(f.steps.last().unwrap().lints[0].rule, "auto-create-crash");
        assert_eq!(seen.lock().unwrap().len(), 1, "nothing was created");
    }

    #[test]
    fn automatic_names_follow_the_client() {
        assert_eq!(
            auto_placeholder_name("PlaceholderContact", Some("Jane Doe"), "+14155550100"),
            "PlaceholderContactJane Doe +14155550100"
        );
        assert_eq!(
            auto_placeholder_name("PlaceholderContact", None, "+14155550100"),
            "PlaceholderContact +14155550100"
        );
    }

    #[test]
    fn subjects_follow_the_direction() {
        assert_eq!(
            default_subject(Direction::Inbound, "Ada"),
            "Inbound Call from Ada"
        );
        assert_eq!(
            default_subject(Direction::Outbound, "Ada"),
            "Outbound Call to Ada"
        );
    }

    #[test]
    fn states_serialize_with_camel_case_fields_for_the_ui() {
        let v = serde_json::to_value(FlowState::Verified {
            contact: ContactInfo::default(),
            log_id: Some("l".into()),
            session_id: "s".into(),
            contact_found: true,
            log_matched: false,
        })
        .unwrap();
        assert_eq!(v["state"], "verified");
        assert_eq!(v["contactFound"], true, "{v}");
        assert_eq!(v["logMatched"], false);
        assert_eq!(v["sessionId"], "s");
        assert_eq!(v["logId"], "l");
        let v = serde_json::to_value(FlowState::NeedsContact { contacts: vec![] }).unwrap();
        assert_eq!(v["state"], "needsContact");
    }

    #[tokio::test]
    async fn steps_out_of_order_are_refused_without_any_request() {
        let number = crate::phone::parse_input("+14155550100", None).unwrap();
        let mut flow = PlaceholderFlow::new(number, String::new());
        // Port 9 (discard) is never contacted: the state check comes first.
        let client = AppConnectClient::new("http://127.0.0.1:9", "x", None).unwrap();
        let e = flow
            .save(
                &client,
                &platform(),
                "Ada",
                None,
                &call(),
                FormValues::Complete,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, FlowError::OutOfOrder { .. }), "{e}");
        assert!(e.to_string().contains("only after a lookup"));
        assert!(
            flow.steps.is_empty(),
            "no request may be made for a refused step"
        );
    }
}
