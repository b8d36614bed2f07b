//! Scenario files: a connector's contract as a test suite, kept in the author's repository and run
//! by `switchboard test` (and the app's Runs page). A scenario names a manifest, a server and the
//! login values (secrets come from the environment through `${VAR}`), then lists steps: lookups
//! with expectations, the manual placeholder flow, batch lookups with latency thresholds, an
//! overriding-format probe and a contract check against `GET /implementedInterfaces`.
//! docs/SCENARIOS.md documents every key.
//!
//! - `parse.rs`: YAML, `${VAR}` from the environment, paths relative to the file.
//! - `run.rs`: runs a scenario through the workbench engine and checks each expectation.
//! - `manual_flow.rs`: the one function that drives the manual placeholder flow.
//! - `contract.rs`: the manifest's promises against the server's implemented interfaces.
//! - `report.rs`: JUnit XML, JSON, HTML and Markdown reports, with secrets masked.

pub mod contract;
mod manual_flow;
mod parse;
pub mod report;
mod run;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::sensitive::Sensitive;
use crate::wire::Direction;

pub use parse::{expand_env, load, parse};
pub use report::{
    BatchStats, Check, ExchangeRecord, HistogramBin, LintNote, Probe, RunReport, RunReportFormat,
    ScenarioResult, StepResult,
};
pub use run::{numbers_scenario, run, run_on, run_with, Event, RunOptions, RunUpdate};

/// A scenario file, read and checked; `${VAR}` already replaced, paths already resolved.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from (for messages and reports).
    pub file: String,
    /// `name:`, else the file's name without its extension.
    pub name: String,
    /// A file path (resolved against the scenario's folder), an http(s) URL or `bundled:sandbox`.
    pub manifest: String,
    pub platform: Option<String>,
    pub server: Option<String>,
    /// Login-page values by `const` (secrets: never shown, masked in every report).
    pub login: Vec<(String, Sensitive<String>)>,
    /// `session:`: a session to use instead of signing in with `login` (OAuth platforms).
    pub session: Option<Session>,
    /// The CRM hostname or environment choice, for manifests that need one.
    pub hostname: Option<String>,
    pub region: Option<String>,
    pub formats: Vec<String>,
    /// Send `is-debug: true` on every step (a step's own `debug` wins).
    pub debug: bool,
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Every secret value the scenario carries, to mask wherever a report could show it.
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self.login.iter().map(|(_, v)| v.expose().clone()).collect();
        if let Some(Session::Jwt(jwt)) = &self.session {
            out.push(jwt.expose().clone());
        }
        out
    }
}

/// A session the scenario uses as it is, with no sign-in: the only way in to an OAuth platform,
/// whose sign-in needs a browser.
#[derive(Debug, Clone, PartialEq)]
pub enum Session {
    /// `session: keychain`: the session `switchboard login` (or the app) stored in the OS keychain
    /// for the scenario's server and platform. Read once; nothing is written back.
    Keychain,
    /// `session: { jwt: ${APP_CONNECT_JWT} }`: an App Connect session token (a secret: never
    /// shown, masked in every report).
    Jwt(Sensitive<String>),
}

#[derive(Debug, Clone)]
pub struct Step {
    /// The line of the step in the scenario file, when it could be told.
    pub line: Option<usize>,
    /// `title:`; otherwise one is made from the step.
    pub title: Option<String>,
    /// `debug:` for this step only.
    pub debug: Option<bool>,
    pub kind: StepKind,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Find {
        number: String,
        /// `overridingFormats:` for this step only (default: the scenario's `formats`).
        formats: Option<Vec<String>>,
        expect: FindExpect,
    },
    Flow {
        number: String,
        name: String,
        contact_type: Option<String>,
        direction: Direction,
        caller_name: Option<String>,
        note: String,
        expect: FlowExpect,
    },
    Batch {
        source: BatchSource,
        /// `None`: one at a time, as the client does (`mirror`).
        concurrency: Option<usize>,
        expect: BatchExpect,
    },
    Formats {
        number: String,
        /// Which contact must be found (a name or an id); any real match when none.
        contact: Option<String>,
        formats: Option<Vec<String>>,
        expect: FormatsExpect,
    },
    Contract {
        expect: ContractExpect,
    },
}

impl StepKind {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Find { .. } => "find",
            Self::Flow { .. } => "flow",
            Self::Batch { .. } => "batch",
            Self::Formats { .. } => "formats",
            Self::Contract { .. } => "contract",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum BatchSource {
    /// A file of numbers, one per line (resolved against the scenario's folder).
    File(PathBuf),
    List(Vec<String>),
}

/// What a lookup must show.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindExpect {
    /// The lookup succeeds (`successful: true`, readable); default true.
    pub ok: Option<bool>,
    /// Contacts found, without the "Create new contact..." row.
    pub contacts: Option<usize>,
    /// The names of the contacts found (without the create row), in any order.
    pub names: Option<Vec<String>>,
    pub create_row: Option<bool>,
    pub lints: Option<LintExpect>,
    /// Text the connector's message must contain.
    pub message: Option<String>,
    /// The connector's time, at most.
    pub max_ms: Option<u64>,
}

/// `lints: no-errors` (warnings allowed), `none`, or the exact list of rules that fire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LintExpect {
    NoErrors,
    None,
    Rules(Vec<String>),
}

impl<'de> Deserialize<'de> for LintExpect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            List(Vec<String>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "no-errors" => Ok(Self::NoErrors),
            Raw::Word(w) if w == "none" => Ok(Self::None),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "lints: \"{w}\" is not understood; use no-errors, none, or a list of rule names such as [create-row-missing]"
            ))),
            Raw::List(l) => Ok(Self::Rules(l)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowExpect {
    /// The contact is found again and the call log reported as matched (SPEC §8); default true.
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

impl Default for FlowExpect {
    fn default() -> Self {
        Self { verified: true }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchExpect {
    /// Failed numbers, exactly (default 0 when no other error bound is given).
    pub errors: Option<usize>,
    /// Failed numbers, at most.
    pub max_errors: Option<usize>,
    /// HTTP 429 answers, exactly.
    pub rate_limited: Option<usize>,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub max_ms: Option<u64>,
    /// Answers with error-level contract lints, exactly.
    pub lint_errors: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormatsExpect {
    /// Exactly these probes find the contact (`E.164`, `national`, or a format as written).
    pub found: Option<Vec<String>>,
    /// None of these find it.
    pub not_found: Option<Vec<String>>,
    /// Every probe's time, at most.
    pub max_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContractExpect {
    /// Error-level findings, exactly (default 0 when `findings` is not given).
    pub errors: Option<usize>,
    /// Exactly these findings (by code), in any order.
    pub findings: Option<Vec<String>>,
}
