//! Runs a scenario through the workbench engine (the same one the app and the CLI use), on a
//! one-off in-memory profile and keychain: the scenario's secrets come from the environment and
//! never reach the OS keychain. Each step's expectations become [`Check`]s, each expected against
//! what came; every exchange is kept (redacted) with its lints and `_debug` trace.

use std::collections::BTreeSet;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use serde_json::Map;
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use super::contract::{self, Level};
use super::manual_flow::{run_manual_flow, FlowRequest};
use super::report::{
    histogram, masked, BatchFailure, BatchStats, Check, ExchangeRecord, Probe, ScenarioResult,
    StepResult,
};
use super::{
    BatchExpect, BatchSource, ContractExpect, FindExpect, FormatsExpect, LintExpect, Scenario,
    Session, Step, StepKind,
};
use crate::batch::{BatchOptions, Mode};
use crate::flow::FlowState;
use crate::keychain::{Binding, Keychain, MemoryStore, SecretKind, SecretStore};
use crate::lint::LintLevel;
use crate::manifest::AuthType;
use crate::phone;
use crate::profile::{Profile, Profiles};
use crate::sensitive::Sensitive;
use crate::wire::ContactInfo;
use crate::workbench::view::{CallInput, LookupView, PhoneInput};
use crate::workbench::{Clock, SignIn, SystemClock, Workbench};
use crate::UserError;

type Engine = Workbench<MemoryStore, SystemClock>;

/// How a run can be steered from outside.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Set to stop: the current batch reads no further numbers, and no later step starts.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl RunOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Progress, for a terminal display or the app's Runs page.
#[derive(Debug)]
pub enum Event<'a> {
    /// The manifest is open; `problem` says why steps that need a session will not run.
    Opened { problem: Option<&'a str> },
    StepStarted {
        index: usize,
        steps: usize,
        title: &'a str,
        /// For a batch, how many numbers it will look up (when known).
        numbers: Option<u64>,
    },
    /// A batch step's progress.
    BatchProgress { done: u64, failed: u64 },
    /// A finished step (secrets already masked).
    StepFinished(&'a StepResult),
}

/// [`Event`] as it crosses to the web view (the app's Runs page streams these).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RunUpdate {
    Opened {
        problem: Option<String>,
    },
    StepStarted {
        index: usize,
        steps: usize,
        title: String,
        #[ts(type = "number | null")]
        numbers: Option<u64>,
    },
    BatchProgress {
        #[ts(type = "number")]
        done: u64,
        #[ts(type = "number")]
        failed: u64,
    },
    StepFinished {
        step: Box<StepResult>,
    },
}

impl From<&Event<'_>> for RunUpdate {
    fn from(e: &Event<'_>) -> Self {
        match e {
            Event::Opened { problem } => Self::Opened {
                problem: problem.map(str::to_owned),
            },
            Event::StepStarted {
                index,
                steps,
                title,
                numbers,
            } => Self::StepStarted {
                index: *index,
                steps: *steps,
                title: (*title).to_owned(),
                numbers: *numbers,
            },
            Event::BatchProgress { done, failed } => Self::BatchProgress {
                done: *done,
                failed: *failed,
            },
            Event::StepFinished(step) => Self::StepFinished {
                step: Box::new((*step).clone()),
            },
        }
    }
}

/// Runs every step of `scenario` on its own engine (an in-memory keychain, signed in with the
/// scenario's login values or given its `session`) and returns what happened, with every secret
/// masked. `session: keychain` reads the OS keychain (the service `switchboard login` uses).
pub async fn run(
    scenario: &Scenario,
    options: &RunOptions,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> ScenarioResult {
    let keychain = Keychain::from_env();
    run_with(scenario, options, &keychain, on_event).await
}

/// [`run`], with `stored` as the keychain `session: keychain` reads (tests give their own). It is
/// only read, never written: the run's own engine keeps its secrets in memory.
pub async fn run_with(
    scenario: &Scenario,
    options: &RunOptions,
    stored: &dyn SecretStore,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> ScenarioResult {
    let started = Instant::now();
    let mut login = scenario.secrets();
    let (wb, signed_in) = match open(scenario, stored, &mut login).await {
        Ok(pair) => pair,
        Err(e) => {
            let result = ScenarioResult {
                file: scenario.file.clone(),
                name: scenario.name.clone(),
                manifest: scenario.manifest.clone(),
                platform: scenario.platform.clone(),
                server: scenario.server.clone(),
                error: Some(e.message),
                elapsed_ms: elapsed(started),
                ..ScenarioResult::default()
            };
            return masked(result, &login);
        }
    };
    let secrets = || all_secrets(&wb, &login);
    let mut result = run_on(&wb, scenario, options, signed_in.err(), &secrets, on_event).await;
    result.elapsed_ms = elapsed(started);
    result
}

/// Runs the steps of `scenario` on an engine that is already open (and signed in, unless
/// `session_problem` says why not): the app runs pasted numbers on its own engine and session.
/// `secrets` lists the values to mask (asked again after each step: a session may be renewed).
pub async fn run_on<S: SecretStore + 'static, C: Clock>(
    wb: &Workbench<S, C>,
    scenario: &Scenario,
    options: &RunOptions,
    session_problem: Option<String>,
    secrets: &(dyn Fn() -> Vec<String> + Send + Sync),
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> ScenarioResult {
    let started = Instant::now();
    let view = wb.view().await;
    let mut result = ScenarioResult {
        file: scenario.file.clone(),
        name: scenario.name.clone(),
        manifest: scenario.manifest.clone(),
        platform: Some(view.platform.name.clone()),
        server: Some(view.server_url.clone()),
        error: session_problem.clone(),
        ..ScenarioResult::default()
    };
    on_event(Event::Opened {
        problem: session_problem.as_deref(),
    });
    let count = scenario.steps.len();
    for (i, step) in scenario.steps.iter().enumerate() {
        let title = title(step);
        let numbers = match &step.kind {
            StepKind::Batch { source, .. } => count_numbers(source),
            _ => None,
        };
        on_event(Event::StepStarted {
            index: i + 1,
            steps: count,
            title: &title,
            numbers,
        });
        let step_started = Instant::now();
        let mut out = StepResult {
            index: i + 1,
            kind: step.kind.label().to_owned(),
            title,
            line: step.line,
            debug: step.debug.unwrap_or(scenario.debug),
            ..StepResult::default()
        };
        if options.cancelled() {
            out.error = Some("Not run: the run was cancelled.".to_owned());
        } else if let (Some(problem), false) = (
            &session_problem,
            matches!(step.kind, StepKind::Contract { .. }),
        ) {
            out.error = Some(format!("Not run: {problem}"));
        } else {
            wb.set_debug(out.debug).await;
            run_step(wb, scenario, step, options, &mut out, on_event).await;
        }
        out.passed = out.error.is_none() && out.checks.iter().all(|c| c.passed);
        out.elapsed_ms = elapsed(step_started);
        let out = masked(out, &secrets());
        on_event(Event::StepFinished(&out));
        result.steps.push(out);
    }
    wb.set_debug(false).await;
    result.passed = result.error.is_none() && result.steps.iter().all(|s| s.passed);
    result.elapsed_ms = elapsed(started);
    masked(result, &secrets())
}

/// A one-step scenario that looks up pasted numbers (one per line) as a batch, on the engine's
/// open manifest, with the profile's region and formats.
pub fn numbers_scenario(
    numbers: &str,
    concurrency: Option<usize>,
    region: Option<String>,
    formats: Vec<String>,
) -> Scenario {
    let list: Vec<String> = numbers
        .lines()
        .filter_map(crate::batch::number_on)
        .map(str::to_owned)
        .collect();
    Scenario {
        file: "(pasted numbers)".to_owned(),
        name: "Pasted numbers".to_owned(),
        manifest: String::new(),
        platform: None,
        server: None,
        login: Vec::new(),
        session: None,
        hostname: None,
        region: region.filter(|r| !r.trim().is_empty()),
        formats,
        debug: false,
        steps: vec![Step {
            line: None,
            title: None,
            debug: None,
            kind: StepKind::Batch {
                source: BatchSource::List(list),
                concurrency: concurrency.filter(|&n| n > 0),
                expect: BatchExpect::default(),
            },
        }],
    }
}

fn elapsed(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The scenario's login values and every session token the run was given.
fn all_secrets(wb: &Engine, login: &[String]) -> Vec<String> {
    let store = wb.store();
    let mut out = login.to_vec();
    for account in store.accounts() {
        if let Ok(Some(v)) = store.get(&account) {
            out.push(v.expose().clone());
        }
    }
    out
}

/// The engine on a one-off profile, with the manifest, platform and server open; then the sign-in
/// or the given session (its failure is kept: steps that need no session still run). A session
/// read from `stored` is added to `secrets`.
async fn open(
    scenario: &Scenario,
    stored: &dyn SecretStore,
    secrets: &mut Vec<String>,
) -> Result<(Engine, Result<(), String>), UserError> {
    let profiles = Profiles::in_memory(Profile {
        name: "scenario".to_owned(),
        server_url: scenario.server.clone(),
        platform: scenario.platform.clone(),
        hostname: scenario.hostname.clone(),
        region: scenario.region.clone().unwrap_or_default(),
        formats: scenario.formats.clone(),
        ..Profile::default()
    })
    .map_err(UserError::from)
    .map_err(|e| UserError::new(e.code, format!("{}: {}", scenario.file, e.message)))?;
    let wb = Engine::new(
        profiles,
        MemoryStore::new(),
        SystemClock,
        None,
        "switchboard-scenario",
    );
    let view = wb.open_manifest(&scenario.manifest).await?;
    if let Some(wanted) = &scenario.platform {
        if &view.platform.name != wanted {
            wb.select_platform(wanted).await?;
        }
    }
    wb.set_debug(scenario.debug).await;
    if let Some(session) = &scenario.session {
        let given = match use_session(&wb, scenario, session, stored).await {
            Ok(read) => {
                secrets.extend(read.map(|t| t.expose().clone()));
                Ok(())
            }
            Err(why) => Err(why),
        };
        return Ok((wb, given));
    }
    let platform = wb.view().await.platform;
    let oauth = platform.auth_type == AuthType::OAuth;
    if scenario.login.is_empty() {
        let how = if oauth {
            format!(
                "{} signs in with OAuth, which needs a browser: sign in once with `{}`, then add session: keychain to the scenario, or give a session token with session: {{ jwt: ${{APP_CONNECT_JWT}} }}.",
                platform.display_name,
                login_command(scenario, &platform.name, oauth)
            )
        } else {
            "Add them, with secrets from the environment: login: { apiKey: ${MY_API_KEY} }, or use a session: session: keychain (after `switchboard login`) or session: { jwt: ${APP_CONNECT_JWT} }.".to_owned()
        };
        return Ok((
            wb,
            Err(format!(
                "the scenario has no login values, so nothing is signed in to {}. {how}",
                platform.name
            )),
        ));
    }
    if oauth {
        return Ok((
            wb,
            Err(format!(
                "{} signs in with OAuth, not with login values. Sign in once with `{}` and replace login with session: keychain, or give a session token with session: {{ jwt: ${{APP_CONNECT_JWT}} }}.",
                platform.display_name,
                login_command(scenario, &platform.name, oauth)
            )),
        ));
    }
    let signed = wb
        .sign_in(SignIn {
            fields: scenario
                .login
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().clone()))
                .collect(),
            hostname: scenario.hostname.clone(),
            remember: false,
        })
        .await
        .map(|_| ())
        .map_err(|e| format!("sign-in failed: {}", e.message));
    Ok((wb, signed))
}

/// Gives the engine the scenario's `session`: the token from the environment, or the one stored
/// in `stored` (the OS keychain) for the server and platform now open. It goes to the engine's
/// in-memory store under that binding and the client takes it from there, as it takes a stored
/// session in the app. Yields the token read from the keychain (to mask), or why there is none.
async fn use_session(
    wb: &Engine,
    scenario: &Scenario,
    session: &Session,
    stored: &dyn SecretStore,
) -> Result<Option<Sensitive<String>>, String> {
    let view = wb.view().await;
    let platform = view.platform.name.clone();
    let binding = Binding::new(&view.server_url, &platform, None).map_err(|e| e.message)?;
    let account = binding.account(SecretKind::Session);
    let (token, read) = match session {
        Session::Jwt(token) => (token.clone(), None),
        Session::Keychain => match stored.get(&account) {
            Ok(Some(token)) => (token.clone(), Some(token)),
            Ok(None) => {
                return Err(format!(
                    "no session is stored in the OS keychain for {}. Sign in once with `{}` (the same server and platform), then run the scenario again.",
                    binding.describe(),
                    login_command(scenario, &platform, view.platform.auth_type == AuthType::OAuth)
                ))
            }
            Err(e) => return Err(format!("session: keychain could not be read: {e}")),
        },
    };
    wb.store()
        .set(&account, &token)
        .map_err(|e| e.to_string())?;
    // Re-opening the platform restores the session stored for its binding.
    wb.select_platform(&platform).await.map_err(|e| e.message)?;
    if !wb.view().await.session.signed_in {
        return Err(format!(
            "the session could not be given to {}.",
            binding.describe()
        ));
    }
    Ok(read)
}

/// The `switchboard login` command that stores a session for the scenario's manifest, platform
/// and server, for messages.
fn login_command(scenario: &Scenario, platform: &str, oauth: bool) -> String {
    let quote = |w: &str| {
        let safe = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,%".contains(c));
        if safe {
            w.to_owned()
        } else {
            format!("'{}'", w.replace('\'', r"'\''"))
        }
    };
    let mut words = vec!["switchboard".to_owned()];
    if scenario.manifest != crate::manifest::SANDBOX_SOURCE {
        words.extend(["--manifest".to_owned(), quote(&scenario.manifest)]);
    }
    if scenario.platform.is_some() {
        words.extend(["--platform".to_owned(), quote(platform)]);
    }
    if let Some(server) = &scenario.server {
        words.extend(["--server".to_owned(), quote(server)]);
    }
    words.push("login".to_owned());
    if !oauth {
        words.push("--api-key <key>".to_owned());
    }
    words.join(" ")
}

fn title(step: &Step) -> String {
    if let Some(t) = &step.title {
        return t.clone();
    }
    match &step.kind {
        StepKind::Find { number, .. } => format!("find {number}"),
        StepKind::Flow { number, name, .. } => format!("flow {number} ({name})"),
        StepKind::Batch {
            source,
            concurrency,
            ..
        } => {
            let what = match source {
                BatchSource::File(p) => p
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| p.display().to_string()),
                BatchSource::List(l) => format!("{} numbers", l.len()),
            };
            match concurrency {
                Some(n) => format!("batch {what} ({n} at once)"),
                None => format!("batch {what} (one at a time)"),
            }
        }
        StepKind::Formats { number, .. } => format!("formats {number}"),
        StepKind::Contract { .. } => "contract (implementedInterfaces)".to_owned(),
    }
}

fn count_numbers(source: &BatchSource) -> Option<u64> {
    let count = |text: &str| {
        text.lines()
            .filter(|l| crate::batch::number_on(l).is_some())
            .count() as u64
    };
    match source {
        BatchSource::List(l) => Some(l.len() as u64),
        BatchSource::File(p) => std::fs::read(p)
            .ok()
            .map(|b| count(&String::from_utf8_lossy(&b))),
    }
}

async fn run_step<S: SecretStore + 'static, C: Clock>(
    wb: &Workbench<S, C>,
    scenario: &Scenario,
    step: &Step,
    options: &RunOptions,
    out: &mut StepResult,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) {
    let phone = |number: &str, formats: Option<&Vec<String>>| PhoneInput {
        input: number.to_owned(),
        region: scenario.region.clone(),
        formats: formats.unwrap_or(&scenario.formats).clone(),
    };
    match &step.kind {
        StepKind::Find {
            number,
            formats,
            expect,
        } => match wb.find_contact(&phone(number, formats.as_ref())).await {
            Ok(view) => find_checks(view, expect, out),
            Err(e) => out.error = Some(e.message),
        },
        StepKind::Flow {
            number,
            name,
            contact_type,
            direction,
            caller_name,
            note,
            expect,
        } => {
            let outcome = run_manual_flow(
                wb,
                FlowRequest {
                    phone: phone(number, None),
                    name: name.clone(),
                    contact_type: contact_type.clone(),
                    call: CallInput {
                        direction: *direction,
                        caller_name: caller_name.clone(),
                        duration_s: 60,
                        note: note.clone(),
                        subject: None,
                        started_minutes_ago: 0,
                        additional_submission: Map::new(),
                        session_id: None,
                    },
                },
            )
            .await;
            // Nothing ran (an invalid number, no session): the step could not run, which is not
            // the connector failing a verification, whatever `expect.verified` says.
            if let (None, Some(e)) = (&outcome.flow, &outcome.error) {
                out.error = Some(e.message.clone());
                return;
            }
            let verified = outcome.verified();
            if let Some(flow) = &outcome.flow {
                for record in &flow.steps {
                    for (i, e) in record.exchanges.iter().enumerate() {
                        let lints = if i == 0 { record.lints.as_slice() } else { &[] };
                        out.exchanges.push(ExchangeRecord::new(e.clone(), lints));
                    }
                }
            }
            let got = match (&outcome.flow, &outcome.error) {
                (_, Some(e)) => format!(
                    "stopped{}: {}",
                    outcome
                        .flow
                        .as_ref()
                        .map(|f| format!(" at {}", state_name(&f.state)))
                        .unwrap_or_default(),
                    e.message
                ),
                (Some(f), None) => match &f.state {
                    FlowState::Verified {
                        contact_found,
                        log_matched,
                        contact,
                        ..
                    } => format!(
                        "contact {} {}, call log {}",
                        contact.id,
                        if *contact_found {
                            "found again"
                        } else {
                            "NOT found again"
                        },
                        if *log_matched {
                            "matched"
                        } else {
                            "NOT matched"
                        }
                    ),
                    other => format!("stopped at {}", state_name(other)),
                },
                (None, None) => "nothing ran".to_owned(),
            };
            out.checks.push(Check::new(
                "verified",
                expect.verified,
                if verified {
                    format!("true ({got})")
                } else {
                    format!("false ({got})")
                },
                verified == expect.verified,
            ));
        }
        StepKind::Batch {
            source,
            concurrency,
            expect,
        } => {
            batch_step(
                wb,
                scenario,
                source,
                *concurrency,
                expect,
                options,
                out,
                on_event,
            )
            .await
        }
        StepKind::Formats {
            number,
            contact,
            formats,
            expect,
        } => {
            let formats = formats.as_ref().unwrap_or(&scenario.formats);
            formats_step(
                wb,
                scenario,
                number,
                contact.as_deref(),
                formats,
                expect,
                out,
            )
            .await
        }
        StepKind::Contract { expect } => contract_step(wb, expect, out).await,
    }
}

fn state_name(s: &FlowState) -> &'static str {
    match s {
        FlowState::Ready => "the start",
        FlowState::Matched { .. } => "the lookup (the number matched)",
        FlowState::NeedsContact { .. } => "the lookup (creating the placeholder)",
        FlowState::Created { .. } => "the create (logging the call)",
        FlowState::Logged { .. } => "the call log (verifying)",
        FlowState::Verified { .. } => "verify",
        _ => "a step the manual flow does not reach",
    }
}

/// A row the client treats as "Create new contact...".
fn is_create(c: &ContactInfo) -> bool {
    c.is_create_row() || c.is_new_contact
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "[]".to_owned()
    } else {
        format!("[{}]", items.join(", "))
    }
}

fn find_checks(view: LookupView, expect: &FindExpect, out: &mut StepResult) {
    out.exchanges
        .push(ExchangeRecord::new(view.exchange.clone(), &view.lints));
    let want_ok = expect.ok.unwrap_or(true);
    let got_ok = view.error.is_none();
    out.checks.push(Check::new(
        "lookup",
        if want_ok { "succeeds" } else { "fails" },
        match &view.error {
            None => "succeeded".to_owned(),
            Some(e) => format!("failed: {}", e.message),
        },
        want_ok == got_ok,
    ));
    let Some(resp) = view.response.as_ref() else {
        return;
    };
    let real: Vec<&ContactInfo> = resp.contact.iter().filter(|c| !is_create(c)).collect();
    if let Some(n) = expect.contacts {
        out.checks
            .push(Check::new("contacts", n, real.len(), real.len() == n));
    }
    if let Some(names) = &expect.names {
        let mut want = names.clone();
        want.sort();
        let mut got: Vec<String> = real.iter().map(|c| c.display_name().to_owned()).collect();
        got.sort();
        let passed = want == got;
        out.checks
            .push(Check::new("names", list(&want), list(&got), passed));
    }
    if let Some(want) = expect.create_row {
        let got = resp.contact.iter().any(is_create);
        out.checks
            .push(Check::new("createRow", want, got, want == got));
    }
    if let Some(want) = &expect.lints {
        let errors: Vec<String> = view
            .lints
            .iter()
            .filter(|l| l.level == LintLevel::Error)
            .map(|l| l.rule.to_owned())
            .collect();
        let rules: BTreeSet<String> = view.lints.iter().map(|l| l.rule.to_owned()).collect();
        let rules: Vec<String> = rules.into_iter().collect();
        let (expected, got, passed) = match want {
            LintExpect::NoErrors => (
                "no-errors".to_owned(),
                if errors.is_empty() {
                    "no errors".to_owned()
                } else {
                    format!("errors {}", list(&errors))
                },
                errors.is_empty(),
            ),
            LintExpect::None => ("none".to_owned(), list(&rules), rules.is_empty()),
            LintExpect::Rules(r) => {
                let want: BTreeSet<String> = r.iter().cloned().collect();
                let want: Vec<String> = want.into_iter().collect();
                let passed = want == rules;
                (list(&want), list(&rules), passed)
            }
        };
        out.checks.push(Check::new("lints", expected, got, passed));
    }
    if let Some(text) = &expect.message {
        let got = view
            .return_message
            .as_ref()
            .and_then(|m| m.message.clone())
            .unwrap_or_default();
        let passed = got.contains(text.as_str());
        out.checks.push(Check::new(
            "message",
            format!("containing \"{text}\""),
            if got.is_empty() {
                "no message".to_owned()
            } else {
                format!("\"{got}\"")
            },
            passed,
        ));
    }
    if let Some(max) = expect.max_ms {
        let ms = view.exchange.elapsed_ms;
        out.checks.push(Check::new(
            "time",
            format!("at most {max} ms"),
            format!("{ms} ms"),
            ms <= max,
        ));
    }
}

/// Reads nothing more once cancelled, so a batch ends with what it has.
struct Cancellable<R> {
    inner: R,
    cancel: Option<Arc<AtomicBool>>,
}

impl<R> Cancellable<R> {
    fn stopped(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Cancellable<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.stopped() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Cancellable<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.stopped() {
            return Poll::Ready(Ok(&[]));
        }
        Pin::new(&mut this.inner).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        Pin::new(&mut this.inner).consume(amt);
    }
}

#[allow(clippy::too_many_arguments)]
async fn batch_step<S: SecretStore + 'static, C: Clock>(
    wb: &Workbench<S, C>,
    scenario: &Scenario,
    source: &BatchSource,
    concurrency: Option<usize>,
    expect: &BatchExpect,
    options: &RunOptions,
    out: &mut StepResult,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) {
    let input: Box<dyn AsyncBufRead + Unpin + Send> = match source {
        BatchSource::List(numbers) => {
            let mut text = numbers.join("\n");
            text.push('\n');
            Box::new(std::io::Cursor::new(text.into_bytes()))
        }
        BatchSource::File(path) => match tokio::fs::File::open(path).await {
            Ok(f) => Box::new(tokio::io::BufReader::new(f)),
            Err(e) => {
                out.error = Some(format!(
                    "Could not read the numbers file {} ({e}). Paths are relative to the scenario file.",
                    path.display()
                ));
                return;
            }
        },
    };
    let input = Cancellable {
        inner: input,
        cancel: options.cancel.clone(),
    };
    let mode = match concurrency {
        Some(n) => Mode::Concurrent(n),
        None => Mode::Mirror,
    };
    let batch_options = BatchOptions {
        mode,
        region: scenario.region.clone(),
        formats: scenario.formats.clone(),
        keep_failures: 50,
    };
    let (mut done, mut failed) = (0u64, 0u64);
    let summary = wb
        .batch(input, &batch_options, |r| {
            done += 1;
            if !r.ok() {
                failed += 1;
            }
            on_event(Event::BatchProgress { done, failed });
        })
        .await;
    let summary = match summary {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(e.message);
            return;
        }
    };
    let rate_limited = summary.rate_limited();
    let stats = BatchStats {
        mode: match mode {
            Mode::Mirror => "one at a time, with the contact cache, as the client".to_owned(),
            Mode::Concurrent(n) => format!("{n} at once"),
        },
        count: summary.count,
        sent: summary.sent,
        cached: summary.cached,
        ok: summary.ok,
        errors: summary.errors,
        errors_by_kind: summary
            .errors_by_kind
            .iter()
            .map(|(k, n)| (k.label().to_owned(), *n))
            .collect(),
        rate_limited,
        lint_errors: summary.lint_errors,
        p50_ms: summary.p50_ms,
        p95_ms: summary.p95_ms,
        max_ms: summary.max_ms,
        per_second: if summary.per_second.is_finite() {
            summary.per_second
        } else {
            0.0
        },
        stopped: summary.stopped.clone(),
        histogram: histogram(&summary.latencies),
        failures: summary
            .failures
            .iter()
            .map(|f| BatchFailure {
                line: f.line,
                input: f.input.clone(),
                kind: f.error.map(|k| k.label()).unwrap_or("").to_owned(),
                status: f.status,
                message: f.message.clone(),
                ms: f.ms,
                exchange: f
                    .exchange
                    .as_ref()
                    .map(|e| ExchangeRecord::new((**e).clone(), &[])),
            })
            .collect(),
    };
    if let Some(why) = &summary.stopped {
        out.error = Some(why.clone());
    }
    if options.cancelled() {
        out.error = Some(format!("Cancelled after {} of the numbers.", summary.count));
    }
    let describe = |kinds: &std::collections::BTreeMap<String, usize>| {
        if kinds.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
            format!(" ({})", parts.join(", "))
        }
    };
    let exact_errors = expect.errors.or((expect.max_errors.is_none()).then_some(0));
    if let Some(n) = exact_errors {
        out.checks.push(Check::new(
            "errors",
            n,
            format!("{}{}", summary.errors, describe(&stats.errors_by_kind)),
            summary.errors == n,
        ));
    }
    if let Some(n) = expect.max_errors {
        out.checks.push(Check::new(
            "errors",
            format!("at most {n}"),
            format!("{}{}", summary.errors, describe(&stats.errors_by_kind)),
            summary.errors <= n,
        ));
    }
    if let Some(n) = expect.rate_limited {
        out.checks.push(Check::new(
            "rateLimited",
            n,
            rate_limited,
            rate_limited == n,
        ));
    }
    if let Some(n) = expect.lint_errors {
        out.checks.push(Check::new(
            "lintErrors",
            n,
            summary.lint_errors,
            summary.lint_errors == n,
        ));
    }
    for (what, limit, got) in [
        ("p50", expect.p50_ms, summary.p50_ms),
        ("p95", expect.p95_ms, summary.p95_ms),
        ("max", expect.max_ms, summary.max_ms),
    ] {
        if let Some(limit) = limit {
            out.checks.push(Check::new(
                what,
                format!("at most {limit} ms"),
                got.map(|g| format!("{g} ms"))
                    .unwrap_or_else(|| "no answers".to_owned()),
                got.is_some_and(|g| g <= limit),
            ));
        }
    }
    out.batch = Some(stats);
}

/// The national format of a number as an overriding format: `(415) 555-0100` → `(***) ***-****`.
/// Digits before the national significant number (a trunk prefix such as the UK's 0) stay.
pub(super) fn national_template(number: &phone::ParsedNumber) -> Option<String> {
    if !number.valid || number.is_extension {
        return None;
    }
    let parsed = phonenumber::parse(None, &number.e164).ok()?;
    let national = parsed
        .format()
        .mode(phonenumber::Mode::National)
        .to_string();
    let digits = national.chars().filter(char::is_ascii_digit).count();
    let keep = digits.checked_sub(number.significant.len())?;
    let mut seen = 0;
    let template: String = national
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen > keep {
                    return '*';
                }
            }
            c
        })
        .collect();
    // A format with a comma cannot be sent (formats are comma-joined).
    (!template.contains(',')).then_some(template)
}

async fn formats_step<S: SecretStore + 'static, C: Clock>(
    wb: &Workbench<S, C>,
    scenario: &Scenario,
    number: &str,
    contact: Option<&str>,
    formats: &[String],
    expect: &FormatsExpect,
    out: &mut StepResult,
) {
    let parsed = match phone::parse_sendable(number, scenario.region.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            out.error = Some(UserError::from(e).message);
            return;
        }
    };
    let mut probes: Vec<(String, Option<String>)> = vec![("E.164".to_owned(), None)];
    if let Some(t) = national_template(&parsed) {
        probes.push(("national".to_owned(), Some(t)));
    }
    for f in formats.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        probes.push((f.to_owned(), Some(f.to_owned())));
    }
    let mut max_ms = 0u64;
    for (label, format) in probes {
        let input = PhoneInput {
            input: number.to_owned(),
            region: scenario.region.clone(),
            formats: format.clone().into_iter().collect(),
        };
        let searched = match &format {
            None => parsed.e164.clone(),
            Some(f) => phone::fill_format(f, &parsed.significant),
        };
        let mut probe = Probe {
            label,
            overriding_format: format.clone().unwrap_or_default(),
            searched,
            found: false,
            ms: None,
            status: None,
            error: None,
        };
        match wb.find_contact(&input).await {
            Ok(view) => {
                probe.ms = Some(view.exchange.elapsed_ms);
                probe.status = view.exchange.status;
                max_ms = max_ms.max(view.exchange.elapsed_ms);
                probe.found = view.response.as_ref().is_some_and(|r| {
                    r.contact
                        .iter()
                        .filter(|c| !is_create(c))
                        .any(|c| match contact {
                            Some(want) => c.id == want || c.name.as_deref() == Some(want),
                            None => true,
                        })
                });
                probe.error = view.error.map(|e| e.message);
                out.exchanges
                    .push(ExchangeRecord::new(view.exchange, &view.lints));
            }
            Err(e) => probe.error = Some(e.message),
        }
        out.probes.push(probe);
    }
    let found: Vec<String> = out
        .probes
        .iter()
        .filter(|p| p.found)
        .map(|p| p.label.clone())
        .collect();
    let labels: Vec<String> = out.probes.iter().map(|p| p.label.clone()).collect();
    let unknown = |wanted: &[String]| -> Vec<String> {
        wanted
            .iter()
            .filter(|w| !labels.contains(w))
            .cloned()
            .collect()
    };
    let who = contact.unwrap_or("a contact");
    match &expect.found {
        Some(want) => {
            let mut w = want.clone();
            w.sort();
            let mut g = found.clone();
            g.sort();
            let missing = unknown(want);
            let got = if missing.is_empty() {
                list(&g)
            } else {
                format!(
                    "{} (no probe is called {}; the probes are {})",
                    list(&g),
                    missing.join(", "),
                    list(&labels)
                )
            };
            out.checks
                .push(Check::new(&format!("found {who}"), list(&w), got, w == g));
        }
        None if expect.not_found.is_none() => out.checks.push(Check::new(
            &format!("found {who}"),
            "by at least one probe",
            if found.is_empty() {
                "by none".to_owned()
            } else {
                list(&found)
            },
            !found.is_empty(),
        )),
        None => {}
    }
    if let Some(not) = &expect.not_found {
        let wrongly: Vec<String> = not.iter().filter(|n| found.contains(n)).cloned().collect();
        out.checks.push(Check::new(
            &format!("not found {who}"),
            format!("not by {}", list(not)),
            if wrongly.is_empty() {
                format!("found only by {}", list(&found))
            } else {
                format!("found by {}", list(&wrongly))
            },
            wrongly.is_empty(),
        ));
    }
    if let Some(limit) = expect.max_ms {
        out.checks.push(Check::new(
            "time",
            format!("every probe at most {limit} ms"),
            format!("slowest {max_ms} ms"),
            max_ms <= limit,
        ));
    }
}

async fn contract_step<S: SecretStore + 'static, C: Clock>(
    wb: &Workbench<S, C>,
    expect: &ContractExpect,
    out: &mut StepResult,
) {
    let view = match wb.implemented_interfaces().await {
        Ok(v) => v,
        Err(e) => {
            out.error = Some(e.message);
            return;
        }
    };
    out.exchanges
        .push(ExchangeRecord::new(view.exchange.clone(), &view.lints));
    let interfaces = match view.interfaces {
        Ok(m) => m,
        Err(e) => {
            out.error = Some(format!(
                "GET /implementedInterfaces did not answer with the capability map: {}",
                e.message
            ));
            return;
        }
    };
    let findings = contract::check(&view.platform_name, &view.platform, &interfaces);
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let codes: BTreeSet<String> = findings.iter().map(|f| f.code.clone()).collect();
    let codes: Vec<String> = codes.into_iter().collect();
    if let Some(want) = &expect.findings {
        let w: BTreeSet<String> = want.iter().cloned().collect();
        let w: Vec<String> = w.into_iter().collect();
        let unknown: Vec<&String> = w
            .iter()
            .filter(|c| !contract::CODES.contains(&c.as_str()))
            .collect();
        let got = if unknown.is_empty() {
            list(&codes)
        } else {
            format!(
                "{} (no finding is called {}; see docs/SCENARIOS.md)",
                list(&codes),
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.checks
            .push(Check::new("findings", list(&w), got, w == codes));
    }
    let exact = expect.errors.or(expect.findings.is_none().then_some(0));
    if let Some(n) = exact {
        let error_codes: Vec<String> = findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .map(|f| f.code.clone())
            .collect();
        out.checks.push(Check::new(
            "contract errors",
            n,
            if error_codes.is_empty() {
                "0".to_owned()
            } else {
                format!("{errors} {}", list(&error_codes))
            },
            errors == n,
        ));
    }
    out.findings = findings;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_templates_keep_trunk_prefixes() {
        let us = phone::parse_input("+14155550100", None).unwrap();
        assert_eq!(national_template(&us).as_deref(), Some("(***) ***-****"));
        let uk = phone::parse_input("+442071838750", None).unwrap();
        let t = national_template(&uk).unwrap();
        assert!(t.starts_with('0'), "{t}");
        assert_eq!(phone::fill_format(&t, &uk.significant), "020 7183 8750");
        let ext = phone::parse_input("101", None).unwrap();
        assert_eq!(national_template(&ext), None);
    }
}

#[cfg(test)]
mod engine_tests {
    use super::*;
    use crate::scenario::parse;
    use crate::test_http::{answer_json, read_request};
    use std::path::Path;
    use std::sync::atomic::AtomicUsize;

    const KEY: &str = "unit-key-5f0c2e";
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.unit.tok3n";

    /// Signs in, and answers every lookup with no match and a message that echoes both secrets.
    async fn server(lookups: Arc<AtomicUsize>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let lookups = lookups.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else {
                        return;
                    };
                    if req.target().starts_with("/apiKeyLogin") {
                        answer_json(
                            &mut stream,
                            &format!(r#"{{"jwtToken":"{TOKEN}","name":"Unit"}}"#),
                        )
                        .await;
                    } else {
                        lookups.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        let body = format!(
                            r#"{{"successful":true,"contact":[],"returnMessage":{{"message":"key {KEY}, token {TOKEN}","messageType":"warning","ttl":3000}}}}"#
                        );
                        answer_json(&mut stream, &body).await;
                    }
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn cancel_stops_a_batch_and_the_steps_after_it_and_secrets_never_show() {
        let lookups = Arc::new(AtomicUsize::new(0));
        let url = server(lookups.clone()).await;
        let numbers: Vec<String> = (0..40)
            .map(|i| format!("\"+1415555{:04}\"", 3000 + i))
            .collect();
        let text = format!(
            "manifest: bundled:sandbox\nserver: {url}\nlogin: {{ apiKey: ${{KEY}} }}\nsteps:\n  - find: \"+14155550100\"\n    expect: {{ message: unit-key }}\n  - batch: [{}]\n  - find: \"+14155550100\"\n",
            numbers.join(", ")
        );
        let scenario = parse(&text, Path::new("unit.yaml"), &|n| {
            (n == "KEY").then(|| KEY.to_owned())
        })
        .unwrap();
        let cancel = Arc::new(AtomicBool::new(false));
        let options = RunOptions {
            cancel: Some(cancel.clone()),
        };
        let mut events = Vec::new();
        let result = run(&scenario, &options, &mut |e| {
            match &e {
                Event::BatchProgress { done, .. } if *done == 3 => {
                    cancel.store(true, Ordering::SeqCst)
                }
                _ => {}
            }
            events.push(format!("{e:?}"));
        })
        .await;
        assert!(result.error.is_none(), "{:?}", result.error);
        // The first lookup ran; its message quoted both secrets, masked now.
        let first = &result.steps[0];
        assert!(first.passed, "{:?}", first.checks);
        let batch = &result.steps[1];
        let stats = batch.batch.as_ref().unwrap();
        assert!(stats.count < 20, "the batch stopped early: {}", stats.count);
        assert!(
            batch
                .error
                .as_deref()
                .unwrap()
                .starts_with("Cancelled after"),
            "{:?}",
            batch.error
        );
        assert!(!batch.passed);
        assert_eq!(
            result.steps[2].error.as_deref(),
            Some("Not run: the run was cancelled.")
        );
        assert!(lookups.load(Ordering::SeqCst) < 21);
        let all = serde_json::to_string(&result).unwrap() + &events.join("\n");
        assert!(!all.contains(KEY), "{all}");
        assert!(!all.contains(TOKEN), "{all}");
        assert!(all.contains("<redacted>"));
    }
}

#[cfg(test)]
mod session_tests {
    use super::*;
    use crate::scenario::parse;
    use crate::test_http::{answer_json, read_request};
    use std::path::Path;
    use std::sync::Mutex;
    use tokio::io::AsyncWriteExt as _;

    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c2Vzc2lvbg.s3ss10n-t0ken";

    /// A connector that accepts only TOKEN (HTTP 401 otherwise) and quotes it back in its
    /// message, so a report that failed to mask it would show it. Records every request target.
    async fn server(seen: Arc<Mutex<Vec<String>>>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else {
                        return;
                    };
                    seen.lock().unwrap().push(req.target().to_owned());
                    if !req.target().contains(&format!("jwtToken={TOKEN}")) {
                        let body = r#"{"successful":false}"#;
                        let head = format!(
                            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(head.as_bytes()).await;
                        let _ = stream.write_all(body.as_bytes()).await;
                        return;
                    }
                    let body = format!(
                        r#"{{"successful":true,"contact":[{{"id":"7","name":"Ada Lovelace"}}],"returnMessage":{{"message":"hello {TOKEN}","messageType":"success","ttl":3000}}}}"#
                    );
                    answer_json(&mut stream, &body).await;
                });
            }
        });
        url
    }

    fn scenario(url: &str, session: &str) -> Scenario {
        let text = format!(
            "manifest: bundled:sandbox\nserver: {url}\n{session}\nsteps:\n  - find: \"+14155550100\"\n    expect: {{ contacts: 1, message: hello }}\n"
        );
        parse(&text, Path::new("session.yaml"), &|n| {
            (n == "APP_CONNECT_JWT").then(|| TOKEN.to_owned())
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_jwt_from_the_environment_is_used_and_never_shown() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let url = server(seen.clone()).await;
        let sc = scenario(&url, "session: { jwt: ${APP_CONNECT_JWT} }");
        let keychain = MemoryStore::new();
        let mut events = Vec::new();
        let result = run_with(&sc, &RunOptions::default(), &keychain, &mut |e| {
            events.push(format!("{e:?}"))
        })
        .await;
        assert!(result.error.is_none(), "{:?}", result.error);
        assert!(
            result.passed,
            "the server accepts only the given token: {:?}",
            result.steps
        );
        let targets = seen.lock().unwrap().clone();
        assert!(
            targets.iter().all(|t| !t.starts_with("/apiKeyLogin")),
            "no sign-in is sent: {targets:?}"
        );
        let all = serde_json::to_string(&result).unwrap() + &events.join("\n");
        assert!(
            !all.contains(TOKEN),
            "the token is masked everywhere: {all}"
        );
        assert!(all.contains("hello <redacted>"), "{all}");
        assert!(
            keychain.accounts().is_empty(),
            "nothing is written to the keychain"
        );
    }

    #[tokio::test]
    async fn the_keychain_session_for_this_server_is_used() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let url = server(seen.clone()).await;
        let sc = scenario(&url, "session: keychain");
        let keychain = MemoryStore::new();
        let binding = Binding::new(&url, "sandbox", None).unwrap();
        // A session for another server is not sent here.
        let elsewhere = Binding::new("http://127.0.0.1:1", "sandbox", None).unwrap();
        keychain
            .set(
                &elsewhere.account(SecretKind::Session),
                &Sensitive::new(TOKEN.to_owned()),
            )
            .unwrap();

        let missing = run_with(&sc, &RunOptions::default(), &keychain, &mut |_| {}).await;
        let why = missing.error.clone().unwrap_or_default();
        assert!(
            why.contains(&format!(
                "no session is stored in the OS keychain for sandbox at {}",
                binding.origin
            )),
            "{why}"
        );
        assert!(
            why.contains(&format!(
                "`switchboard --server {url} login --api-key <key>`"
            )),
            "the message names the login command to run: {why}"
        );
        assert!(!missing.passed);
        assert!(
            missing.steps[0]
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("Not run: no session")),
            "{:?}",
            missing.steps[0].error
        );
        assert!(seen.lock().unwrap().is_empty(), "nothing was sent");

        keychain
            .set(
                &binding.account(SecretKind::Session),
                &Sensitive::new(TOKEN.to_owned()),
            )
            .unwrap();
        let result = run_with(&sc, &RunOptions::default(), &keychain, &mut |_| {}).await;
        assert!(result.passed, "{:?} {:?}", result.error, result.steps);
        let all = serde_json::to_string(&result).unwrap();
        assert!(!all.contains(TOKEN), "{all}");
        assert_eq!(keychain.accounts().len(), 2, "the keychain is only read");
    }

    #[tokio::test]
    async fn an_oauth_platform_is_not_signed_in_with_login_values() {
        // The bundled manifest's platform, switched to OAuth.
        let dir = tempfile::tempdir().unwrap();
        let mut manifest: serde_json::Value =
            serde_json::from_str(crate::manifest::SANDBOX_MANIFEST).unwrap();
        manifest["platforms"]["sandbox"]["auth"] = serde_json::json!({
            "type": "oauth",
            "oauth": {"authUrl": "https://crm.test/authorize", "clientId": "c", "redirectUri": "https://x.test/cb"}
        });
        let path = dir.path().join("oauth.json");
        std::fs::write(&path, manifest.to_string()).unwrap();
        let text = format!(
            "manifest: {}\nserver: http://127.0.0.1:1\nlogin: {{ apiKey: k3y-value }}\nsteps:\n  - find: \"+14155550100\"\n",
            path.display()
        );
        let sc = parse(&text, Path::new("o.yaml"), &|_| None).unwrap();
        let r = run_with(
            &sc,
            &RunOptions::default(),
            &MemoryStore::new(),
            &mut |_| {},
        )
        .await;
        let why = r.error.unwrap_or_default();
        assert!(
            why.contains("signs in with OAuth") && why.contains("session: keychain"),
            "{why}"
        );
        assert!(
            why.contains(&format!("--manifest {} ", path.display())) && !why.contains("--api-key"),
            "the OAuth login command: {why}"
        );
    }
}

#[cfg(test)]
mod numbers_tests {
    use super::*;

    #[tokio::test]
    async fn pasted_numbers_run_on_an_open_engine_without_a_session_say_why() {
        let sc = numbers_scenario(
            "+14155550100\n# c\n\n+14155550123\n",
            Some(2),
            Some("US".into()),
            vec![],
        );
        match &sc.steps[0].kind {
            StepKind::Batch {
                source: BatchSource::List(l),
                concurrency,
                ..
            } => {
                assert_eq!(l.len(), 2);
                assert_eq!(*concurrency, Some(2));
            }
            other => panic!("{other:?}"),
        }
        let wb = Engine::new(
            Profiles::in_memory(Profile::default()).unwrap(),
            MemoryStore::new(),
            SystemClock,
            None,
            "t",
        );
        let none = Vec::new;
        let r = run_on(
            &wb,
            &sc,
            &RunOptions::default(),
            Some("not signed in".into()),
            &none,
            &mut |_| {},
        )
        .await;
        assert!(!r.passed);
        assert_eq!(r.steps[0].error.as_deref(), Some("Not run: not signed in"));
    }
}
