//! The Switchboard desktop shell: Tauri commands that adapt switchboard-core for the web view.
//! It starts the bundled sandbox connector on 127.0.0.1 and an ephemeral port, so the app opens
//! ready to use. Secrets stay here: no command returns one to the web view.

mod account;
mod commands;
mod profiles;
mod state;
mod views;
mod watch;

use std::path::Path;

use switchboard_core::keychain::{Keychain, SecretStore};
use switchboard_core::profile::Profiles;
use switchboard_core::Sensitive;
use switchboard_sandbox::{Quirks, Sandbox, SandboxConfig};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use state::AppState;

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
            let state = AppState::new(start_sandbox(&keychain), profiles, keychain);
            let mut session = state
                .session
                .clone()
                .try_lock_owned()
                .map_err(|e| format!("the session is busy at start: {e}"))?;
            // The inspector's history lives in the app's data dir and survives restarts.
            if let Ok(dir) = paths.app_data_dir() {
                if let Some(problem) = session.open_history(dir.join("history.json")) {
                    tracing::warn!("{problem}");
                }
            }
            let sandbox_url = state.sandbox_url.clone();
            let keychain = state.keychain.clone();
            app.manage(state);
            // Opening the profile may fetch a manifest by URL; commands wait for it on the lock.
            tauri::async_runtime::spawn(async move {
                session
                    .open_profile(sandbox_url.as_deref(), &keychain)
                    .await;
                if let Some(p) = problem {
                    session.manifest_problem = Some(p.to_string());
                }
            });
            watch::manifest_file(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_view,
            commands::open_manifest,
            commands::select_platform,
            commands::set_server_url,
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
            commands::parse_phone,
            commands::find_contact,
            commands::flow_start,
            commands::flow_create,
            commands::flow_log,
            commands::flow_verify,
            commands::flow_auto,
            commands::preview_log_form,
            commands::log_form,
            commands::history,
            commands::clear_history,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Switchboard could not start its window: {e}");
        std::process::exit(1);
    }
}

/// Keeps the log file's writer alive (and flushing) for the app's lifetime.
struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);
