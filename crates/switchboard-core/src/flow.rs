//! The create-placeholder-contact flow (SPEC §6–§8, seed 002) as a small state machine:
//! lookup → (no real match) → create with name + type → log a call against the new id →
//! re-lookup and `GET /callLog` to verify. The automatic variant runs the same steps unprompted.
//!
//! Each step records its exchange, so a person sees every request. A failed step leaves the state
//! where it was (a failed create logs nothing) and says why.

use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::client::{AppConnectClient, ClientError, Exchange};
use crate::error::{ErrorCode, UserError};
use crate::phone::ParsedNumber;
use crate::wire::{
    CallLogRequest, ContactInfo, CreateContactRequest, Direction, FindContactResponse, LogInfo,
    Party, ReturnMessage,
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
}

/// One step as it happened.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub step: Step,
    pub ok: bool,
    pub summary: String,
    pub return_message: Option<ReturnMessage>,
    pub exchanges: Vec<Exchange>,
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
    #[error("\"{0}\" is not one of the manifest's contact types.")]
    UnknownContactType(String),
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl From<FlowError> for UserError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Client(c) => c.into(),
            FlowError::EmptyName | FlowError::UnknownContactType(_) => {
                UserError::new(ErrorCode::FlowOrder, e.to_string())
            }
            FlowError::OutOfOrder { .. } => UserError::new(ErrorCode::FlowOrder, e.to_string()),
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

/// Settings of the automatic variant (SPEC §7).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct AutoSettings {
    pub prefix: String,
    /// `None` until an admin sets it; sent as `null`.
    pub contact_type: Option<String>,
}

impl Default for AutoSettings {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PLACEHOLDER_PREFIX.to_owned(),
            contact_type: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct PlaceholderFlow {
    pub number: ParsedNumber,
    pub overriding_format: String,
    pub state: FlowState,
    pub contact_type: Option<String>,
    pub steps: Vec<StepRecord>,
}

fn out_of_order(action: &'static str, state: &FlowState, hint: &'static str) -> FlowError {
    FlowError::OutOfOrder {
        action,
        state: state.name(),
        hint,
    }
}

impl PlaceholderFlow {
    pub fn new(number: ParsedNumber, overriding_format: String) -> Self {
        Self {
            number,
            overriding_format,
            state: FlowState::Ready,
            contact_type: None,
            steps: Vec::new(),
        }
    }

    fn record(
        &mut self,
        step: Step,
        ok: bool,
        summary: String,
        rm: Option<ReturnMessage>,
        ex: Vec<Exchange>,
    ) {
        self.steps.push(StepRecord {
            step,
            ok,
            summary,
            return_message: rm,
            exchanges: ex,
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
        match called.result {
            Ok(resp) => {
                let real = resp.real_matches().count();
                let summary = match real {
                    0 => "No contact matches: a placeholder can be created.".to_owned(),
                    1 => "1 contact matches: no placeholder is needed.".to_owned(),
                    n => format!("{n} contacts match: no placeholder is needed."),
                };
                self.record(
                    Step::Lookup,
                    true,
                    summary,
                    resp.return_message.clone(),
                    vec![called.exchange],
                );
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
                    e.return_message().cloned(),
                    vec![called.exchange],
                );
                Err(e.into())
            }
        }
    }

    /// Step 2: `POST /contact` with the typed name and the chosen type (`None` → `null`).
    pub async fn create(
        &mut self,
        client: &AppConnectClient,
        name: &str,
        contact_type: Option<String>,
        additional_submission: Map<String, Value>,
    ) -> Result<&FlowState, FlowError> {
        if !matches!(self.state, FlowState::NeedsContact { .. }) {
            return Err(out_of_order(
                "create a contact",
                &self.state,
                "A placeholder is created only after a lookup that found no contact.",
            ));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(FlowError::EmptyName);
        }
        let request = CreateContactRequest {
            phone_number: self.number.e164.clone(),
            new_contact_name: name.to_owned(),
            new_contact_type: contact_type.clone(),
            additional_submission,
        };
        let called = client.create_contact(&request).await;
        match called.result {
            Ok(resp) => {
                let contact = resp.contact.clone().unwrap_or_default();
                self.record(
                    Step::Create,
                    true,
                    format!(
                        "Created \"{}\" with id {}.",
                        contact.display_name(),
                        contact.id
                    ),
                    resp.return_message,
                    vec![called.exchange],
                );
                self.contact_type = contact_type;
                self.state = FlowState::Created { contact };
                Ok(&self.state)
            }
            Err(e) => {
                self.record(
                    Step::Create,
                    false,
                    format!("{e} Nothing was logged."),
                    e.return_message().cloned(),
                    vec![called.exchange],
                );
                Err(e.into())
            }
        }
    }

    /// The `POST /callLog` body the client would send for this call and contact.
    pub fn call_log_request(&self, contact: &ContactInfo, call: &SimulatedCall) -> CallLogRequest {
        let name = contact.display_name().to_owned();
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
            contact_id: contact.id.clone(),
            contact_type: self.contact_type.clone().or_else(|| contact.kind.clone()),
            contact_name: name,
            note: call.note.clone(),
            additional_submission: call.additional_submission.clone(),
        }
    }

    /// Step 3: `POST /callLog` against the new contact.
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
        match called.result {
            Ok(resp) => {
                self.record(
                    Step::Log,
                    true,
                    format!(
                        "Logged call {} against {} (log id {}).",
                        call.session_id,
                        contact.id,
                        resp.log_id.as_deref().unwrap_or("not given")
                    ),
                    resp.return_message,
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
                    e.return_message().cloned(),
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
            Ok(r) => r.real_matches().any(|c| c.id == contact.id),
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
            Ok(_) if !contact_found => problems.push(format!(
                "a new lookup of {} does not return contact {}",
                self.number.e164, contact.id
            )),
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
        self.record(Step::Verify, ok, summary, None, exchanges);
        self.state = FlowState::Verified {
            contact,
            log_id,
            session_id,
            contact_found,
            log_matched,
        };
        Ok(&self.state)
    }

    /// The automatic variant: an unknown call creates its placeholder with no prompt, then is logged
    /// and verified. Stops at the first failed step; a matched number creates nothing.
    pub async fn run_automatic(
        &mut self,
        client: &AppConnectClient,
        settings: &AutoSettings,
        call: &SimulatedCall,
    ) -> Result<&FlowState, FlowError> {
        self.lookup(client).await?;
        if matches!(self.state, FlowState::Matched { .. }) {
            return Ok(&self.state);
        }
        let name = auto_placeholder_name(
            &settings.prefix,
            call.caller_name.as_deref(),
            &self.number.e164,
        );
        self.create(client, &name, settings.contact_type.clone(), Map::new())
            .await?;
        self.log_call(client, call).await?;
        self.verify(client).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            .create(&client, "Ada", None, Map::new())
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
