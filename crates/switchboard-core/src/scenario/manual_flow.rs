//! The manual placeholder flow as a scenario step drives it (SPEC §6, §8): look the number up,
//! save (create the placeholder from the create row and log the call against it, as the client's
//! one Save does), then verify. All of it is
//! in `run_manual_flow`, the one place to change when the engine's manual flow changes shape.

use crate::flow::{FlowState, FormValues, PlaceholderFlow};
use crate::keychain::SecretStore;
use crate::workbench::view::{CallInput, PhoneInput, SaveInput};
use crate::workbench::{Clock, Workbench};
use crate::UserError;

/// What the flow step asks for.
pub(super) struct FlowRequest {
    pub phone: PhoneInput,
    pub name: String,
    pub contact_type: Option<String>,
    pub call: CallInput,
}

/// How the flow ended: the flow as the engine left it (its steps carry the exchanges), and what
/// stopped it, if something did.
pub(super) struct FlowOutcome {
    pub flow: Option<PlaceholderFlow>,
    pub error: Option<UserError>,
}

impl FlowOutcome {
    /// True when the placeholder is found again and the call is reported as logged.
    pub fn verified(&self) -> bool {
        matches!(
            self.flow.as_ref().map(|f| &f.state),
            Some(FlowState::Verified {
                contact_found: true,
                log_matched: true,
                ..
            })
        )
    }
}

/// Runs the manual placeholder flow through the engine, stopping at the first step that fails.
pub(super) async fn run_manual_flow<S: SecretStore + 'static, C: Clock>(
    wb: &Workbench<S, C>,
    request: FlowRequest,
) -> FlowOutcome {
    let started = match wb.flow_start(&request.phone).await {
        Ok(view) => view,
        Err(error) => {
            return FlowOutcome {
                flow: None,
                error: Some(error),
            }
        }
    };
    if let Some(error) = started.error {
        return FlowOutcome {
            flow: Some(started.flow),
            error: Some(error),
        };
    }
    if let FlowState::Matched { contacts } = &started.flow.state {
        let names: Vec<&str> = contacts
            .iter()
            .filter(|c| !c.is_create_row() && !c.is_new_contact)
            .map(|c| c.display_name())
            .collect();
        let error = UserError::new(
            crate::ErrorCode::FlowOrder,
            format!(
                "{} already has a contact ({}), so no placeholder is made. The flow step needs a number the CRM does not know: pick another, or reset the CRM's data.",
                started.phone.number.e164,
                names.join(", ")
            ),
        );
        return FlowOutcome {
            flow: Some(started.flow),
            error: Some(error),
        };
    }
    let mut flow = started.flow;
    // Each later step: stop at the first that fails, keeping the flow as far as it got.
    macro_rules! next {
        ($call:expr) => {
            match $call.await {
                Ok(view) => {
                    flow = view.flow;
                    if let Some(error) = view.error {
                        return FlowOutcome {
                            flow: Some(flow),
                            error: Some(error),
                        };
                    }
                }
                Err(error) => {
                    return FlowOutcome {
                        flow: Some(flow),
                        error: Some(error),
                    }
                }
            }
        };
    }
    // The client's one Save: create, then log against the created contact. The step gives no
    // field values, so the form's starting values go out, as from an untouched form.
    next!(wb.flow_save(SaveInput {
        name: request.name,
        contact_type: request.contact_type,
        call: request.call,
        form_values: FormValues::OverDefaults,
    }));
    next!(wb.flow_verify());
    FlowOutcome {
        flow: Some(flow),
        error: None,
    }
}
