//! The Switchboard desktop shell: Tauri commands that adapt switchboard-core for the web view.
//! It starts the bundled sandbox connector on 127.0.0.1 and an ephemeral port, so the app opens
//! ready to use. Secrets stay here: no command returns one to the web view.

mod commands;
mod state;
mod views;
mod watch;

use switchboard_sandbox::{Quirks, Sandbox, SandboxConfig};

pub use state::AppState;

pub fn run() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,switchboard=info")),
        )
        .init();

    // SWITCHBOARD_SANDBOX_QUIRKS=wrong-create-id,hidden-messages makes the in-app sandbox a broken
    // connector, to show what the lints catch.
    let mut quirks = Quirks::default();
    for name in std::env::var("SWITCHBOARD_SANDBOX_QUIRKS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !quirks.enable(name) {
            tracing::warn!(
                "unknown sandbox quirk {name:?}; known: {}",
                Quirks::NAMES.join(", ")
            );
        }
    }
    let sandbox = tauri::async_runtime::block_on(Sandbox::start(
        ([127, 0, 0, 1], 0).into(),
        SandboxConfig {
            quirks,
            ..SandboxConfig::default()
        },
    ));
    let sandbox = match sandbox {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("the bundled sandbox could not start: {e}");
            None
        }
    };
    let state = AppState::new(sandbox);

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            use tauri::Manager;
            // The inspector's history lives in the app's data dir and survives restarts.
            if let Ok(dir) = app.path().app_data_dir() {
                let state = app.state::<AppState>();
                let mut session = tauri::async_runtime::block_on(state.session.lock());
                if let Some(problem) = session.open_history(dir.join("history.json")) {
                    tracing::warn!("{problem}");
                }
            }
            watch::manifest_file(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_view,
            commands::open_manifest,
            commands::select_platform,
            commands::set_server_url,
            commands::sign_in,
            commands::sign_out,
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
