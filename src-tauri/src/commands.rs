//! Tauri commands: short adapters over switchboard-core. Network calls run without holding the
//! session lock, so the inspector stays responsive while a slow connector answers.

use serde::Deserialize;
use serde_json::{Map, Value};
use switchboard_core::client::Exchange;
use switchboard_core::flow::{AutoSettings, PlaceholderFlow, SimulatedCall};
use switchboard_core::forms::{self, LogForm};
use switchboard_core::phone;
use switchboard_core::wire::{ContactInfo, Direction};
use switchboard_core::{ErrorCode, UserError};
use tauri::State;

use crate::state::{load_manifest, AppState};
use crate::views::{AppView, FlowView, LookupView, PhoneView};

type Result<T> = std::result::Result<T, UserError>;

/// A phone number as the person typed it, with their phone settings.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneInput {
    pub input: String,
    pub region: Option<String>,
    #[serde(default)]
    pub formats: Vec<String>,
}

impl PhoneInput {
    fn view(&self) -> Result<PhoneView> {
        let formats: Vec<String> = self
            .formats
            .iter()
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect();
        phone::validate_formats(&formats)?;
        let number = phone::parse_input(&self.input, self.region.as_deref())?;
        Ok(PhoneView {
            expansions: phone::expand(&number, &formats),
            overriding_format: phone::overriding_format_param(&formats),
            number,
        })
    }
}

#[tauri::command]
pub async fn app_view(state: State<'_, AppState>) -> Result<AppView> {
    let s = state.session.lock().await;
    Ok(state.view(&s))
}

/// Opens a manifest from a file path, an http(s) URL, or `bundled:sandbox`, in the active profile.
#[tauri::command]
pub async fn open_manifest(state: State<'_, AppState>, source: String) -> Result<AppView> {
    let loaded = load_manifest(&source).await?;
    let mut s = state.session.lock().await;
    let previous = (s.loaded.clone(), s.platform.clone());
    s.platform = loaded
        .manifest
        .platform_names()
        .into_iter()
        .next()
        .unwrap_or_default();
    s.loaded = loaded;
    if let Err(e) = s.reconnect(state.sandbox_url.as_deref(), &state.keychain) {
        // Keep the manifest that worked; say why the new one cannot be used.
        (s.loaded, s.platform) = previous;
        let _ = s.reconnect(state.sandbox_url.as_deref(), &state.keychain);
        return Err(e);
    }
    let (source, platform) = (s.loaded.source.clone(), s.platform.clone());
    s.update_profile(|p| {
        p.manifest = source;
        p.platform = Some(platform);
    })?;
    s.manifest_problem = None;
    Ok(state.view(&s))
}

#[tauri::command]
pub async fn select_platform(state: State<'_, AppState>, name: String) -> Result<AppView> {
    let mut s = state.session.lock().await;
    s.loaded.manifest.platform(Some(&name))?;
    s.platform = name.clone();
    s.reconnect(state.sandbox_url.as_deref(), &state.keychain)?;
    s.update_profile(|p| p.platform = Some(name))?;
    Ok(state.view(&s))
}

/// Points the profile at another server; an empty URL goes back to the manifest's.
#[tauri::command]
pub async fn set_server_url(state: State<'_, AppState>, url: String) -> Result<AppView> {
    let mut s = state.session.lock().await;
    let previous = s.profile().server_url.clone();
    let wanted = Some(url.trim().to_owned()).filter(|u| !u.is_empty());
    s.update_profile(|p| p.server_url = wanted)?;
    if let Err(e) = s.reconnect(state.sandbox_url.as_deref(), &state.keychain) {
        s.update_profile(|p| p.server_url = previous)?;
        let _ = s.reconnect(state.sandbox_url.as_deref(), &state.keychain);
        return Err(e);
    }
    Ok(state.view(&s))
}

#[tauri::command]
pub async fn parse_phone(phone: PhoneInput) -> Result<PhoneView> {
    phone.view()
}

#[tauri::command]
pub async fn find_contact(state: State<'_, AppState>, phone: PhoneInput) -> Result<LookupView> {
    let view = phone.view()?;
    let client = state.session.lock().await.client.clone();
    let before = state.sandbox_count(client.server_url());
    let called = client
        .find_contact(
            &view.number.e164,
            &view.overriding_format,
            view.number.is_extension,
        )
        .await;
    let after = state.sandbox_count(client.server_url());
    let mut s = state.session.lock().await;
    let mut lints = s.record(called.exchange.clone());
    if let (Some(b), Some(a)) = (before, after) {
        lints.extend(switchboard_core::lint::lookup_created(b, a));
    }
    s.keep_refreshed(&state.keychain, called.refreshed_jwt);
    let (response, error, return_message) = match called.result {
        Ok(r) => {
            let m = r.return_message.clone();
            (Some(r), None, m)
        }
        Err(e) => {
            let m = e.return_message().cloned();
            (None, Some(UserError::from(e)), m)
        }
    };
    Ok(LookupView {
        phone: view,
        response,
        error,
        return_message,
        exchange: called.exchange,
        lints,
    })
}

/// Takes the flow out of the session for one step, so two steps never run at once.
async fn take_flow(
    state: &AppState,
) -> Result<(
    PlaceholderFlow,
    std::sync::Arc<switchboard_core::client::AppConnectClient>,
)> {
    let mut s = state.session.lock().await;
    if s.flow_busy {
        return Err(UserError::new(
            ErrorCode::FlowOrder,
            "A step is still running; wait for it to finish.",
        ));
    }
    let flow = s.flow.take().ok_or_else(|| {
        UserError::new(ErrorCode::FlowOrder, "Start the flow with a lookup first.")
    })?;
    s.flow_busy = true;
    Ok((flow, s.client.clone()))
}

/// Puts the flow back after a step and records the step's exchanges in the history.
async fn put_flow(
    state: &AppState,
    flow: PlaceholderFlow,
    error: Option<UserError>,
    recorded_before: usize,
    phone: Option<PhoneView>,
) -> Result<FlowView> {
    let mut s = state.session.lock().await;
    let new_exchanges: Vec<Exchange> = flow
        .steps
        .iter()
        .skip(recorded_before)
        .flat_map(|step| step.exchanges.iter().cloned())
        .collect();
    for e in new_exchanges {
        let _ = s.record(e);
    }
    let phone = phone.unwrap_or_else(|| PhoneView {
        expansions: Vec::new(),
        overriding_format: flow.overriding_format.clone(),
        number: flow.number.clone(),
    });
    s.flow = Some(flow.clone());
    s.flow_busy = false;
    Ok(FlowView { phone, flow, error })
}

/// Starts a placeholder flow: looks the number up.
#[tauri::command]
pub async fn flow_start(state: State<'_, AppState>, phone: PhoneInput) -> Result<FlowView> {
    let view = phone.view()?;
    let client = state.session.lock().await.client.clone();
    let mut flow = PlaceholderFlow::new(view.number.clone(), view.overriding_format.clone());
    let error = flow.lookup(&client).await.err().map(UserError::from);
    put_flow(&state, flow, error, 0, Some(view)).await
}

#[tauri::command]
pub async fn flow_create(
    state: State<'_, AppState>,
    name: String,
    contact_type: Option<String>,
    additional: Option<Map<String, Value>>,
) -> Result<FlowView> {
    let (mut flow, client) = take_flow(&state).await?;
    let before = flow.steps.len();
    let contact_type = contact_type.filter(|t| !t.is_empty());
    let error = flow
        .create(&client, &name, contact_type, additional.unwrap_or_default())
        .await
        .err()
        .map(UserError::from);
    put_flow(&state, flow, error, before, None).await
}

/// The simulated call a person describes in the log form.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallInput {
    pub direction: Direction,
    pub caller_name: Option<String>,
    pub duration_s: u64,
    pub note: String,
    pub subject: Option<String>,
    /// Minutes before now the call started.
    #[serde(default)]
    pub started_minutes_ago: u64,
    #[serde(default)]
    pub additional_submission: Map<String, Value>,
}

impl CallInput {
    fn into_call(self) -> SimulatedCall {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let offset = i64::try_from(self.started_minutes_ago.saturating_mul(60_000)).unwrap_or(0);
        SimulatedCall {
            session_id: format!("sb-{}", uuid::Uuid::new_v4().simple()),
            direction: self.direction,
            caller_name: self.caller_name.filter(|n| !n.trim().is_empty()),
            own_number: "+16505550199".to_owned(),
            start_time_ms: now_ms - offset,
            duration_s: self.duration_s,
            note: self.note,
            subject: self.subject.filter(|s| !s.trim().is_empty()),
            additional_submission: self.additional_submission,
        }
    }
}

#[tauri::command]
pub async fn flow_log(state: State<'_, AppState>, call: CallInput) -> Result<FlowView> {
    let (mut flow, client) = take_flow(&state).await?;
    let before = flow.steps.len();
    let error = flow
        .log_call(&client, &call.into_call())
        .await
        .err()
        .map(UserError::from);
    put_flow(&state, flow, error, before, None).await
}

#[tauri::command]
pub async fn flow_verify(state: State<'_, AppState>) -> Result<FlowView> {
    let (mut flow, client) = take_flow(&state).await?;
    let before = flow.steps.len();
    let error = flow.verify(&client).await.err().map(UserError::from);
    put_flow(&state, flow, error, before, None).await
}

/// The automatic variant: an unknown call creates its placeholder with no prompt.
#[tauri::command]
pub async fn flow_auto(
    state: State<'_, AppState>,
    phone: PhoneInput,
    settings: AutoSettings,
    call: CallInput,
) -> Result<FlowView> {
    let view = phone.view()?;
    let client = state.session.lock().await.client.clone();
    let mut flow = PlaceholderFlow::new(view.number.clone(), view.overriding_format.clone());
    let error = flow
        .run_automatic(&client, &settings, &call.into_call())
        .await
        .err()
        .map(UserError::from);
    put_flow(&state, flow, error, 0, Some(view)).await
}

/// The call-log form the client would show for sample contacts: a preview with no server.
#[tauri::command]
pub async fn preview_log_form(
    state: State<'_, AppState>,
    selected: Option<String>,
    direction: Direction,
) -> Result<LogForm> {
    form_for(&state, None, selected, direction).await
}

/// The call-log form the client would show for a real lookup result.
#[tauri::command]
pub async fn log_form(
    state: State<'_, AppState>,
    contacts: Vec<ContactInfo>,
    selected: Option<String>,
    direction: Direction,
) -> Result<LogForm> {
    form_for(&state, Some(contacts), selected, direction).await
}

/// The open platform's log form for these contacts, or for its sample contacts.
async fn form_for(
    state: &AppState,
    contacts: Option<Vec<ContactInfo>>,
    selected: Option<String>,
    direction: Direction,
) -> Result<LogForm> {
    let s = state.session.lock().await;
    let (name, platform) = s.loaded.manifest.platform(Some(&s.platform))?;
    let contacts = contacts.unwrap_or_else(|| forms::sample_contacts(platform));
    Ok(forms::log_form(
        name,
        platform,
        &contacts,
        selected.as_deref(),
        direction,
    ))
}

#[tauri::command]
pub async fn history(state: State<'_, AppState>) -> Result<Vec<crate::state::Recorded>> {
    Ok(state.session.lock().await.history.clone())
}

#[tauri::command]
pub async fn clear_history(state: State<'_, AppState>) -> Result<()> {
    let mut s = state.session.lock().await;
    s.history.clear();
    s.save_history();
    Ok(())
}
