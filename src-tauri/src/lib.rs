//! The Switchboard desktop shell: Tauri commands that adapt the switchboard-core workbench for
//! the web view, one page per area. Every rule lives in the workbench; a command calls it and
//! returns its view. The shell starts the bundled sandbox connector on 127.0.0.1 and an ephemeral
//! port, so the app opens ready to use. No command returns a secret to the web view.
//!
//! Start-up (issue 14): `setup` runs on the GTK main thread after the window exists, and WebKit
//! cannot draw until it returns, so it only does what takes microseconds (logging, the profiles
//! file, binding the sandbox's port, an engine whose HTTP and TLS set-up wait for first use). The
//! keychain, the sandbox and opening the profile run on the async runtime; the engine stays
//! locked until the profile is open, so the window's first commands wait for it while the page
//! already shows its shell.

mod account;
mod flow;
mod inspector;
mod lookup;
mod manifest;
mod ops;
mod profiles;
mod runs;
mod system_theme;
mod watch;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use switchboard_core::keychain::{Keychain, SecretStore};
use switchboard_core::profile::Profiles;
use switchboard_core::workbench::{SandboxLink, SystemClock, Workbench};
use switchboard_core::Sensitive;
use switchboard_sandbox::{Quirks, Sandbox, SandboxConfig};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The engine as the app runs it: secrets in the OS keychain, the system clock.
pub type Bench = Workbench<Keychain, SystemClock>;

/// The in-app sandbox, once it serves; it lives as long as the app.
struct SandboxHolder(#[allow(dead_code)] Arc<OnceLock<Sandbox>>);

fn filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,switchboard=info,switchboard_desktop=info")
    })
}

/// Logs go to stderr and to a daily file in the app's log dir (kept 7 days). They carry redacted
/// URLs and outcomes only; secrets never reach a log line.
fn init_logging(log_dir: Option<&Path>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let file = log_dir.and_then(|dir| {
        // The appender prunes old files before it creates the folder, so on a first start it
        // printed "Error reading the log directory/files"; the folder is made first.
        std::fs::create_dir_all(dir).ok()?;
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("switchboard")
            .filename_suffix("log")
            .max_log_files(7)
            .build(dir)
            .ok()
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            tracing_subscriber::registry()
                .with(filter())
                .with(stderr)
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_ansi(false)
                        .with_writer(writer),
                )
                .init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry()
                .with(filter())
                .with(stderr)
                .init();
            None
        }
    }
}

/// The in-app sandbox's settings. SWITCHBOARD_SANDBOX_QUIRKS=wrong-create-id,hidden-messages makes
/// it a broken connector, to show what the lints catch; SWITCHBOARD_SANDBOX_API_KEY replaces the
/// default key `demo`. Reads the keychain: call it off the main thread.
fn sandbox_config(keychain: &Keychain) -> SandboxConfig {
    let mut config = SandboxConfig {
        jwt_secret: sandbox_signing_key(keychain),
        ..SandboxConfig::default()
    };
    for name in std::env::var("SWITCHBOARD_SANDBOX_QUIRKS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !config.quirks.enable(name) {
            tracing::warn!(
                "unknown sandbox quirk {name:?}; known: {}",
                Quirks::NAMES.join(", ")
            );
        }
    }
    if let Some(key) = std::env::var("SWITCHBOARD_SANDBOX_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        config.api_key = key;
    }
    config
}

/// Serves the in-app sandbox on the socket bound at start-up, once its signing key has been read
/// from the keychain (on a blocking thread). Requests made meanwhile wait in the socket's backlog.
async fn serve_sandbox(
    listener: std::net::TcpListener,
    keychain: Keychain,
    cell: Arc<OnceLock<Sandbox>>,
) {
    let config = match tauri::async_runtime::spawn_blocking(move || sandbox_config(&keychain)).await
    {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("the bundled sandbox could not read its settings: {e}");
            return;
        }
    };
    match Sandbox::start_on(listener, config) {
        Ok(sandbox) => {
            let _ = cell.set(sandbox);
        }
        Err(e) => tracing::error!("the bundled sandbox could not start: {e}"),
    }
}

/// Records a start-up moment the web view reports (`paint`: its first frame; `ready`: the first
/// view painted with the manifest preview), as milliseconds since the Unix epoch. With
/// SWITCHBOARD_STARTUP_MARKS=FILE each is appended to FILE as `name epoch_ms`, for
/// scripts/bench-startup.sh; otherwise it is only logged (debug).
#[tauri::command]
fn startup_mark(name: String, epoch_ms: f64) {
    tracing::debug!(%name, epoch_ms, "start-up mark");
    let Some(path) = std::env::var_os("SWITCHBOARD_STARTUP_MARKS") else {
        return;
    };
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    let line = format!("{name} {epoch_ms:.0}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    if let Err(e) = written {
        tracing::warn!("could not record the start-up mark: {e}");
    }
}

/// The in-app sandbox signs sessions with a key kept in the keychain, so a session stored by the
/// sandbox profile stays valid across restarts. Without a keychain, a random key per start.
fn sandbox_signing_key(keychain: &Keychain) -> Option<Vec<u8>> {
    const ACCOUNT: &str = "sandbox:signing-key";
    match keychain.get(ACCOUNT) {
        Ok(Some(key)) => return Some(key.expose().as_bytes().to_vec()),
        Ok(None) => {}
        Err(_) => return None,
    }
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    keychain
        .set(ACCOUNT, &Sensitive::new(key.clone()))
        .ok()
        .map(|()| key.into_bytes())
}

/// WebKitGTK's compositing on a machine with no GPU (CI, a headless `make run`, many remote
/// desktops) runs through Mesa's software GL and compiles shaders for seconds after start: about
/// 6 s of CPU and 100 MiB more memory, and the first paint comes later. Drawing without
/// compositing costs a fraction of that and looks the same for this app (no 3D, no video). So
/// when the person has not chosen (WEBKIT_DISABLE_COMPOSITING_MODE unset; `0` keeps compositing,
/// `1` turns it off) and there is no GPU render node (`/dev/dri/renderD*`), compositing is turned
/// off; a machine with a GPU is left as it was. Measured in docs/PERFORMANCE.md, "Start-up".
/// Call it first thing in `main`, before any thread starts.
pub fn choose_rendering() {
    if cfg!(target_os = "linux") && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        let has_gpu = std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        });
        if !has_gpu {
            std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        }
    }
}

pub fn run() {
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(ops::Ops::default())
        .manage(runs::Runs::default())
        .setup(|app| {
            use tauri::Manager;
            system_theme::follow();
            let paths = app.path();
            let guard = init_logging(paths.app_log_dir().ok().as_deref());
            app.manage(LogGuard(guard));
            // Profiles live in the app's config dir; the last one used reopens.
            let config = paths.app_config_dir()?;
            let (profiles, problem) = Profiles::open(&config.join("profiles.json"));
            if let Some(p) = &problem {
                tracing::warn!("{p}");
            }
            let keychain = Keychain::from_env();
            // The sandbox's port is bound now (it listens at once, so its URL is known), and
            // served once its signing key is out of the keychain, off this thread.
            let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
                .and_then(|l| Ok((l.local_addr()?, l)))
                .map_err(|e| tracing::error!("the bundled sandbox could not start: {e}"))
                .ok();
            let sandbox = Arc::new(OnceLock::<Sandbox>::new());
            let link = listener.as_ref().map(|(addr, _)| {
                let counted = sandbox.clone();
                SandboxLink {
                    url: format!("http://{addr}"),
                    contact_count: Arc::new(move || {
                        counted.get().map_or(0, Sandbox::contact_count)
                    }),
                }
            });
            let service = keychain.service().to_owned();
            let wb = Bench::new(profiles, keychain.clone(), SystemClock, link, &service);
            app.manage(SandboxHolder(sandbox.clone()));
            app.manage(wb.clone());
            let history = paths.app_data_dir().ok().map(|d| d.join("history.json"));
            // The workbench is locked from here until the profile is open (a manifest URL may be
            // fetched), so the window's first commands wait for it rather than see the default.
            let opening = wb.start(history);
            let started = std::time::Instant::now();
            tauri::async_runtime::spawn(async move {
                let serving = async move {
                    if let Some((_, listener)) = listener {
                        serve_sandbox(listener, keychain, sandbox).await;
                    }
                };
                let ((_, history_problem), ()) = tokio::join!(opening, serving);
                for p in history_problem
                    .into_iter()
                    .chain(problem.map(|p| p.to_string()))
                {
                    tracing::warn!("{p}");
                }
                tracing::debug!(
                    ms = started.elapsed().as_millis(),
                    "profile open, sandbox serving"
                );
            });
            watch::manifest_file(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            manifest::app_view,
            manifest::first_view,
            manifest::open_manifest,
            manifest::select_platform,
            manifest::set_server_url,
            manifest::preview_log_form,
            manifest::log_form,
            account::sign_in,
            account::sign_out,
            account::forget_login,
            account::forget_everything,
            account::oauth_start,
            account::oauth_paste,
            account::oauth_cancel,
            profiles::profile_create,
            profiles::profile_duplicate,
            profiles::profile_switch,
            profiles::profile_delete,
            profiles::profile_update,
            profiles::export_report,
            lookup::parse_phone,
            lookup::find_contact,
            lookup::search_contacts,
            lookup::auto_preview,
            flow::flow_start,
            flow::flow_save,
            flow::flow_verify,
            flow::flow_auto,
            inspector::history,
            inspector::clear_history,
            inspector::resend,
            lookup::sandbox_numbers,
            ops::cancel,
            runs::run_scenario,
            runs::run_numbers,
            runs::cancel_run,
            runs::export_run,
            startup_mark,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Switchboard could not start its window: {e}");
        std::process::exit(1);
    }
}

/// Keeps the log file's writer alive (and flushing) for the app's lifetime.
struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);
