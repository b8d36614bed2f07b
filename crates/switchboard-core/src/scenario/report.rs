//! What a scenario run found, and its reports: JUnit XML (one testcase per step, for CI), JSON,
//! a self-contained HTML page (inline CSS, a latency histogram in inline SVG, the failing
//! exchanges) to share with a CRM partner, and Markdown.
//!
//! Exchanges arrive redacted by the client. Before any report is written, [`RunReport::masked`]
//! masks every known secret value (login values, session tokens) once more in every string of the
//! model, so a server that echoed one under an innocent name still cannot leak it into a report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::contract::Finding;
use crate::batch::Latencies;
use crate::client::Exchange;
use crate::lint::{Lint, LintLevel};
use crate::redact;

/// A whole `switchboard test` run: one or more scenario files.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub generated_at: String,
    pub elapsed_ms: u64,
    pub passed: bool,
    pub scenarios: Vec<ScenarioResult>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioResult {
    pub file: String,
    pub name: String,
    pub manifest: String,
    pub platform: Option<String>,
    pub server: Option<String>,
    pub passed: bool,
    pub elapsed_ms: u64,
    /// Why the scenario could not run at all (unreadable file, manifest, server, sign-in).
    pub error: Option<String>,
    pub steps: Vec<StepResult>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    /// From 1.
    pub index: usize,
    /// `find`, `flow`, `batch`, `formats` or `contract`.
    pub kind: String,
    pub title: String,
    /// The step's line in the scenario file.
    pub line: Option<usize>,
    pub passed: bool,
    pub elapsed_ms: u64,
    /// `is-debug: true` was sent.
    pub debug: bool,
    /// Each expectation: what was wanted and what came.
    pub checks: Vec<Check>,
    /// What kept the step from running, or broke it part-way.
    pub error: Option<String>,
    pub exchanges: Vec<ExchangeRecord>,
    /// The formats probe's attempts.
    #[serde(default)]
    pub probes: Vec<Probe>,
    #[serde(default)]
    pub batch: Option<BatchStats>,
    /// The contract check's findings.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

impl StepResult {
    pub fn failed_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }

    /// What went wrong, in one line: the error, else the first failed expectation.
    pub fn headline(&self) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(e.clone());
        }
        self.failed_checks()
            .next()
            .map(|c| format!("{}: expected {}, got {}", c.what, c.expected, c.got))
    }

    /// The exchanges a failure should show: the failing ones when they can be told, else all.
    pub fn failing_exchanges(&self) -> Vec<&ExchangeRecord> {
        let bad: Vec<&ExchangeRecord> = self
            .exchanges
            .iter()
            .filter(|e| {
                !e.exchange.status.is_some_and(|s| (200..300).contains(&s))
                    || e.lints.iter().any(|l| l.level == "error")
            })
            .collect();
        if bad.is_empty() {
            self.exchanges.iter().collect()
        } else {
            bad
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub what: String,
    pub expected: String,
    pub got: String,
    pub passed: bool,
}

impl Check {
    pub fn new(what: &str, expected: impl ToString, got: impl ToString, passed: bool) -> Self {
        Self {
            what: what.to_owned(),
            expected: expected.to_string(),
            got: got.to_string(),
            passed,
        }
    }
}

/// One request and answer (redacted), its lints, and the server's `_debug` trace when asked for.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRecord {
    /// The body is shown without `_debug`; the trace is `debug_trace`.
    pub exchange: Exchange,
    pub lints: Vec<LintNote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    pub debug_trace: Option<Value>,
}

impl ExchangeRecord {
    pub fn new(mut exchange: Exchange, lints: &[Lint]) -> Self {
        let mut debug_trace = None;
        if let Some(body) = &exchange.response_body {
            if let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(body) {
                if let Some(trace) = map.remove("_debug") {
                    debug_trace = Some(trace);
                    exchange.response_body = Some(
                        serde_json::to_string_pretty(&Value::Object(map))
                            .unwrap_or_else(|_| body.clone()),
                    );
                }
            }
        }
        Self {
            exchange,
            lints: lints.iter().map(LintNote::from).collect(),
            debug_trace,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct LintNote {
    /// `error` or `warning`.
    pub level: String,
    pub rule: String,
    pub at: String,
    pub message: String,
}

impl From<&Lint> for LintNote {
    fn from(l: &Lint) -> Self {
        Self {
            level: match l.level {
                LintLevel::Error => "error",
                LintLevel::Warning => "warning",
            }
            .to_owned(),
            rule: l.rule.to_owned(),
            at: l.at.clone(),
            message: l.message.clone(),
        }
    }
}

/// One attempt of the formats probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// `E.164`, `national`, or the overriding format as written.
    pub label: String,
    /// The `overridingFormat` sent (empty for E.164 alone).
    pub overriding_format: String,
    /// The string the connector would search for with that format.
    pub searched: String,
    pub found: bool,
    pub ms: Option<u64>,
    pub status: Option<u16>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct BatchStats {
    /// How the lookups ran: one at a time as the client, or N at once.
    pub mode: String,
    pub count: usize,
    pub sent: usize,
    /// Numbers answered from the client's contact cache (mirror mode): not sent, counted as ok,
    /// not in the latencies.
    pub cached: usize,
    pub ok: usize,
    pub errors: usize,
    pub errors_by_kind: BTreeMap<String, usize>,
    pub rate_limited: usize,
    pub lint_errors: usize,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub max_ms: Option<u64>,
    pub per_second: f64,
    pub stopped: Option<String>,
    pub histogram: Vec<HistogramBin>,
    /// The first failures, with their exchanges.
    pub failures: Vec<BatchFailure>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct BatchFailure {
    pub line: usize,
    pub input: String,
    pub kind: String,
    pub status: Option<u16>,
    pub message: Option<String>,
    pub ms: Option<u64>,
    pub exchange: Option<ExchangeRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct HistogramBin {
    /// Inclusive.
    pub from_ms: u64,
    /// Exclusive.
    pub to_ms: u64,
    pub count: u64,
}

/// The formats a run can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum RunReportFormat {
    Junit,
    Json,
    Html,
    Markdown,
}

impl RunReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Junit => "xml",
            Self::Json => "json",
            Self::Html => "html",
            Self::Markdown => "md",
        }
    }

    pub fn render(self, report: &RunReport) -> String {
        match self {
            Self::Junit => report.to_junit(),
            Self::Json => report.to_json(),
            Self::Html => report.to_html(),
            Self::Markdown => report.to_markdown(),
        }
    }
}

/// At most about 20 bins of a round width (1, 2, 5, 10, 20, 50 ... ms).
pub fn histogram(latencies: &Latencies) -> Vec<HistogramBin> {
    let Some(max) = latencies.max() else {
        return Vec::new();
    };
    let mut width = 1u64;
    let steps = [1u64, 2, 5];
    let mut i = 0usize;
    while (max / width) + 1 > 20 {
        i += 1;
        width = steps[i % 3] * 10u64.pow(u32::try_from(i / 3).unwrap_or(u32::MAX).min(12));
    }
    let bins = usize::try_from(max / width + 1).unwrap_or(1);
    let mut out: Vec<HistogramBin> = (0..bins as u64)
        .map(|b| HistogramBin {
            from_ms: b * width,
            to_ms: (b + 1) * width,
            count: 0,
        })
        .collect();
    for (ms, count) in latencies.buckets() {
        if let Some(bin) = out.get_mut(usize::try_from(ms / width).unwrap_or(usize::MAX)) {
            bin.count += u64::from(count);
        }
    }
    out
}

/// `value` with every secret (and its JSON and URL encodings) masked in every string, keys
/// included. Values shorter than four characters are left, as everywhere in Switchboard.
pub fn masked<T: Serialize + serde::de::DeserializeOwned>(value: T, secrets: &[String]) -> T {
    let mut all: Vec<String> = Vec::new();
    for s in secrets.iter().filter(|s| s.chars().count() >= 4) {
        let json = serde_json::to_string(s).unwrap_or_default();
        let json = json.trim_matches('"').to_owned();
        let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        let percent = form.replace('+', "%20");
        for v in [s.clone(), json, form, percent] {
            if !all.contains(&v) {
                all.push(v);
            }
        }
    }
    if all.is_empty() {
        return value;
    }
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let Ok(v) = serde_json::to_value(&value) else {
        return value;
    };
    serde_json::from_value(mask_value(v, &refs)).unwrap_or(value)
}

/// Masks every secret in every string of a JSON value (keys included).
fn mask_value(v: Value, secrets: &[&str]) -> Value {
    match v {
        Value::String(s) => Value::String(redact::text(s, secrets)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| mask_value(i, secrets)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (redact::text(k, secrets), mask_value(v, secrets)))
                .collect(),
        ),
        other => other,
    }
}

impl RunReport {
    pub fn new(generated_at: String, elapsed_ms: u64, scenarios: Vec<ScenarioResult>) -> Self {
        Self {
            generated_at,
            elapsed_ms,
            passed: scenarios.iter().all(|s| s.passed),
            scenarios,
        }
    }

    pub fn step_count(&self) -> usize {
        self.scenarios
            .iter()
            .map(|s| s.steps.len().max(usize::from(s.error.is_some())))
            .sum()
    }

    pub fn failed_count(&self) -> usize {
        self.scenarios
            .iter()
            .map(|s| {
                let failed = s.steps.iter().filter(|st| !st.passed).count();
                if s.error.is_some() && s.steps.is_empty() {
                    1
                } else {
                    failed
                }
            })
            .sum()
    }

    /// The same report with every secret value (and its JSON and URL encodings) masked in every
    /// string. Values shorter than four characters are left, as everywhere in Switchboard.
    pub fn masked(self, secrets: &[String]) -> Self {
        masked(self, secrets)
    }

    /// The latencies of every single request of the run (batch steps have their own).
    fn exchange_latencies(&self) -> Latencies {
        let mut l = Latencies::default();
        for s in &self.scenarios {
            for st in &s.steps {
                for e in &st.exchanges {
                    if e.exchange.status.is_some() {
                        l.add(e.exchange.elapsed_ms);
                    }
                }
            }
        }
        l
    }

    // ---- JSON --------------------------------------------------------------------------------

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    // ---- JUnit XML ---------------------------------------------------------------------------

    /// JUnit XML as CI servers read it: a testsuite per scenario, a testcase per step; a missed
    /// expectation is a `<failure>`, a step that could not run an `<error>`.
    pub fn to_junit(&self) -> String {
        use quick_xml::events::{BytesDecl, BytesText, Event};
        use quick_xml::Writer;

        let secs = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        let result: std::io::Result<()> = (|| {
            w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
            let (tests, failures, errors) = self.junit_counts();
            w.create_element("testsuites")
                .with_attribute(("name", "switchboard test"))
                .with_attribute(("tests", tests.to_string().as_str()))
                .with_attribute(("failures", failures.to_string().as_str()))
                .with_attribute(("errors", errors.to_string().as_str()))
                .with_attribute(("time", secs(self.elapsed_ms).as_str()))
                .write_inner_content(|w| {
                    for s in &self.scenarios {
                        let (t, f, e) = scenario_counts(s);
                        w.create_element("testsuite")
                            .with_attribute(("name", xml_text(&s.name).as_str()))
                            .with_attribute(("tests", t.to_string().as_str()))
                            .with_attribute(("failures", f.to_string().as_str()))
                            .with_attribute(("errors", e.to_string().as_str()))
                            .with_attribute(("skipped", "0"))
                            .with_attribute(("time", secs(s.elapsed_ms).as_str()))
                            // JUnit's schema takes a dateTime without a zone (UTC here).
                            .with_attribute(("timestamp", self.generated_at.trim_end_matches('Z')))
                            .with_attribute(("file", xml_text(&s.file).as_str()))
                            .write_inner_content(|w| {
                                w.create_element("properties").write_inner_content(|w| {
                                    let props = [
                                        ("manifest", Some(s.manifest.as_str())),
                                        ("platform", s.platform.as_deref()),
                                        ("server", s.server.as_deref()),
                                    ];
                                    for (k, v) in props {
                                        if let Some(v) = v {
                                            w.create_element("property")
                                                .with_attribute(("name", k))
                                                .with_attribute(("value", xml_text(v).as_str()))
                                                .write_empty()?;
                                        }
                                    }
                                    Ok(())
                                })?;
                                if s.steps.is_empty() {
                                    if let Some(err) = &s.error {
                                        w.create_element("testcase")
                                            .with_attribute(("name", "open the scenario"))
                                            .with_attribute((
                                                "classname",
                                                xml_text(&s.name).as_str(),
                                            ))
                                            .with_attribute(("file", xml_text(&s.file).as_str()))
                                            .with_attribute(("time", "0.000"))
                                            .write_inner_content(|w| {
                                                w.create_element("error")
                                                    .with_attribute((
                                                        "message",
                                                        xml_text(err).as_str(),
                                                    ))
                                                    .with_attribute(("type", "setup"))
                                                    .write_text_content(BytesText::new(
                                                        &xml_text(err),
                                                    ))?;
                                                Ok(())
                                            })?;
                                    }
                                }
                                for st in &s.steps {
                                    let mut case = w
                                        .create_element("testcase")
                                        .with_attribute((
                                            "name",
                                            xml_text(&format!("{}. {}", st.index, st.title))
                                                .as_str(),
                                        ))
                                        .with_attribute(("classname", xml_text(&s.name).as_str()))
                                        .with_attribute(("file", xml_text(&s.file).as_str()))
                                        .with_attribute(("time", secs(st.elapsed_ms).as_str()));
                                    if let Some(line) = st.line {
                                        case = case
                                            .with_attribute(("line", line.to_string().as_str()));
                                    }
                                    case.write_inner_content(|w| {
                                        if !st.passed {
                                            let (tag, kind) =
                                                if st.error.is_some() && st.checks.is_empty() {
                                                    ("error", "error")
                                                } else {
                                                    ("failure", "expectation")
                                                };
                                            let message = st
                                                .headline()
                                                .unwrap_or_else(|| "failed".to_owned());
                                            w.create_element(tag)
                                                .with_attribute((
                                                    "message",
                                                    xml_text(&message).as_str(),
                                                ))
                                                .with_attribute(("type", kind))
                                                .write_text_content(BytesText::new(&xml_text(
                                                    &failure_text(st),
                                                )))?;
                                        }
                                        let out = step_output(st);
                                        if !out.is_empty() {
                                            w.create_element("system-out").write_text_content(
                                                BytesText::new(&xml_text(&out)),
                                            )?;
                                        }
                                        Ok(())
                                    })?;
                                }
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })();
        if let Err(e) = result {
            // Writing to memory does not fail; say so plainly if it ever does.
            return format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- could not write the report: {} -->\n<testsuites/>\n", xml_text(&e.to_string()).replace("--", "- -"));
        }
        let mut text = String::from_utf8_lossy(&w.into_inner()).into_owned();
        text.push('\n');
        text
    }

    fn junit_counts(&self) -> (usize, usize, usize) {
        self.scenarios.iter().fold((0, 0, 0), |(t, f, e), s| {
            let (t2, f2, e2) = scenario_counts(s);
            (t + t2, f + f2, e + e2)
        })
    }

    // ---- Markdown ----------------------------------------------------------------------------

    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Switchboard test report\n");
        let _ = writeln!(
            md,
            "{} · {} · {} of {} steps failed · {} ms\n",
            if self.passed {
                "**PASSED**"
            } else {
                "**FAILED**"
            },
            self.generated_at,
            self.failed_count(),
            self.step_count(),
            self.elapsed_ms
        );
        let _ = writeln!(
            md,
            "Client behaviour reproduced: {}.\n",
            crate::workbench::view::CLIENT_BEHAVIOUR
        );
        let _ = writeln!(md, "| Scenario | File | Steps | Failed | Time |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        for s in &self.scenarios {
            let failed = s.steps.iter().filter(|st| !st.passed).count();
            let _ = writeln!(
                md,
                "| {} {} | `{}` | {} | {} | {} ms |",
                if s.passed { "✅" } else { "❌" },
                md_cell(&s.name),
                md_cell(&s.file),
                s.steps.len(),
                failed,
                s.elapsed_ms
            );
        }
        for s in &self.scenarios {
            let _ = writeln!(
                md,
                "\n## {} {}\n",
                if s.passed { "✅" } else { "❌" },
                md_line(&s.name)
            );
            let _ = writeln!(
                md,
                "Manifest `{}`{}{}\n",
                md_line(&s.manifest),
                s.platform
                    .as_deref()
                    .map(|p| format!(", platform `{}`", md_line(p)))
                    .unwrap_or_default(),
                s.server
                    .as_deref()
                    .map(|p| format!(", server `{}`", md_line(p)))
                    .unwrap_or_default()
            );
            if let Some(e) = &s.error {
                let _ = writeln!(md, "> **Could not run:** {}\n", md_line(e));
            }
            if s.steps.is_empty() {
                continue;
            }
            let _ = writeln!(md, "| # | Step | Result | Time | Detail |");
            let _ = writeln!(md, "|---|---|---|---|---|");
            for st in &s.steps {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} ms | {} |",
                    st.index,
                    md_cell(&st.title),
                    if st.passed { "pass" } else { "**FAIL**" },
                    st.elapsed_ms,
                    md_cell(&step_detail(st))
                );
            }
            for st in s.steps.iter().filter(|st| !st.passed) {
                let _ = writeln!(md, "\n### ❌ {}. {}\n", st.index, md_line(&st.title));
                if let Some(line) = st.line {
                    let _ = writeln!(md, "`{}:{line}`\n", md_line(&s.file));
                }
                if let Some(e) = &st.error {
                    let _ = writeln!(md, "**Error:** {}\n", md_line(e));
                }
                let failed: Vec<&Check> = st.failed_checks().collect();
                if !failed.is_empty() {
                    let _ = writeln!(md, "| Expectation | Expected | Got |");
                    let _ = writeln!(md, "|---|---|---|");
                    for c in failed {
                        let _ = writeln!(
                            md,
                            "| {} | {} | {} |",
                            md_cell(&c.what),
                            md_cell(&c.expected),
                            md_cell(&c.got)
                        );
                    }
                    md.push('\n');
                }
                for e in st.failing_exchanges().into_iter().take(5) {
                    let _ = writeln!(
                        md,
                        "<details><summary>{}</summary>\n",
                        md_line(&exchange_title(e))
                    );
                    let _ = writeln!(md, "{}\n</details>\n", fenced(&exchange_text(e)));
                }
                if let Some(b) = &st.batch {
                    for f in b.failures.iter().take(10) {
                        let _ = writeln!(
                            md,
                            "- line {}: `{}` — {} {}",
                            f.line,
                            md_line(&f.input),
                            f.kind,
                            md_line(f.message.as_deref().unwrap_or(""))
                        );
                    }
                }
            }
        }
        md
    }

    // ---- HTML --------------------------------------------------------------------------------

    /// One self-contained page: no scripts, no external resources.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        let title = format!(
            "Switchboard test report: {}",
            if self.passed { "passed" } else { "failed" }
        );
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            esc(&title)
        );
        let _ = writeln!(
            h,
            "<header><h1>Switchboard test report</h1><p class=\"verdict {}\">{}</p><p>{} · {} of {} steps failed · {} ms</p><p>Client behaviour reproduced: {}</p></header>",
            if self.passed { "pass" } else { "fail" },
            if self.passed { "PASSED" } else { "FAILED" },
            esc(&self.generated_at),
            self.failed_count(),
            self.step_count(),
            self.elapsed_ms,
            esc(crate::workbench::view::CLIENT_BEHAVIOUR)
        );
        h.push_str("<section><h2>Summary</h2><table><thead><tr><th>Scenario</th><th>File</th><th>Steps</th><th>Failed</th><th>Time</th></tr></thead><tbody>\n");
        for s in &self.scenarios {
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} ms</td></tr>",
                if s.passed { "pass" } else { "fail" },
                esc(&s.name),
                esc(&s.file),
                s.steps.len(),
                s.steps.iter().filter(|st| !st.passed).count(),
                s.elapsed_ms
            );
        }
        h.push_str("</tbody></table>\n");
        let single = histogram(&self.exchange_latencies());
        if !single.is_empty() {
            h.push_str("<h3>Latency of single requests</h3>\n");
            h.push_str(&svg_histogram(&single));
        }
        h.push_str("</section>\n");
        for s in &self.scenarios {
            let _ = writeln!(
                h,
                "<section><h2 class=\"{}\">{} {}</h2><p>Manifest <code>{}</code>{}{}</p>",
                if s.passed { "pass" } else { "fail" },
                if s.passed { "✔" } else { "✘" },
                esc(&s.name),
                esc(&s.manifest),
                s.platform
                    .as_deref()
                    .map(|p| format!(", platform <code>{}</code>", esc(p)))
                    .unwrap_or_default(),
                s.server
                    .as_deref()
                    .map(|p| format!(", server <code>{}</code>", esc(p)))
                    .unwrap_or_default()
            );
            if let Some(e) = &s.error {
                let _ = writeln!(h, "<p class=\"error\">Could not run: {}</p>", esc(e));
            }
            if !s.steps.is_empty() {
                h.push_str("<table><thead><tr><th>#</th><th>Step</th><th>Result</th><th>Time</th><th>Detail</th></tr></thead><tbody>\n");
                for st in &s.steps {
                    let _ = writeln!(
                        h,
                        "<tr class=\"{}\"><td>{}</td><td>{}{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
                        if st.passed { "pass" } else { "fail" },
                        st.index,
                        esc(&st.title),
                        st.line.map(|l| format!(" <small>line {l}</small>")).unwrap_or_default(),
                        if st.passed { "pass" } else { "FAIL" },
                        st.elapsed_ms,
                        esc(&step_detail(st))
                    );
                }
                h.push_str("</tbody></table>\n");
            }
            for st in &s.steps {
                if st.passed && st.batch.is_none() && st.probes.is_empty() && !st.debug {
                    continue;
                }
                let _ = writeln!(
                    h,
                    "<article class=\"{}\"><h3>{}. {}</h3>",
                    if st.passed { "pass" } else { "fail" },
                    st.index,
                    esc(&st.title)
                );
                if let Some(e) = &st.error {
                    let _ = writeln!(h, "<p class=\"error\">{}</p>", esc(e));
                }
                let failed: Vec<&Check> = st.failed_checks().collect();
                if !failed.is_empty() {
                    h.push_str("<table><thead><tr><th>Expectation</th><th>Expected</th><th>Got</th></tr></thead><tbody>\n");
                    for c in failed {
                        let _ = writeln!(
                            h,
                            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(&c.what),
                            esc(&c.expected),
                            esc(&c.got)
                        );
                    }
                    h.push_str("</tbody></table>\n");
                }
                if !st.probes.is_empty() {
                    h.push_str("<table><thead><tr><th>Probe</th><th>Searched</th><th>Found</th><th>Connector time</th></tr></thead><tbody>\n");
                    for p in &st.probes {
                        let _ = writeln!(
                            h,
                            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                            esc(&p.label),
                            esc(&p.searched),
                            if p.found { "yes" } else { "no" },
                            p.ms.map(|m| format!("{m} ms"))
                                .unwrap_or_else(|| esc(p.error.as_deref().unwrap_or("-")))
                        );
                    }
                    h.push_str("</tbody></table>\n");
                }
                if !st.findings.is_empty() {
                    h.push_str("<ul>");
                    for f in &st.findings {
                        let _ = write!(
                            h,
                            "<li><b>{}</b> <code>{}</code>: {}</li>",
                            if f.level == super::contract::Level::Error {
                                "error"
                            } else {
                                "warning"
                            },
                            esc(&f.code),
                            esc(&f.message)
                        );
                    }
                    h.push_str("</ul>\n");
                }
                if let Some(b) = &st.batch {
                    let _ = writeln!(
                        h,
                        "<p>{} numbers ({}), {} ok{}, {} failed, {} rate-limited; p50 {} · p95 {} · max {}; {:.1} lookups/s</p>",
                        b.count,
                        esc(&b.mode),
                        b.ok,
                        cached_note(b),
                        b.errors,
                        b.rate_limited,
                        ms_or_dash(b.p50_ms),
                        ms_or_dash(b.p95_ms),
                        ms_or_dash(b.max_ms),
                        b.per_second
                    );
                    if !b.errors_by_kind.is_empty() {
                        let kinds: Vec<String> = b
                            .errors_by_kind
                            .iter()
                            .map(|(k, n)| format!("{} {}", esc(k), n))
                            .collect();
                        let _ = writeln!(h, "<p>Errors by kind: {}</p>", kinds.join(", "));
                    }
                    h.push_str(&svg_histogram(&b.histogram));
                    if !b.failures.is_empty() {
                        h.push_str("<table><thead><tr><th>Line</th><th>Number</th><th>Kind</th><th>Status</th><th>Message</th></tr></thead><tbody>\n");
                        for f in &b.failures {
                            let _ = writeln!(
                                h,
                                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                                f.line,
                                esc(&f.input),
                                esc(&f.kind),
                                f.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                                esc(f.message.as_deref().unwrap_or(""))
                            );
                        }
                        h.push_str("</tbody></table>\n");
                        for f in b
                            .failures
                            .iter()
                            .filter_map(|f| f.exchange.as_ref())
                            .take(3)
                        {
                            h.push_str(&html_exchange(f));
                        }
                    }
                }
                let shown: Vec<&ExchangeRecord> = if st.passed {
                    st.exchanges
                        .iter()
                        .filter(|e| e.debug_trace.is_some())
                        .collect()
                } else {
                    st.failing_exchanges()
                };
                for e in shown.into_iter().take(8) {
                    h.push_str(&html_exchange(e));
                }
                h.push_str("</article>\n");
            }
            h.push_str("</section>\n");
        }
        h.push_str("<footer>Made by Switchboard. Secrets are masked; bodies are cut at 16 KiB.</footer>\n</body>\n</html>\n");
        h
    }
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#1d2330;background:#fff}\
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d8dce4}h3{font-size:1.05rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #d8dce4;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f5f8}tr.fail td{background:#fff1f1}h2.fail,.verdict.fail{color:#b3261e}h2.pass,.verdict.pass{color:#1b7f3b}\
.verdict{font-weight:700;font-size:1.1rem}.error{color:#b3261e;font-weight:600}article{border-left:4px solid #d8dce4;padding:.2rem 1rem;margin:1rem 0}\
article.fail{border-color:#b3261e}article.pass{border-color:#1b7f3b}pre{background:#f6f7f9;border:1px solid #e3e6eb;padding:.6rem;overflow:auto;max-height:28rem;font-size:12px;white-space:pre-wrap;word-break:break-all}\
code{font-size:12.5px}details{margin:.4rem 0}summary{cursor:pointer;font-family:ui-monospace,monospace}svg{max-width:100%;height:auto}\
footer{margin-top:3rem;color:#687083;font-size:12px}@media (prefers-color-scheme:dark){body{background:#15181e;color:#e3e6eb}th{background:#222832}\
th,td{border-color:#323a46}tr.fail td{background:#3a1d1d}pre{background:#1c2028;border-color:#323a46}}";

/// (tests, failures, errors) of a scenario as JUnit counts them.
fn scenario_counts(s: &ScenarioResult) -> (usize, usize, usize) {
    if s.steps.is_empty() {
        return (1, 0, usize::from(s.error.is_some()));
    }
    let mut f = 0;
    let mut e = 0;
    for st in s.steps.iter().filter(|st| !st.passed) {
        if st.error.is_some() && st.checks.is_empty() {
            e += 1;
        } else {
            f += 1;
        }
    }
    (s.steps.len(), f, e)
}

/// A failure's full text: the error, each missed expectation, the exchanges.
pub fn failure_text(st: &StepResult) -> String {
    let mut t = String::new();
    if let Some(e) = &st.error {
        let _ = writeln!(t, "Error: {e}");
    }
    for c in st.failed_checks() {
        let _ = writeln!(t, "{}: expected {}, got {}", c.what, c.expected, c.got);
    }
    if let Some(b) = &st.batch {
        for f in b.failures.iter().take(20) {
            let _ = writeln!(
                t,
                "line {}: {} — {}{}",
                f.line,
                f.input,
                f.kind,
                f.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            );
        }
        for e in b
            .failures
            .iter()
            .filter_map(|f| f.exchange.as_ref())
            .take(3)
        {
            let _ = writeln!(t, "\n{}", exchange_text(e));
        }
    }
    for e in st.failing_exchanges().into_iter().take(5) {
        let _ = writeln!(t, "\n{}", exchange_text(e));
    }
    t
}

/// What a passing step still has to say (debug traces, probe results) for `<system-out>`.
fn step_output(st: &StepResult) -> String {
    let mut t = String::new();
    for p in &st.probes {
        let _ = writeln!(
            t,
            "{}: {} ({})",
            p.label,
            if p.found { "found" } else { "not found" },
            ms_or_dash(p.ms)
        );
    }
    if let Some(b) = &st.batch {
        let _ = writeln!(
            t,
            "{} numbers, {} ok{}, {} failed; p50 {} p95 {} max {}",
            b.count,
            b.ok,
            cached_note(b),
            b.errors,
            ms_or_dash(b.p50_ms),
            ms_or_dash(b.p95_ms),
            ms_or_dash(b.max_ms)
        );
    }
    for e in st.exchanges.iter().filter(|e| e.debug_trace.is_some()) {
        let _ = writeln!(
            t,
            "{}\n_debug: {}",
            exchange_title(e),
            cut(&pretty(e.debug_trace.as_ref()), 16 * 1024)
        );
    }
    t
}

/// ` (N from the client's contact cache)` when a mirror batch answered numbers from it.
fn cached_note(b: &BatchStats) -> String {
    if b.cached == 0 {
        String::new()
    } else {
        format!(" ({} from the client's contact cache)", b.cached)
    }
}

/// One line about a step, for the tables.
fn step_detail(st: &StepResult) -> String {
    if let Some(h) = (!st.passed).then(|| st.headline()).flatten() {
        return h;
    }
    if let Some(b) = &st.batch {
        return format!(
            "{} numbers{}, {} failed, p95 {}",
            b.count,
            cached_note(b),
            b.errors,
            ms_or_dash(b.p95_ms)
        );
    }
    if !st.probes.is_empty() {
        let found: Vec<&str> = st
            .probes
            .iter()
            .filter(|p| p.found)
            .map(|p| p.label.as_str())
            .collect();
        return format!(
            "found by: {}",
            if found.is_empty() {
                "none".to_owned()
            } else {
                found.join(", ")
            }
        );
    }
    let passed: Vec<String> = st
        .checks
        .iter()
        .map(|c| format!("{} {}", c.what, c.got))
        .collect();
    passed.join("; ")
}

fn ms_or_dash(ms: Option<u64>) -> String {
    ms.map(|m| format!("{m} ms"))
        .unwrap_or_else(|| "-".to_owned())
}

fn pretty(v: Option<&Value>) -> String {
    v.map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
        .unwrap_or_default()
}

/// At most `max` bytes, cut at a character boundary, saying so.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n… ({} more bytes)", &s[..end], s.len() - end)
}

pub fn exchange_title(e: &ExchangeRecord) -> String {
    let x = &e.exchange;
    format!(
        "{} {} → {} ({} ms)",
        x.method,
        x.url,
        x.status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "no answer".to_owned()),
        x.elapsed_ms
    )
}

/// The exchange as text: request line, headers, bodies, lints, debug trace.
pub fn exchange_text(e: &ExchangeRecord) -> String {
    let x = &e.exchange;
    let mut t = String::new();
    let _ = writeln!(t, "> {} {}", x.method, x.url);
    for (k, v) in &x.request_headers {
        let _ = writeln!(t, "> {k}: {v}");
    }
    if let Some(b) = &x.request_body {
        let _ = writeln!(t, "{}", cut(b, 16 * 1024));
    }
    let _ = writeln!(
        t,
        "< {} ({} ms)",
        x.status
            .map(|s| format!("HTTP {s}"))
            .unwrap_or_else(|| "no answer".to_owned()),
        x.elapsed_ms
    );
    for (k, v) in &x.response_headers {
        let _ = writeln!(t, "< {k}: {v}");
    }
    if let Some(b) = &x.response_body {
        let _ = writeln!(t, "{}", cut(b, 16 * 1024));
    }
    for l in &e.lints {
        let _ = writeln!(t, "lint {} {} at {}: {}", l.level, l.rule, l.at, l.message);
    }
    if let Some(d) = &e.debug_trace {
        let _ = writeln!(t, "_debug: {}", cut(&pretty(Some(d)), 16 * 1024));
    }
    t
}

fn html_exchange(e: &ExchangeRecord) -> String {
    let mut h = format!(
        "<details><summary>{}</summary><pre>{}</pre>",
        esc(&exchange_title(e)),
        esc(&exchange_text_without_debug(e))
    );
    if let Some(d) = &e.debug_trace {
        let _ = write!(
            h,
            "<details><summary>Server debug trace (_debug)</summary><pre>{}</pre></details>",
            esc(&cut(&pretty(Some(d)), 16 * 1024))
        );
    }
    h.push_str("</details>\n");
    h
}

fn exchange_text_without_debug(e: &ExchangeRecord) -> String {
    let mut plain = e.clone();
    plain.debug_trace = None;
    exchange_text(&plain)
}

/// A bar chart of the bins, in plain SVG.
pub fn svg_histogram(bins: &[HistogramBin]) -> String {
    if bins.is_empty() {
        return String::new();
    }
    let (w, h, left, bottom, top) = (640.0_f64, 200.0_f64, 44.0_f64, 28.0_f64, 10.0_f64);
    let max = bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let bar_w = (w - left - 8.0) / bins.len() as f64;
    let plot_h = h - bottom - top;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Latency histogram\">\n<line x1=\"{left}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#687083\"/>\n<text x=\"{tx}\" y=\"{ty}\" font-size=\"10\" text-anchor=\"end\" fill=\"#687083\">{max}</text>\n<text x=\"{tx}\" y=\"{y0}\" font-size=\"10\" text-anchor=\"end\" fill=\"#687083\">0</text>\n",
        y0 = h - bottom,
        x1 = w - 4.0,
        tx = left - 4.0,
        ty = top + 8.0,
        max = max as u64
    );
    let label_every = (bins.len() / 8).max(1);
    for (i, b) in bins.iter().enumerate() {
        let bh = (b.count as f64 / max) * plot_h;
        let x = left + i as f64 * bar_w;
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#3b6fd8\"><title>{}–{} ms: {}</title></rect>",
            x + 1.0,
            h - bottom - bh,
            (bar_w - 2.0).max(1.0),
            bh,
            b.from_ms,
            b.to_ms,
            b.count
        );
        if i % label_every == 0 {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#687083\">{}</text>",
                x + 1.0,
                h - bottom + 14.0,
                b.from_ms
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#687083\">ms</text>\n</svg>",
        w - 4.0,
        h - 4.0
    );
    s
}

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    crate::report::html(s)
}

/// Text XML 1.0 can hold: control characters other than tab and line breaks cannot appear in an
/// XML document even escaped, so they are written as `\u{..}`.
fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c.to_string(),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                format!("\\u{{{:04x}}}", c as u32)
            }
            c => c.to_string(),
        })
        .collect()
}

/// A Markdown table cell: one line, pipes escaped.
fn md_cell(s: &str) -> String {
    md_line(s).replace('|', "\\|")
}

fn md_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A fenced code block long enough not to be closed by the text inside it.
fn fenced(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}\n{}\n{fence}", s.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(body: &str, status: u16) -> Exchange {
        Exchange {
            method: "GET".into(),
            url: "http://127.0.0.1:1/contact?jwtToken=<redacted>&phoneNumber=%2B1".into(),
            request_headers: vec![("accept".into(), "application/json".into())],
            request_body: None,
            status: Some(status),
            response_headers: vec![],
            response_body: Some(body.into()),
            elapsed_ms: 12,
            refreshed_token: false,
        }
    }

    fn sample() -> RunReport {
        let failing = StepResult {
            index: 2,
            kind: "find".into(),
            title: "find \"<odd>\" & 'x' \u{1} ]]>".into(),
            line: Some(9),
            passed: false,
            elapsed_ms: 12,
            checks: vec![Check::new("contacts", 1, 0, false)],
            exchanges: vec![ExchangeRecord::new(
                exchange(
                    r#"{"successful":true,"contact":[],"echo":"sk-secret-key","_debug":{"traces":[1]}}"#,
                    200,
                ),
                &[],
            )],
            ..StepResult::default()
        };
        let passing = StepResult {
            index: 1,
            kind: "contract".into(),
            title: "contract".into(),
            passed: true,
            ..StepResult::default()
        };
        RunReport::new(
            "2026-11-23T10:00:00Z".into(),
            20,
            vec![
                ScenarioResult {
                    file: "a.yaml".into(),
                    name: "A <&>".into(),
                    manifest: "bundled:sandbox".into(),
                    passed: false,
                    steps: vec![passing, failing],
                    ..ScenarioResult::default()
                },
                ScenarioResult {
                    file: "b.yaml".into(),
                    name: "B".into(),
                    error: Some("b.yaml: an environment variable is not set".into()),
                    ..ScenarioResult::default()
                },
            ],
        )
        .masked(&["sk-secret-key".to_owned()])
    }

    #[test]
    fn debug_traces_are_kept_apart_from_the_body() {
        let r = ExchangeRecord::new(
            exchange(r#"{"a":1,"_debug":{"requestId":"req_1"}}"#, 200),
            &[],
        );
        assert_eq!(r.debug_trace.as_ref().unwrap()["requestId"], "req_1");
        assert!(!r.exchange.response_body.unwrap().contains("_debug"));
    }

    #[test]
    fn every_format_masks_secrets_and_escapes() {
        let r = sample();
        for (name, text) in [
            ("junit", r.to_junit()),
            ("json", r.to_json()),
            ("html", r.to_html()),
            ("markdown", r.to_markdown()),
        ] {
            assert!(
                !text.contains("sk-secret-key"),
                "{name} leaks the secret:\n{text}"
            );
            assert!(
                text.contains("expected 1, got 0") || text.contains("\"expected\": \"1\""),
                "{name}:\n{text}"
            );
        }
        let html = r.to_html();
        for text in [&html, &r.to_markdown()] {
            assert!(
                text.contains("App Connect extension 1.6.6"),
                "the report names the client it reproduces"
            );
        }
        assert!(!html.contains("<odd>"), "HTML escapes text");
        assert!(html.contains("&lt;odd&gt;"));
        assert!(html.contains("<svg"), "a histogram");
        assert!(!html.contains("<script"), "no scripts");
        let xml = r.to_junit();
        assert!(!xml.contains('\u{1}'), "no control characters in XML");
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"1\""),
            "{xml}"
        );
    }

    #[test]
    fn histogram_bins_are_round_and_complete() {
        let mut l = Latencies::default();
        for ms in [1, 2, 3, 150, 799] {
            l.add(ms);
        }
        let bins = histogram(&l);
        assert!(bins.len() <= 20, "{}", bins.len());
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 5);
        assert_eq!(bins[0].from_ms, 0);
        assert_eq!(bins[0].to_ms, 50);
        assert!(histogram(&Latencies::default()).is_empty());
    }

    #[test]
    fn fences_outgrow_backticks() {
        assert_eq!(fenced("a ``` b"), "````\na ``` b\n````");
    }
}
