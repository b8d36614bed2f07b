//! The Switchboard desktop shell: Tauri commands that adapt the switchboard-core workbench for
//! the web view, one page per area. Every rule lives in the workbench; a command calls it and
//! returns its view. The shell starts the bundled sandbox connector on 127.0.0.1 and an ephemeral
//! port, so the app opens ready to use. No command returns a secret to the web view.

mod account;
mod flow;
mod inspector;
mod lookup;
mod manifest;
mod profiles;
mod watch;

use std::path::Path;
use std::sync::Arc;

use switchboard_core::keychain::{Keychain, SecretStore};
use switchboard_core::profile::Profiles;
use switchboard_core::workbench::{SandboxLink, SystemClock, Workbench};
use switchboard_core::Sensitive;
use switchboard_sandbox::{Quirks, Sandbox, SandboxConfig};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The engine as the app runs it: secrets in the OS keychain, the system clock.
pub type Bench = Workbench<Keychain, SystemClock>;

/// The in-app sandbox; it lives as long as the app.
struct SandboxHolder(#[allow(dead_code)] Option<Arc<Sandbox>>);

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

/// The in-app sandbox. SWITCHBOARD_SANDBOX_QUIRKS=wrong-create-id,hidden-messages makes it a
/// broken connector, to show what the lints catch; SWITCHBOARD_SANDBOX_API_KEY replaces the
/// default key `demo`.
fn start_sandbox(keychain: &Keychain) -> Option<Sandbox> {
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
    match tauri::async_runtime::block_on(Sandbox::start(([127, 0, 0, 1], 0).into(), config)) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("the bundled sandbox could not start: {e}");
            None
        }
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

pub fn run() {
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            use tauri::Manager;
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
            let sandbox = start_sandbox(&keychain).map(Arc::new);
            let link = sandbox.as_ref().map(|sb| {
                let counted = sb.clone();
                SandboxLink {
                    url: sb.url(),
                    contact_count: Arc::new(move || counted.contact_count()),
                }
            });
            let service = keychain.service().to_owned();
            let wb = Bench::new(profiles, keychain, SystemClock, link, &service);
            app.manage(SandboxHolder(sandbox));
            app.manage(wb.clone());
            let history = paths.app_data_dir().ok().map(|d| d.join("history.json"));
            // The workbench is locked from here until the profile is open (a manifest URL may be
            // fetched), so the window's first commands wait for it rather than see the default.
            let opening = wb.start(history);
            tauri::async_runtime::spawn(async move {
                let (_, history_problem) = opening.await;
                for p in history_problem
                    .into_iter()
                    .chain(problem.map(|p| p.to_string()))
                {
                    tracing::warn!("{p}");
                }
            });
            watch::manifest_file(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            manifest::app_view,
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
            lookup::auto_preview,
            flow::flow_start,
            flow::flow_create,
            flow::flow_log,
            flow::flow_verify,
            flow::flow_auto,
            inspector::history,
            inspector::clear_history,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Switchboard could not start its window: {e}");
        std::process::exit(1);
    }
}

/// Keeps the log file's writer alive (and flushing) for the app's lifetime.
struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);
