//! Refreshes the preview when the open manifest file changes on disk: its modification time is
//! checked every second (one file; no watcher service needed). A broken edit keeps the last good
//! manifest and tells the window why.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use switchboard_core::manifest::{self, ManifestSource};
use tauri::{AppHandle, Emitter, Manager};

use crate::state::AppState;

const EVERY: Duration = Duration::from_secs(1);

fn modified(path: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

pub fn manifest_file(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut seen: Option<(PathBuf, Option<SystemTime>)> = None;
        loop {
            tokio::time::sleep(EVERY).await;
            let state = app.state::<AppState>();
            let source = state.session.lock().await.loaded.source.clone();
            let ManifestSource::File(path) = ManifestSource::parse(&source) else {
                seen = None;
                continue;
            };
            let now = modified(&path);
            match &seen {
                Some((p, t)) if *p == path && *t == now => continue,
                Some((p, _)) if *p == path => {}
                // A newly opened file: remember its time, nothing to reload.
                _ => {
                    seen = Some((path, now));
                    continue;
                }
            }
            seen = Some((path.clone(), now));
            let result = match manifest::load(&ManifestSource::File(path.clone())).await {
                Ok(loaded) => {
                    let mut s = state.session.lock().await;
                    if s.loaded.source != source {
                        continue; // another manifest was opened meanwhile
                    }
                    let platform = s.platform.clone();
                    s.loaded = loaded;
                    if s.loaded.manifest.platform(Some(&platform)).is_err() {
                        s.platform = s
                            .loaded
                            .manifest
                            .platform_names()
                            .into_iter()
                            .next()
                            .unwrap_or_default();
                    }
                    match s.reconnect(state.sandbox_url.as_deref(), &state.keychain) {
                        Ok(()) => Ok(state.view(&s)),
                        Err(e) => Err(e.message),
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            let emitted = match result {
                Ok(view) => app.emit("manifest-changed", view),
                Err(message) => app.emit(
                    "manifest-error",
                    format!("{} The last good version stays open.", message),
                ),
            };
            if let Err(e) = emitted {
                tracing::warn!("could not tell the window about the manifest change: {e}");
            }
        }
    });
}
