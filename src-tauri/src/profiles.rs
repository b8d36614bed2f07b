//! Profile commands (create, rename, duplicate, delete, switch, edit) and the report export.
//! Every change is saved to the config dir before the window hears of it.

use std::path::PathBuf;

use serde::Deserialize;
use switchboard_core::keychain;
use switchboard_core::profile::Profile;
use switchboard_core::report::Report;
use switchboard_core::{check, ErrorCode, UserError};
use tauri::{AppHandle, Manager, State};

use crate::state::{keychain_error, AppState};
use crate::views::AppView;

type Result<T> = std::result::Result<T, UserError>;

async fn reopen(state: &AppState) -> AppView {
    let mut s = state.session.lock().await;
    s.open_profile(state.sandbox_url.as_deref(), &state.keychain)
        .await;
    state.view(&s)
}

/// A new profile. With `copy_current`, it starts from the active profile's settings (no
/// secrets); otherwise from the bundled sandbox.
#[tauri::command]
pub async fn profile_create(
    state: State<'_, AppState>,
    name: String,
    copy_current: bool,
) -> Result<AppView> {
    {
        let mut s = state.session.lock().await;
        let template = if copy_current {
            s.profile().clone()
        } else {
            Profile::default()
        };
        s.profiles.create(Profile {
            name,
            colour: String::new(),
            ..template
        })?;
    }
    Ok(reopen(&state).await)
}

#[tauri::command]
pub async fn profile_duplicate(state: State<'_, AppState>, id: String) -> Result<AppView> {
    state.session.lock().await.profiles.duplicate(&id)?;
    Ok(reopen(&state).await)
}

#[tauri::command]
pub async fn profile_switch(state: State<'_, AppState>, id: String) -> Result<AppView> {
    state.session.lock().await.profiles.switch(&id)?;
    Ok(reopen(&state).await)
}

/// Deletes a profile and its keychain entries.
#[tauri::command]
pub async fn profile_delete(state: State<'_, AppState>, id: String) -> Result<AppView> {
    let was_active = {
        let mut s = state.session.lock().await;
        let was_active = s.profile().id == id;
        s.profiles.delete(&id)?;
        was_active
    };
    keychain::delete_profile(&state.keychain, &id).map_err(keychain_error)?;
    if was_active {
        return Ok(reopen(&state).await);
    }
    let s = state.session.lock().await;
    Ok(state.view(&s))
}

/// The settings edited in the profile form; absent ones stay as they are.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileEdit {
    pub name: Option<String>,
    pub colour: Option<String>,
    pub region: Option<String>,
    pub formats: Option<Vec<String>>,
    /// `""` clears the environment choice.
    pub hostname: Option<String>,
}

#[tauri::command]
pub async fn profile_update(
    state: State<'_, AppState>,
    id: String,
    edit: ProfileEdit,
) -> Result<AppView> {
    let mut s = state.session.lock().await;
    s.profiles.update(&id, |p| {
        if let Some(v) = edit.name {
            p.name = v;
        }
        if let Some(v) = edit.colour {
            p.colour = v;
        }
        if let Some(v) = edit.region {
            p.region = v;
        }
        if let Some(v) = edit.formats {
            p.formats = v;
        }
        if let Some(v) = edit.hostname {
            p.hostname = Some(v);
        }
    })?;
    Ok(state.view(&s))
}

/// Where reports go by default: `~/Documents/Switchboard reports`, else the app's data dir.
fn reports_dir(app: &AppHandle) -> Result<PathBuf> {
    let paths = app.path();
    paths
        .document_dir()
        .map(|d| d.join("Switchboard reports"))
        .or_else(|_| paths.app_data_dir().map(|d| d.join("reports")))
        .map_err(|e| {
            UserError::new(
                ErrorCode::Storage,
                format!("No folder for reports ({e}). Choose one with Export as…"),
            )
        })
}

/// Writes a Markdown report of what was checked (profile settings, manifest findings, requests
/// with their findings, the placeholder flow) and returns its path. No secrets: exchanges are
/// stored redacted, and the stored secrets are masked again in the finished text.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    state: State<'_, AppState>,
    path: Option<String>,
) -> Result<String> {
    let s = state.session.lock().await;
    let now = jiff::Timestamp::now();
    let target = match path.filter(|p| !p.trim().is_empty()) {
        Some(p) => PathBuf::from(p),
        None => {
            let stamp = now.strftime("%Y%m%d-%H%M%S").to_string();
            let slug: String = s
                .profile()
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            reports_dir(&app)?.join(format!("switchboard-{slug}-{stamp}.md"))
        }
    };
    let findings = check::check(&s.loaded.text);
    let secrets = known_secrets(&state, &s);
    let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let report = Report {
        generated_at: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        profile: s.profile(),
        manifest_source: &s.loaded.source,
        platform: &s.platform,
        server_url: s.client.server_url(),
        user_name: s.user_name.as_deref().or(s
            .signed_in
            .then_some("(session restored from the keychain)")),
        findings: &findings,
        exchanges: s
            .history
            .iter()
            .map(|r| (&r.exchange, r.lints.as_slice()))
            .collect(),
        flow: s.flow.as_ref(),
    };
    let text = report.render(&secret_refs);
    let write = || -> std::io::Result<()> {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&target, text)
    };
    write().map_err(|e| {
        UserError::new(
            ErrorCode::Storage,
            format!(
                "Could not write the report to {} ({e}). Choose another folder with Export as…",
                target.display()
            ),
        )
    })?;
    tracing::info!(path = %target.display(), "report exported");
    Ok(target.display().to_string())
}

/// The active profile's stored secrets, to mask in a report whatever route they took.
fn known_secrets(state: &AppState, s: &crate::state::Session) -> Vec<String> {
    use switchboard_core::keychain::{SecretKind, SecretStore};
    let mut out = Vec::new();
    if let Ok(Some(t)) = state.keychain.get(&s.account(SecretKind::Session)) {
        out.push(t.expose().clone());
    }
    if let Ok(values) = keychain::login_values(&state.keychain, &s.profile().id) {
        out.extend(
            values
                .values()
                .filter_map(|v| v.as_str().map(str::to_owned)),
        );
    }
    out
}
