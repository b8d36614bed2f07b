//! The Runs page: a scenario file (docs/SCENARIOS.md) or pasted numbers, run by the engine with
//! live progress over a `tauri::ipc::Channel`, cancellable, and exported as JUnit, JSON, HTML or
//! Markdown. A scenario runs on its own engine (its login values or `session.jwt` from the
//! environment, or with `session: keychain` the session stored for its server; an in-memory
//! keychain), as `switchboard test` does; pasted numbers are a batch on the app's own engine and
//! session (one at a time with the client's contact cache, or N at once). File paths are chosen
//! in dialogs opened here, never named by the web view.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use switchboard_core::scenario::{
    self, RunOptions, RunReport, RunReportFormat, RunUpdate, ScenarioResult,
};
use switchboard_core::workbench::clock::{file_stamp, iso_utc};
use switchboard_core::workbench::{Clock as _, SystemClock};
use switchboard_core::{ErrorCode, UserError};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

use crate::Bench;

type Result<T> = std::result::Result<T, UserError>;

/// The run in progress (its cancel flag), the last scenario file and the last finished run.
#[derive(Default)]
pub struct Runs {
    cancel: Mutex<Option<Arc<AtomicBool>>>,
    last_file: Mutex<Option<PathBuf>>,
    last: Mutex<Option<RunReport>>,
}

impl Runs {
    /// Starts a run: refused while another is running.
    fn begin(&self) -> Result<RunOptions> {
        let mut cancel = self.cancel.lock().unwrap_or_else(|p| p.into_inner());
        if cancel.is_some() {
            return Err(UserError::new(
                ErrorCode::FlowOrder,
                "A run is in progress; wait for it or cancel it first.",
            ));
        }
        let flag = Arc::new(AtomicBool::new(false));
        *cancel = Some(flag.clone());
        Ok(RunOptions { cancel: Some(flag) })
    }

    fn finish(&self, started: Instant, result: ScenarioResult) -> RunReport {
        *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let report = RunReport::new(
            iso_utc(SystemClock.now_ms()),
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            vec![result],
        );
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(report.clone());
        report
    }
}

async fn pick_scenario(app: &AppHandle) -> Result<Option<PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .add_filter("Scenario", &["yaml", "yml"])
        .pick_file(move |picked| {
            let _ = tx.send(picked);
        });
    match rx.await.ok().flatten().map(|p| p.into_path()) {
        None => Ok(None),
        Some(Ok(path)) => Ok(Some(path)),
        Some(Err(e)) => Err(UserError::new(
            ErrorCode::InvalidInput,
            format!("The chosen file cannot be read here ({e}). Choose a file on this computer."),
        )),
    }
}

/// Runs a scenario file: chosen in a dialog (`choose`), else the last one run. `None` when the
/// dialog was cancelled. Progress streams through `on_event`.
#[tauri::command]
pub async fn run_scenario(
    app: AppHandle,
    runs: State<'_, Runs>,
    choose: bool,
    on_event: Channel<RunUpdate>,
) -> Result<Option<RunReport>> {
    let last = runs
        .last_file
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let path = match (choose, last) {
        (false, Some(p)) => p,
        _ => match pick_scenario(&app).await? {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let loaded = scenario::load(&path)?;
    *runs.last_file.lock().unwrap_or_else(|p| p.into_inner()) = Some(path);
    let options = runs.begin()?;
    let started = Instant::now();
    let mut send = |e: scenario::Event<'_>| {
        let _ = on_event.send(RunUpdate::from(&e));
    };
    let result = scenario::run(&loaded, &options, &mut send).await;
    Ok(Some(runs.finish(started, result)))
}

/// Looks up pasted numbers (one per line) on the app's engine and session: one at a time as the
/// client does, or `concurrency` at once.
#[tauri::command]
pub async fn run_numbers(
    wb: State<'_, Bench>,
    runs: State<'_, Runs>,
    numbers: String,
    concurrency: Option<u16>,
    on_event: Channel<RunUpdate>,
) -> Result<RunReport> {
    let view = wb.view().await;
    let mut sc = scenario::numbers_scenario(
        &numbers,
        concurrency.map(usize::from),
        Some(view.profile.region.clone()),
        view.profile.formats.clone(),
    );
    sc.manifest = view.manifest.source.clone();
    let problem = (!view.session.signed_in).then(|| {
        format!(
            "not signed in to {}; sign in on the Sign in page first.",
            view.session.server
        )
    });
    let options = runs.begin()?;
    let started = Instant::now();
    let mut send = |e: scenario::Event<'_>| {
        let _ = on_event.send(RunUpdate::from(&e));
    };
    let no_secrets = Vec::new;
    let result = scenario::run_on(&*wb, &sc, &options, problem, &no_secrets, &mut send).await;
    Ok(runs.finish(started, result))
}

/// Cancels the run in progress: the batch reads no further numbers, no later step starts.
#[tauri::command]
pub fn cancel_run(runs: State<'_, Runs>) {
    if let Some(flag) = runs
        .cancel
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        flag.store(true, Ordering::Relaxed);
    }
}

/// Writes the last run's report where the person picks in the save dialog; `None` when cancelled.
#[tauri::command]
pub async fn export_run(
    app: AppHandle,
    runs: State<'_, Runs>,
    format: RunReportFormat,
) -> Result<Option<String>> {
    let report = runs
        .last
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or_else(|| UserError::new(ErrorCode::FlowOrder, "Run something first."))?;
    let name = format!(
        "switchboard-run-{}.{}",
        file_stamp(SystemClock.now_ms()),
        format.extension()
    );
    let mut dialog = app.dialog().file().set_file_name(&name);
    if let Ok(dir) = app.path().document_dir() {
        dialog = dialog.set_directory(dir);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |picked| {
        let _ = tx.send(picked);
    });
    let path = match rx.await.ok().flatten().map(|p| p.into_path()) {
        None => return Ok(None),
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            return Err(UserError::new(
                ErrorCode::Storage,
                format!("The chosen location cannot be written as a file ({e}). Choose a folder on this computer."),
            ))
        }
    };
    std::fs::write(&path, format.render(&report)).map_err(|e| {
        UserError::new(
            ErrorCode::Storage,
            format!(
                "Could not write {} ({e}). Choose another folder.",
                path.display()
            ),
        )
    })?;
    Ok(Some(path.display().to_string()))
}
