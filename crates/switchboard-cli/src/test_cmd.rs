//! `switchboard test FILE...`: runs scenario files (docs/SCENARIOS.md) through the engine, shows
//! progress on a terminal, prints each step's result and a summary table, writes the reports asked
//! for, and exits 0 only when every expectation held.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use switchboard_core::scenario::{self, Event, RunOptions, RunReport, ScenarioResult, StepResult};
use switchboard_core::workbench::clock::iso_utc;
use switchboard_core::workbench::{Clock as _, SystemClock};
use switchboard_core::{ErrorCode, UserError};

/// What `switchboard test` takes. The options are read by [`TestOptions`] from the words after
/// `test`: the CLI's global `--json` flag (a switch for the other commands) would otherwise take
/// `--json PATH` for itself.
#[derive(Args, Clone)]
#[command(after_help = "Options:\n  \
    --junit PATH     Write a JUnit XML report (one testcase per step) for CI\n  \
    --json PATH      Write the full results as JSON\n  \
    --html PATH      Write a self-contained HTML report (latency histogram, failing exchanges)\n  \
    --markdown PATH  Write a Markdown report\n\n\
Exit status: 0 when every expectation of every scenario held, 1 otherwise.\n\
Scenario keys: docs/SCENARIOS.md")]
pub struct TestArgs {
    /// Scenario files (YAML), and the report options below in any order.
    #[arg(
        required = true,
        value_name = "FILE | OPTION",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<String>,
}

/// The words after `switchboard test`.
#[derive(clap::Parser, Debug)]
#[command(
    name = "switchboard test",
    no_binary_name = true,
    disable_version_flag = true
)]
struct TestOptions {
    /// Scenario files (YAML): manifest, server, login values, steps with expectations.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Write a JUnit XML report (one testcase per step) for CI.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Write the full results as JSON.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Write a self-contained HTML report (latency histogram, failing exchanges) to share.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
    /// Write a Markdown report.
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
}

impl TestArgs {
    /// `global_json`: the CLI's global `--json` switch was given, which happens when `--json PATH`
    /// comes before the first file; its PATH is then the first word here.
    fn options(&self, global_json: bool) -> TestOptions {
        use clap::Parser as _;
        let mut words = self.args.clone();
        if global_json {
            words.insert(0, "--json".to_owned());
        }
        TestOptions::try_parse_from(words).unwrap_or_else(|e| e.exit())
    }
}

/// The progress display: a spinner per step and a bar for batches, on a terminal only.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    fn print(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| out!("{line}")),
            None => out!("{line}"),
        }
    }

    fn event(&self, scenario: &str, e: &Event<'_>) {
        let Some(bar) = &self.bar else {
            match e {
                Event::StepFinished(step) => self.print(&step_line(step)),
                Event::Opened { problem: Some(p) } => self.print(&format!("  ! {p}")),
                _ => {}
            }
            return;
        };
        match e {
            Event::StepStarted {
                index,
                steps,
                title,
                numbers,
            } => {
                let style = match numbers {
                    Some(n) => {
                        bar.set_length(*n);
                        indicatif::ProgressStyle::with_template(
                            "{prefix} {bar:30} {pos}/{len} numbers  {per_sec}  {msg}",
                        )
                    }
                    None => indicatif::ProgressStyle::with_template("{spinner} {prefix} {msg}"),
                };
                bar.set_style(
                    style.unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                bar.set_position(0);
                bar.set_prefix(format!("{scenario} [{index}/{steps}]"));
                bar.set_message(title.to_string());
            }
            Event::BatchProgress { done, failed } => {
                bar.set_position(*done);
                if *failed > 0 {
                    bar.set_message(format!("{failed} failed"));
                }
            }
            Event::StepFinished(step) => self.print(&step_line(step)),
            Event::Opened { problem } => {
                if let Some(p) = problem {
                    self.print(&format!("  ! {p}"));
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn step_line(step: &StepResult) -> String {
    let mark = if step.passed { "  ✓" } else { "  ✗" };
    let mut line = format!(
        "{mark} {}. {} ({} ms)",
        step.index, step.title, step.elapsed_ms
    );
    if !step.passed {
        if let Some(h) = step.headline() {
            line.push_str(&format!("\n      {h}"));
        }
    }
    line
}

/// Renders a report in one format.
type Render = fn(&RunReport) -> String;

/// `switchboard test`.
pub async fn run(args: TestArgs, global_json: bool) -> Result<(), UserError> {
    let args = args.options(global_json);
    let started = Instant::now();
    let generated_at = iso_utc(SystemClock.now_ms());
    let progress = Progress::new();
    let mut results: Vec<ScenarioResult> = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let result = match scenario::load(file) {
            Err(e) => ScenarioResult {
                file: file.display().to_string(),
                name: file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                error: Some(e.message),
                ..ScenarioResult::default()
            },
            Ok(sc) => {
                progress.print(&format!("{} ({})", sc.name, sc.file));
                let name = sc.name.clone();
                let mut on_event = |e: Event<'_>| progress.event(&name, &e);
                scenario::run(&sc, &RunOptions::default(), &mut on_event).await
            }
        };
        if let (Some(e), true) = (&result.error, result.steps.is_empty()) {
            progress.print(&format!("  ✗ {}: {e}", result.name));
        }
        results.push(result);
    }
    progress.finish();
    let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let report = RunReport::new(generated_at, elapsed, results);
    summary(&report);
    failures(&report);
    let mut write_problems = Vec::new();
    let outputs: [(&Option<PathBuf>, &str, Render); 4] = [
        (&args.junit, "JUnit", RunReport::to_junit),
        (&args.json, "JSON", RunReport::to_json),
        (&args.html, "HTML", RunReport::to_html),
        (&args.markdown, "Markdown", RunReport::to_markdown),
    ];
    for (path, what, render) in outputs {
        let Some(path) = path else { continue };
        match write(path, &render(&report)) {
            Ok(()) => eprintln!("{what} report: {}", path.display()),
            Err(e) => write_problems.push(e),
        }
    }
    // The outcome is told here, on stderr, whatever `--json` means to the other commands (an
    // error with an empty message tells main it has been said).
    if !write_problems.is_empty() {
        eprintln!("error: {}", write_problems.join(" "));
        return Err(UserError::new(ErrorCode::Storage, ""));
    }
    if report.passed {
        return Ok(());
    }
    eprintln!(
        "error: {} of {} step{} failed.",
        report.failed_count(),
        report.step_count(),
        if report.step_count() == 1 { "" } else { "s" }
    );
    Err(UserError::new(ErrorCode::Rejected, ""))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("Could not create {} ({e}).", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| {
        format!(
            "Could not write the report {} ({e}). Choose another path.",
            path.display()
        )
    })
}

/// The table at the end: one row per scenario.
fn summary(report: &RunReport) {
    let name_w = report
        .scenarios
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 40);
    out!("");
    out!(
        "{:<name_w$}  {:>6}  {:>6}  {:>6}  {:>9}  result",
        "scenario",
        "steps",
        "passed",
        "failed",
        "time"
    );
    for s in &report.scenarios {
        let passed = s.steps.iter().filter(|st| st.passed).count();
        let failed = s.steps.len() - passed;
        let name: String = s.name.chars().take(name_w).collect();
        out!(
            "{:<name_w$}  {:>6}  {:>6}  {:>6}  {:>6} ms  {}",
            name,
            s.steps.len(),
            passed,
            failed,
            s.elapsed_ms,
            if s.passed {
                "PASS"
            } else if s.steps.is_empty() {
                "ERROR"
            } else {
                "FAIL"
            }
        );
    }
    out!(
        "{} of {} steps failed in {} ms.",
        report.failed_count(),
        report.step_count(),
        report.elapsed_ms
    );
}

/// Every failure in full: expected and got, then the (redacted) exchanges.
fn failures(report: &RunReport) {
    for s in report.scenarios.iter().filter(|s| !s.passed) {
        for st in s.steps.iter().filter(|st| !st.passed) {
            out!("");
            out!(
                "FAILED {} › {}. {}{}",
                s.name,
                st.index,
                st.title,
                st.line
                    .map(|l| format!("  ({}:{l})", s.file))
                    .unwrap_or_default()
            );
            let text = scenario::report::failure_text(st);
            for line in text.lines() {
                out!("  {line}");
            }
        }
        if let (Some(e), true) = (&s.error, s.steps.is_empty()) {
            out!("");
            out!("ERROR {}: {e}", s.file);
        }
    }
}
