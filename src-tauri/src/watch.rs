//! Refreshes the preview when the open manifest file changes on disk: its modification time is
//! checked every second (one file; no watcher service needed). What a change means (a broken edit
//! keeps the last good version; a new serverUrl moves the session) is the workbench's rule.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tauri::{AppHandle, Emitter, Manager};

use crate::Bench;

const EVERY: Duration = Duration::from_secs(1);

fn modified(path: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

pub fn manifest_file(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut seen: Option<(PathBuf, Option<SystemTime>)> = None;
        loop {
            tokio::time::sleep(EVERY).await;
            let wb = app.state::<Bench>();
            let Some(path) = wb.manifest_file().await else {
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
            let emitted = match wb.reload_manifest_file(&path).await {
                Ok(view) => app.emit("manifest-changed", view),
                Err(e) => app.emit("manifest-error", e.message),
            };
            if let Err(e) = emitted {
                tracing::warn!("could not tell the window about the manifest change: {e}");
            }
        }
    });
}
