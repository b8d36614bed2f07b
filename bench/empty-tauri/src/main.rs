//! An empty Tauri app: one window, a one-line page. Its page reports when it painted, as the
//! Switchboard window does, so scripts/bench-startup.sh can time both the same way.

/// Appends `name epoch_ms` to $SWITCHBOARD_STARTUP_MARKS, as the Switchboard shell does.
#[tauri::command]
fn startup_mark(name: String, epoch_ms: f64) {
    if let Some(path) = std::env::var_os("SWITCHBOARD_STARTUP_MARKS") {
        let line = format!("{name} {epoch_ms:.0}\n");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    }
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![startup_mark])
        .run(tauri::generate_context!())
        .expect("error while running the empty Tauri app");
}
