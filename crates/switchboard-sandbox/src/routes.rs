//! The connector routes, answering as `@app-connect/core` does (checked by the conformance suite
//! against the real framework): business failures are HTTP 200 with `successful:false`, a missing
//! or bad session token is HTTP 400 with plain text.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use switchboard_core::phone;
use switchboard_core::wire::{CallLogRequest, ContactInfo, CreateContactRequest, ReturnMessage};

use crate::crm::CONTACT_TYPES;
use crate::{State, PLATFORM};

type Shared = Arc<State>;
type Q = Query<HashMap<String, String>>;

/// The framework's text for a missing or bad session token.
pub const AUTHORIZE_TEXT: &str = "Please go to Settings and authorize CRM platform";
/// The sandbox's one user, as the JWT's `id`.
pub const USER_ID: &str = "sandbox-user-1";
const USER_NAME: &str = "Sandbox Demo User";

pub fn router(state: Shared) -> Router {
    // The CRM data routes, where `--latency`, `--error-rate` and `--rate-limit` apply.
    let data = Router::new()
        .route("/contact", get(find_contact).post(create_contact))
        .route("/callLog", get(get_call_log).post(create_call_log))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::faults::inject,
        ));
    Router::new()
        .route("/isAlive", get(|| async { "OK" }))
        .route("/implementedInterfaces", get(implemented_interfaces))
        .route("/apiKeyLogin", post(api_key_login))
        .route("/authValidation", get(auth_validation))
        .route("/unAuthorize", post(unauthorize))
        .merge(data)
        .with_state(state)
}

/// The JWT payload, as the framework signs it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub id: String,
    pub platform: String,
    pub iat: u64,
    pub exp: u64,
}

fn issue_token(state: &State) -> String {
    let iat = state.config.clock.now_secs();
    let claims = Claims {
        id: USER_ID.to_owned(),
        platform: PLATFORM.to_owned(),
        iat,
        exp: iat + state.config.token_lifetime_secs,
    };
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(&state.jwt_secret),
    )
    .unwrap_or_default()
}

/// Text answers carry Express's default content type, as the framework's do.
fn plain_400(text: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        text.to_owned(),
    )
        .into_response()
}

fn unauthorized() -> Response {
    plain_400(AUTHORIZE_TEXT)
}

/// A token that still verifies but whose user signed out: the framework finds no user.
fn user_gone() -> Response {
    Json(json!({"successful": false, "message": "Contact not found"})).into_response()
}

/// Why a data route refuses a request before looking at it.
enum Denied {
    /// No token, or one that does not verify: the framework's 400 text.
    NoSession,
    /// The token verifies but its user signed out.
    UserGone,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Self::NoSession => unauthorized(),
            Self::UserGone => user_gone(),
        }
    }
}

/// The session of a signed-in user, or why there is none.
fn active_session(
    state: &State,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Session, Denied> {
    match session(state, query, headers) {
        None => Err(Denied::NoSession),
        Some(s) if !s.user_exists => Err(Denied::UserGone),
        Some(s) => Ok(s),
    }
}

/// A decoded session.
struct Session {
    claims: Claims,
    /// A renewed token, when the old one is near expiry.
    renewed: Option<String>,
    /// False once the user signed out; the token itself still verifies.
    user_exists: bool,
}

/// The session from `jwtToken=` or `Authorization: Bearer`. `None` (no token, or one that does not
/// verify) is the framework's 400 answer.
fn session(state: &State, query: &HashMap<String, String>, headers: &HeaderMap) -> Option<Session> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let token = bearer.or_else(|| query.get("jwtToken").cloned());
    let token = token.filter(|t| !t.is_empty())?;
    // `exp` stays required, but is checked below against the sandbox's clock rather than
    // jsonwebtoken's own reading of the wall clock.
    let mut validation = Validation::default();
    validation.leeway = 0;
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Claims>(
        &token,
        &DecodingKey::from_secret(&state.jwt_secret),
        &validation,
    )
    .ok()?
    .claims;
    let now = state.config.clock.now_secs();
    if claims.exp < now {
        return None;
    }
    let user_exists = !state
        .signed_out
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&claims.id);
    let remaining = claims.exp.saturating_sub(now);
    let renewed = (remaining <= state.config.renew_below_secs).then(|| issue_token(state));
    Some(Session {
        claims,
        renewed,
        user_exists,
    })
}

/// A JSON answer, with `x-refreshed-jwt-token` when the session was renewed.
fn reply(body: Value, renewed: Option<String>) -> Response {
    let mut resp = Json(body).into_response();
    if let Some(t) = renewed.and_then(|t| HeaderValue::from_str(&t).ok()) {
        resp.headers_mut().insert("x-refreshed-jwt-token", t);
    }
    resp
}

fn message(kind: &str, text: &str, ttl: u64) -> Value {
    serde_json::to_value(ReturnMessage::new(kind, text, ttl)).unwrap_or(Value::Null)
}

fn failure(text: &str, ttl: u64, renewed: Option<String>) -> Response {
    reply(
        json!({"successful": false, "returnMessage": message("warning", text, ttl)}),
        renewed,
    )
}

async fn implemented_interfaces(Query(q): Q) -> Response {
    let known = q.get("platform").map(String::as_str) == Some(PLATFORM);
    // Every key the contract requires, as the framework lists them; only what the sandbox serves is true.
    let mut interfaces = serde_json::Map::new();
    for (name, served) in [
        ("getAuthType", true),
        ("getBasicAuth", true),
        ("getUserInfo", true),
        ("createCallLog", true),
        ("updateCallLog", false),
        ("getCallLog", true),
        ("createMessageLog", false),
        ("updateMessageLog", false),
        ("createContact", true),
        ("findContact", true),
        ("listAppointments", false),
        ("createAppointment", false),
        ("updateAppointment", false),
        ("refreshAppointment", false),
        ("confirmAppointment", false),
        ("cancelAppointment", false),
        ("unAuthorize", true),
        ("upsertCallDisposition", false),
        ("findContactWithName", false),
        ("getUserList", false),
        ("getManagedAuthOptions", false),
        ("getLicenseStatus", false),
        ("getLogFormatType", false),
        ("refreshUserInfo", false),
        ("cacheCallNote", false),
    ] {
        interfaces.insert(name.to_owned(), Value::Bool(served && known));
    }
    Json(Value::Object(interfaces)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginBody {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    api_key: String,
}

fn login_refused(text: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"returnMessage": message("warning", text, 5000)})),
    )
        .into_response()
}

async fn api_key_login(AxState(state): AxState<Shared>, body: Option<Json<LoginBody>>) -> Response {
    let Some(Json(body)) = body else {
        return plain_400("Missing platform name");
    };
    if body.platform.is_empty() {
        return plain_400("Missing platform name");
    }
    if body.platform != PLATFORM {
        return login_refused(&format!(
            "Platform \"{}\" is not served here; this sandbox serves \"{PLATFORM}\".",
            body.platform
        ));
    }
    if body.api_key != state.config.api_key {
        return login_refused(
            "The API key was not accepted. Use the key the sandbox was started with (\"demo\" by default).",
        );
    }
    state
        .signed_out
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|u| u != USER_ID);
    Json(json!({
        "jwtToken": issue_token(&state),
        "name": USER_NAME,
        "returnMessage": message("success", "Connected to Sandbox CRM.", 3000),
    }))
    .into_response()
}

async fn auth_validation(
    AxState(state): AxState<Shared>,
    Query(q): Q,
    headers: HeaderMap,
) -> Response {
    match session(&state, &q, &headers) {
        Some(s) if s.user_exists => reply(
            json!({"successful": true, "returnMessage": message("success", "Session is valid.", 2000)}),
            s.renewed,
        ),
        Some(_) => user_gone(),
        None => unauthorized(),
    }
}

/// Answers with the connector's returnMessage object itself, as the framework does.
async fn unauthorize(AxState(state): AxState<Shared>, Query(q): Q, headers: HeaderMap) -> Response {
    match session(&state, &q, &headers) {
        Some(s) if s.user_exists => {
            state
                .signed_out
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(s.claims.id);
            reply(message("success", "Logged out of Sandbox CRM.", 3000), None)
        }
        Some(_) => plain_400("User not found"),
        None => unauthorized(),
    }
}

async fn find_contact(
    AxState(state): AxState<Shared>,
    Query(q): Q,
    headers: HeaderMap,
) -> Response {
    let Some(s) = session(&state, &q, &headers) else {
        return unauthorized();
    };
    if !s.user_exists {
        return failure("Contact not found", 5000, None);
    }
    let number = q.get("phoneNumber").cloned().unwrap_or_default();
    if q.get("isExtension").map(String::as_str) == Some("true") {
        return failure(
            "Logging against internal extension numbers is not supported.",
            3000,
            s.renewed,
        );
    }
    let formats: Vec<String> = q
        .get("overridingFormat")
        .map(|f| {
            f.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut candidates = vec![number.clone()];
    if let Ok(parsed) = phone::parse_e164(&number) {
        candidates.extend(
            phone::expand(&parsed, &formats)
                .into_iter()
                .map(|e| e.result),
        );
    }
    let quirks = state.config.quirks;
    let mut crm = state.crm();
    if quirks.create_on_lookup && crm.find(&candidates).is_empty() {
        crm.create(&format!("Auto {number}"), "contact", &number);
    }
    let mut contacts: Vec<Value> = crm.find(&candidates).iter().map(|c| c.to_wire()).collect();
    let matched = contacts.len();
    drop(crm);
    if !quirks.no_create_row {
        let mut row = serde_json::to_value(ContactInfo::create_new_row()).unwrap_or(Value::Null);
        // The new contact's fields per contact type, which the automatic variant (1.7.0-beta)
        // reads from this row (none of the sandbox's need options, so each is empty).
        row["additionalInfo"] = Value::Object(
            CONTACT_TYPES
                .iter()
                .map(|t| ((*t).to_owned(), json!({})))
                .collect(),
        );
        if quirks.wrong_create_id {
            row["id"] = json!("new-contact");
        }
        contacts.push(row);
    }
    if quirks.contact_as_object && !contacts.is_empty() {
        return reply(
            json!({"successful": true, "contact": contacts[0]}),
            s.renewed,
        );
    }
    if quirks.hidden_messages {
        let m = json!({"message": format!("Looked up {number}"), "messageType": "danger", "ttl": 3000,
                       "detail": [{"title": "Lookup", "items": [{"id": "1", "type": "text", "text": "Matched by phone"}]}]});
        return reply(
            json!({"successful": true, "contact": contacts, "returnMessage": m}),
            s.renewed,
        );
    }
    let mut body = json!({"successful": true, "contact": contacts});
    if matched == 0 {
        // The framework's default when the connector matched nothing and said nothing.
        body["returnMessage"] = json!({
            "message": "Contact not found",
            "messageType": "warning",
            "details": [{"title": "Details", "items": [{
                "id": "1",
                "type": "text",
                "text": format!("A contact with the phone number {number} could not be found in your {PLATFORM} account."),
            }]}],
            "ttl": 5000,
        });
    }
    reply(body, s.renewed)
}

async fn create_contact(
    AxState(state): AxState<Shared>,
    Query(q): Q,
    headers: HeaderMap,
    body: Option<Json<CreateContactRequest>>,
) -> Response {
    let s = match active_session(&state, &q, &headers) {
        Ok(s) => s,
        Err(denied) => return denied.into_response(),
    };
    let Some(Json(req)) = body else {
        return failure("The request has no valid JSON body.", 5000, s.renewed);
    };
    let name = req.new_contact_name.trim();
    if name.is_empty() {
        return failure("A contact name is required.", 5000, s.renewed);
    }
    if crate::crm::seed()
        .reserved_names
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
    {
        let text = format!("\"{name}\" is a reserved name in this CRM; choose another.");
        return failure(&text, 5000, s.renewed);
    }
    let kind = match req.new_contact_type.as_deref() {
        None | Some("") => "contact",
        Some(t) if CONTACT_TYPES.contains(&t) => t,
        Some(other) => {
            let text = format!(
                "Unknown contact type \"{other}\"; this CRM knows {}.",
                CONTACT_TYPES.join(", ")
            );
            return failure(&text, 5000, s.renewed);
        }
    };
    let created = state.crm().create(name, kind, &req.phone_number);
    reply(
        json!({
            "successful": true,
            "returnMessage": message("success", &format!("Contact \"{name}\" created."), 2000),
            "contact": {"id": created.id, "name": created.name, "type": created.kind},
        }),
        s.renewed,
    )
}

async fn create_call_log(
    AxState(state): AxState<Shared>,
    Query(q): Q,
    headers: HeaderMap,
    body: Option<Json<CallLogRequest>>,
) -> Response {
    let s = match active_session(&state, &q, &headers) {
        Ok(s) => s,
        Err(denied) => return denied.into_response(),
    };
    let Some(Json(req)) = body else {
        return failure("The request has no valid JSON call log.", 5000, s.renewed);
    };
    let mut crm = state.crm();
    if crm.log_for_session(&req.log_info.session_id).is_some() {
        let text = format!("Existing log for session {}", req.log_info.session_id);
        return failure(&text, 3000, s.renewed);
    }
    let contact_id = req.contact_id_text();
    if crm.get(&contact_id).is_none() {
        let text = format!("Contact {contact_id} does not exist; nothing was logged.");
        return failure(&text, 5000, s.renewed);
    }
    let subject = req.log_info.custom_subject.clone().unwrap_or_default();
    let log = crm.add_log(
        &req.log_info.session_id,
        &contact_id,
        &subject,
        &req.note,
        Value::Object(req.additional_submission),
    );
    drop(crm);
    reply(
        json!({"successful": true, "logId": log.id, "returnMessage": message("success", "Call logged", 2000)}),
        s.renewed,
    )
}

async fn get_call_log(
    AxState(state): AxState<Shared>,
    Query(q): Q,
    headers: HeaderMap,
) -> Response {
    let s = match active_session(&state, &q, &headers) {
        Ok(s) => s,
        Err(denied) => return denied.into_response(),
    };
    let Some(ids) = q.get("sessionIds").filter(|v| !v.is_empty()) else {
        return reply(json!({"successful": false}), s.renewed);
    };
    let crm = state.crm();
    let logs: Vec<Value> = ids
        .split(',')
        .take(5)
        .map(|sid| match crm.log_for_session(sid) {
            Some(l) => json!({"sessionId": sid, "matched": true, "logId": l.id}),
            None => json!({"sessionId": sid, "matched": false}),
        })
        .collect();
    reply(json!({"successful": true, "logs": logs}), s.renewed)
}
