//! `switchboard flow` and `switchboard verify`: the manual placeholder flow as the client runs it
//! (look up, then one Save: create and log), and SPEC §8's verification on its own.

use clap::Args;
use serde_json::{json, Map, Value};
use switchboard_core::client::Exchange;
use switchboard_core::flow::{FlowState, FormValues, PlaceholderFlow, StepRecord};
use switchboard_core::lint::Lint;
use switchboard_core::wire::Direction;
use switchboard_core::workbench::view::{CallInput, FlowView, SaveInput, CLIENT_BEHAVIOUR};
use switchboard_core::{ErrorCode, UserError};

use crate::{open, Bench, Common, PhoneArgs};

#[derive(Args, Clone)]
pub struct FlowArgs {
    #[command(flatten)]
    pub phone: PhoneArgs,
    /// The new contact's name, as typed in the log form.
    #[arg(long)]
    pub name: String,
    /// Contact type picked in the form (a `value` of contactTypes). Without it the client sends
    /// the create row's defaultContactType, else "".
    #[arg(long = "type")]
    pub contact_type: Option<String>,
    /// A form value of a call-log or new-contact field, by its const (repeatable): true/false for
    /// a checkbox, else text. It replaces the value the client's form starts with (first option of
    /// a selection, a checkbox's or input's defaultValue); every value that is truthy and not
    /// "none" is sent in additionalSubmission (so --field billable=false drops a default-true box).
    #[arg(long = "field", value_name = "CONST=VALUE", value_parser = parse_field)]
    pub fields: Vec<(String, Value)>,
    /// The activity title (default: the client's, "Inbound call from <name>").
    #[arg(long)]
    pub subject: Option<String>,
    #[arg(long, value_parser = ["inbound", "outbound"], default_value = "inbound")]
    pub direction: String,
    /// Call duration in seconds.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    #[arg(long, default_value = "")]
    pub note: String,
    /// Call session id (default: a new one).
    #[arg(long)]
    pub session: Option<String>,
}

#[derive(Args, Clone)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub phone: PhoneArgs,
    /// The call's session id, as logged.
    #[arg(long)]
    pub session: String,
    /// The contact the lookup must return (default: any real match).
    #[arg(long)]
    pub contact: Option<String>,
}

fn parse_field(s: &str) -> Result<(String, Value), String> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| format!("\"{s}\" is not CONST=VALUE (e.g. --field matter=m-1)"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("\"{s}\" has no field const before '='"));
    }
    let value = match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        other => Value::String(other.to_owned()),
    };
    Ok((key.to_owned(), value))
}

/// The flow: lookup, one Save, verify. Fails when a step fails or the verification does not hold.
pub async fn flow(common: &Common, args: FlowArgs) -> Result<(), UserError> {
    args.phone.sendable()?;
    let wb = open(common).await?;
    let started = wb.flow_start(&args.phone.input()).await?;
    let mut view = started;
    let mut stop = view.error.take();
    if stop.is_none() {
        if let FlowState::Matched { contacts } = &view.flow.state {
            let names: Vec<&str> = contacts
                .iter()
                .filter(|c| !c.is_new_contact)
                .map(|c| c.display_name())
                .collect();
            stop = Some(UserError::new(
                ErrorCode::FlowOrder,
                format!(
                    "{} already matches {}: the client would not offer a placeholder. Use a number the CRM does not know.",
                    view.phone.number.e164,
                    names.join(", ")
                ),
            ));
        }
    }
    if stop.is_none() {
        let call = CallInput {
            direction: if args.direction == "outbound" {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            caller_name: None,
            duration_s: args.duration,
            note: args.note.clone(),
            subject: args.subject.clone(),
            started_minutes_ago: 0,
            additional_submission: args.fields.iter().cloned().collect::<Map<_, _>>(),
            session_id: args.session.clone(),
        };
        view = wb
            .flow_save(SaveInput {
                name: args.name.clone(),
                contact_type: args.contact_type.clone(),
                call,
                form_values: FormValues::OverDefaults,
            })
            .await?;
        stop = view.error.take();
    }
    if stop.is_none() {
        view = wb.flow_verify().await?;
        stop = view.error.take();
    }
    report(&wb, &view, stop, common.json).await
}

/// SPEC §8 alone: the number finds the contact, and the session is logged.
pub async fn verify(common: &Common, args: VerifyArgs) -> Result<(), UserError> {
    args.phone.sendable()?;
    let wb = open(common).await?;
    let mut view = wb
        .verify_call(&args.phone.input(), &args.session, args.contact.clone())
        .await?;
    let stop = view.error.take();
    report(&wb, &view, stop, common.json).await
}

fn verified(flow: &PlaceholderFlow) -> bool {
    matches!(
        flow.state,
        FlowState::Verified {
            contact_found: true,
            log_matched: true,
            ..
        }
    )
}

fn parsed(body: Option<&str>) -> Value {
    match body {
        None => Value::Null,
        Some(b) => serde_json::from_str(b).unwrap_or_else(|_| Value::String(b.to_owned())),
    }
}

fn request_json(e: &Exchange, lints: &[Lint]) -> Value {
    json!({
        "method": e.method,
        "url": e.url,
        "status": e.status,
        "ms": e.elapsed_ms,
        "requestBody": parsed(e.request_body.as_deref()),
        "answer": parsed(e.response_body.as_deref()),
        "lints": lints,
    })
}

fn step_json(step: &StepRecord, lints_of: &dyn Fn(&Exchange) -> Vec<Lint>) -> Value {
    json!({
        "step": step.step,
        "ok": step.ok,
        "summary": step.summary,
        "returnMessage": step.return_message,
        "messageSource": step.message_source,
        "findings": step.lints,
        "requests": step.exchanges.iter().map(|e| request_json(e, &lints_of(e))).collect::<Vec<_>>(),
    })
}

async fn report(
    wb: &Bench,
    view: &FlowView,
    stop: Option<UserError>,
    as_json: bool,
) -> Result<(), UserError> {
    let history = wb.history().await;
    let lints_of = |e: &Exchange| -> Vec<Lint> {
        history
            .iter()
            .find(|r| &r.exchange == e)
            .map(|r| r.lints.clone())
            .unwrap_or_default()
    };
    let ok = stop.is_none() && verified(&view.flow);
    if as_json {
        let steps: Vec<Value> = view
            .flow
            .steps
            .iter()
            .map(|s| step_json(s, &lints_of))
            .collect();
        crate::print::json(&json!({
            "client": CLIENT_BEHAVIOUR,
            "number": view.phone.number.e164,
            "steps": steps,
            "state": view.flow.state,
            "verified": verified(&view.flow),
            "error": stop,
        }));
    } else {
        out!("{} ({CLIENT_BEHAVIOUR})", view.phone.number.e164);
        for step in &view.flow.steps {
            let mark = if step.ok { "ok  " } else { "FAIL" };
            out!("{mark} {:?}: {}", step.step, step.summary);
            if let Some(m) = &step.return_message {
                let by = match step.message_source {
                    Some(switchboard_core::wire::MessageSource::Client) => "the client's own",
                    _ => "from the server",
                };
                out!(
                    "     toast [{}] {} ({by})",
                    m.message_type.as_deref().unwrap_or("no type"),
                    m.message.as_deref().unwrap_or("")
                );
            }
            for e in &step.exchanges {
                out!(
                    "     {} {} → {}",
                    e.method,
                    e.url,
                    e.status.map_or("no answer".to_owned(), |s| s.to_string())
                );
                for l in step.lints.iter().chain(lints_of(e).iter()) {
                    out!(
                        "     lint {:?}[{}] {}: {}",
                        l.level,
                        l.rule,
                        l.message,
                        l.why
                    );
                }
            }
        }
    }
    match stop {
        // In --json mode the error is already in the printed object; still exit non-zero.
        Some(e) if as_json => Err(UserError::new(e.code, String::new())),
        Some(e) => Err(e),
        None if ok => Ok(()),
        None => Err(UserError::new(
            ErrorCode::FlowOrder,
            if as_json {
                String::new()
            } else {
                "The verification did not hold (see above).".to_owned()
            },
        )),
    }
}
