//! Contract lints on live connector responses: shapes the lenient decoder would accept but that
//! break, or quietly change, what the real App Connect client shows (SPEC §3, §6). Each finding
//! says what is wrong and why it matters to a user of the client.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::manifest::Platform;
use crate::wire::CREATE_NEW_CONTACT_ID;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum LintLevel {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Lint {
    pub level: LintLevel,
    pub rule: &'static str,
    /// Where in the response body, e.g. `contact[2].id`.
    pub at: String,
    pub message: String,
    /// Why it matters in the real client.
    pub why: String,
}

impl Lint {
    /// A finding made outside this module (the flow's own findings).
    pub fn new(
        level: LintLevel,
        rule: &'static str,
        at: impl Into<String>,
        message: impl Into<String>,
        why: &str,
    ) -> Self {
        lint(level, rule, at, message, why)
    }
}

fn lint(
    level: LintLevel,
    rule: &'static str,
    at: impl Into<String>,
    message: impl Into<String>,
    why: &str,
) -> Lint {
    Lint {
        level,
        rule,
        at: at.into(),
        message: message.into(),
        why: why.to_owned(),
    }
}

const RETURN_MESSAGE_KEYS: [&str; 4] = ["message", "messageType", "ttl", "details"];
/// The real client's default filter shows only these.
const SHOWN_TYPES: [&str; 3] = ["success", "warning", "error"];

/// Checks a `returnMessage` object.
pub fn return_message(rm: &Value, at: &str) -> Vec<Lint> {
    let mut out = Vec::new();
    let Some(obj) = rm.as_object() else {
        if !rm.is_null() {
            out.push(lint(
                LintLevel::Error,
                "return-message-shape",
                at,
                "returnMessage is not an object.",
                "The client reads message, messageType and ttl from an object; nothing is shown.",
            ));
        }
        return out;
    };
    for key in obj
        .keys()
        .filter(|k| !RETURN_MESSAGE_KEYS.contains(&k.as_str()))
    {
        let hint = RETURN_MESSAGE_KEYS
            .iter()
            .find(|known| strsim_close(key, known))
            .map(|k| format!(" Did you mean \"{k}\"?"))
            .unwrap_or_default();
        out.push(lint(
            LintLevel::Warning,
            "return-message-key",
            format!("{at}.{key}"),
            format!("Unknown key \"{key}\" in returnMessage.{hint}"),
            "The client ignores it, so whatever it carries is never shown.",
        ));
    }
    match obj.get("messageType").and_then(Value::as_str) {
        Some(t) if SHOWN_TYPES.contains(&t) => {}
        Some(t) => out.push(lint(LintLevel::Warning, "message-type-hidden", format!("{at}.messageType"), format!("messageType \"{t}\" is hidden by the real client's default filter."), "Users never see the message; use success, warning or error.")),
        None if obj.get("message").is_some() => out.push(lint(LintLevel::Warning, "message-type-hidden", at, "returnMessage has no messageType.", "The real client's default filter shows only success, warning and error; this message is never seen.")),
        None => {}
    }
    if let Some(ttl) = obj.get("ttl") {
        if !ttl.is_u64() {
            out.push(lint(
                LintLevel::Warning,
                "ttl",
                format!("{at}.ttl"),
                format!("ttl {ttl} is not a whole number of milliseconds."),
                "The toast's lifetime becomes unpredictable.",
            ));
        }
    }
    out
}

/// Edit distance of at most 2, for "did you mean".
fn strsim_close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (
        a.to_lowercase().chars().collect(),
        b.to_lowercase().chars().collect(),
    );
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

/// Checks a `GET /contact` body against the contract and the manifest's call-log fields.
pub fn find_contact(body: &Value, platform: Option<&Platform>) -> Vec<Lint> {
    let mut out = Vec::new();
    if let Some(rm) = body.get("returnMessage") {
        out.extend(return_message(rm, "returnMessage"));
    }
    let successful = body.get("successful") == Some(&Value::Bool(true));
    let contacts = match body.get("contact") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(Value::Object(_)) => {
            out.push(lint(LintLevel::Error, "contact-not-array", "contact", "contact is a single object; findContact must answer a list.", "The client iterates the list; an object shows no contacts (connectors return matchedContactInfo as an array)."));
            return out;
        }
        Some(Value::Null) | None if !successful => return out,
        Some(other) => {
            out.push(lint(
                LintLevel::Error,
                "contact-not-array",
                "contact",
                format!("contact is {other}, not a list."),
                "The client cannot list any contact.",
            ));
            return out;
        }
        None => {
            out.push(lint(
                LintLevel::Error,
                "contact-not-array",
                "contact",
                "A successful answer has no contact list.",
                "The client's log form cannot open.",
            ));
            return out;
        }
    };
    let mut has_create_row = false;
    let mut real = 0;
    let mut ids = BTreeSet::new();
    for (i, c) in contacts.iter().enumerate() {
        let at = format!("contact[{i}]");
        let id = match c.get("id") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        let flagged = c.get("isNewContact") == Some(&Value::Bool(true));
        let looks_like_create = flagged || name.to_lowercase().starts_with("create new contact");
        if let (0, true, Some(p)) = (i, flagged, platform) {
            out.extend(create_row_additional_info(c, &at, p));
        }
        if id.as_deref() == Some(CREATE_NEW_CONTACT_ID) {
            if !flagged {
                out.push(lint(LintLevel::Error, "create-row-flag", format!("{at}.isNewContact"), "The \"createNewContact\" row does not have isNewContact: true.", "Extension 1.6.6 shows the name and type inputs only for a row with isNewContact: true, yet creates a contact on Save for the id createNewContact: choosing this row creates a contact with no name typed (the input never appears). The server also treats a row without isNewContact as a real match and caches it."));
            }
            has_create_row = true;
            continue;
        }
        if looks_like_create {
            let what = if flagged {
                "Extension 1.6.6 shows the name and type inputs for this row (it has isNewContact: true), but creates a contact on Save only for the id createNewContact: with this id it creates nothing and logs the call against a contact that does not exist."
            } else {
                "Extension 1.6.6 creates a contact on Save only for the id createNewContact and shows the name and type inputs only for isNewContact: true; this row has neither, so it logs the call against a contact that does not exist."
            };
            out.push(lint(LintLevel::Error, "create-row-id", format!("{at}.id"), format!("A \"Create new contact...\" row has id {}; it must be exactly \"createNewContact\".", c.get("id").map_or("missing".to_owned(), ToString::to_string)), what));
            has_create_row = true;
            continue;
        }
        real += 1;
        match &id {
            None => out.push(lint(
                LintLevel::Error,
                "contact-id",
                &at,
                "A contact has no id.",
                "The call cannot be logged against it.",
            )),
            Some(i) if !ids.insert(i.clone()) => out.push(lint(
                LintLevel::Warning,
                "contact-id",
                format!("{at}.id"),
                format!("Contact id {i} appears twice."),
                "The dropdown shows two entries that log to the same record.",
            )),
            Some(_) => {}
        }
        if name.trim().is_empty() {
            out.push(lint(LintLevel::Error, "contact-name", &at, "A contact has no name.", "The dropdown shows an empty entry and the activity title reads \"Inbound Call from \"."));
        }
        if let Some(p) = platform {
            out.extend(additional_info(c, &at, name, p));
        }
    }
    // With `page.useContactSearch` the client's own search row keeps the form open.
    let search_row = platform
        .and_then(|p| p.page.as_ref())
        .is_some_and(|p| p.use_contact_search);
    if successful && real == 0 && !has_create_row && !search_row {
        out.push(lint(LintLevel::Error, "empty-without-create-row", "contact", "successful is true with no contacts and no \"Create new contact...\" row.", "The real client's log form cannot open: the user can neither pick a contact nor create one."));
    }
    out
}

/// `additionalInfo` keys must name call-log or message-log fields; every selection's options come
/// only from it in extension 1.6.6 (there are no static options), so each list must be a list, and
/// what the client throws on when the person switches to this contact is an error.
fn additional_info(c: &Value, at: &str, name: &str, p: &Platform) -> Vec<Lint> {
    let mut out = Vec::new();
    let fields = p.call_log_fields();
    let info = c.get("additionalInfo").and_then(Value::as_object);
    if let Some(info) = info {
        for key in info.keys() {
            if !fields
                .iter()
                .chain(p.message_log_fields())
                .any(|f| &f.key == key)
            {
                out.push(lint(LintLevel::Warning, "additional-info-key", format!("{at}.additionalInfo.{key}"), format!("additionalInfo.{key} matches no call-log or message-log field of the manifest."), "The client never shows it; check the field's const in page.callLog.additionalFields."));
            }
        }
    }
    for f in fields
        .iter()
        .filter(|f| f.kind.as_deref() == Some("selection"))
    {
        let title = f.title.as_deref().unwrap_or(&f.key);
        let field_at = format!("{at}.additionalInfo.{}", f.key);
        match info.and_then(|i| i.get(&f.key)) {
            None if f.contact_dependent => out.push(lint(
                LintLevel::Warning,
                "field-without-options",
                format!("{at}.additionalInfo"),
                format!("\"{title}\" has no options for {name}."),
                "The client hides the field for this contact, so the user cannot choose one.",
            )),
            None => out.push(lint(
                LintLevel::Error,
                "selection-not-sent",
                format!("{at}.additionalInfo"),
                format!("\"{title}\" has no options for {name}, and the field is not contactDependent."),
                "Extension 1.6.6 takes every selection's options from the contact's additionalInfo (manifest options are ignored): the field is hidden while this contact is the default row, and the client throws when the user switches to this contact (the form does not update). Send the list for every contact.",
            )),
            Some(Value::Array(list)) if list.is_empty() && f.contact_dependent => out.push(lint(
                LintLevel::Error,
                "options-empty",
                field_at,
                format!("\"{title}\" has an empty option list for {name}."),
                "Extension 1.6.6 shows only \"None\" while this contact is the default row, and throws when the user switches to this contact (it reads the first option). Omit the key instead of sending [].",
            )),
            Some(Value::Array(_)) => {}
            Some(other) => out.push(lint(
                LintLevel::Error,
                "options-not-list",
                field_at,
                format!("\"{title}\" options for {name} are {other}, not a list."),
                "Extension 1.6.6 spreads the value into the dropdown and throws: the log form cannot open (or, after switching to this contact, does not update).",
            )),
        }
    }
    out
}

/// A create row that is the default (first) row, checked against the manifest's
/// `contactTypeDependent` new-contact selections: extension 1.6.6 reads their options from
/// `additionalInfo[<defaultContactType>][const]` and throws when that is missing.
fn create_row_additional_info(c: &Value, at: &str, p: &Platform) -> Vec<Lint> {
    let dependent: Vec<_> = p
        .call_log_fields()
        .iter()
        .chain(p.new_contact_fields())
        .filter(|f| f.contact_type_dependent && f.kind.as_deref() == Some("selection"))
        .collect();
    if dependent.is_empty() {
        return Vec::new();
    }
    const WHY: &str = "Extension 1.6.6 reads a contactTypeDependent field's options from the create row's additionalInfo[<defaultContactType>][const] and throws when it is missing: the log form cannot open.";
    let Some(info) = c.get("additionalInfo").filter(|v| !v.is_null()) else {
        return vec![lint(
            LintLevel::Error,
            "create-row-additional-info",
            format!("{at}.additionalInfo"),
            "additionalInfo is null while contactTypeDependent new-contact fields exist.",
            WHY,
        )];
    };
    let t = c
        .get("defaultContactType")
        .and_then(Value::as_str)
        .unwrap_or("undefined");
    dependent
        .iter()
        .filter(|f| !matches!(info.get(t).and_then(|b| b.get(&f.key)), Some(Value::Array(_))))
        .map(|f| {
            lint(
                LintLevel::Error,
                "create-row-additional-info",
                format!("{at}.additionalInfo"),
                format!(
                    "The create row has no option list at additionalInfo.{t}.{} (defaultContactType \"{t}\").",
                    f.key
                ),
                WHY,
            )
        })
        .collect()
}

/// What the user of the real client experiences when a create answer has no `contact`.
pub const SILENT_CREATE_FAILURE: &str = "Nothing happens: no toast, no call log (extension 1.6.6 throws reading the id and only logs to the console).";

/// The finding for a `POST /contact` answer with no `contact` object, whatever `successful` says:
/// the framework drops `contact` whenever the connector's `contactInfo` is null, and the client
/// then fails silently, even when the connector explained why.
pub fn create_without_contact(body: &Value) -> Lint {
    let said = body
        .pointer("/returnMessage/message")
        .and_then(Value::as_str)
        .map(|m| format!(" The server's message \"{m}\" is never shown."))
        .unwrap_or_default();
    lint(
        LintLevel::Error,
        "created-contact-missing",
        "contact",
        format!("The create answer has no contact object.{said}"),
        SILENT_CREATE_FAILURE,
    )
}

/// Checks a `POST /contact` body.
pub fn create_contact(body: &Value) -> Vec<Lint> {
    let mut out = Vec::new();
    if let Some(rm) = body.get("returnMessage") {
        out.extend(return_message(rm, "returnMessage"));
    }
    if matches!(body.get("contact"), None | Some(Value::Null)) {
        out.push(create_without_contact(body));
        return out;
    }
    if body.get("successful") != Some(&Value::Bool(true)) {
        out.push(lint(
            LintLevel::Warning,
            "create-unsuccessful-with-contact",
            "successful",
            "successful is not true, yet the answer has a contact.",
            "Extension 1.6.6 does not read `successful` of a create answer: it logs the call against this contact anyway.",
        ));
    }
    match body.get("contact") {
        Some(Value::Object(c)) => {
            if !matches!(c.get("id"), Some(Value::String(s)) if !s.is_empty())
                && !matches!(c.get("id"), Some(Value::Number(_)))
            {
                out.push(lint(
                    LintLevel::Error,
                    "created-contact-id",
                    "contact.id",
                    "The created contact has no id.",
                    "The client logs the call with this id; without one, the manual Save (1.6.6) logs against the id \"createNewContact\" and the automatic variant (1.7.0-beta) sends no contactId.",
                ));
            }
        }
        Some(Value::Array(_)) => out.push(lint(
            LintLevel::Error,
            "created-contact-shape",
            "contact",
            "createContact answered a list; it must answer one contact object.",
            "The client reads contact.id of an object; the log step gets no id.",
        )),
        _ => out.push(lint(
            LintLevel::Error,
            "created-contact-shape",
            "contact",
            "contact is not an object.",
            "The client reads contact.id of an object; the log step gets no id.",
        )),
    }
    out
}

/// The lints that apply to one recorded exchange, chosen by its route.
pub fn for_exchange(exchange: &crate::client::Exchange, platform: Option<&Platform>) -> Vec<Lint> {
    let Some(body) = exchange
        .response_body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
    else {
        return Vec::new();
    };
    for_json(exchange, &body, platform)
}

/// `for_exchange` with the answer's JSON at hand, as the record shows it (batches parse each
/// answer once).
pub fn for_json(
    exchange: &crate::client::Exchange,
    body: &Value,
    platform: Option<&Platform>,
) -> Vec<Lint> {
    let path = url::Url::parse(&exchange.url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    // The server URL may carry a path prefix (`http://h/connector`), so the route is the path's
    // last segment, not the whole path.
    let is_contact = path.trim_end_matches('/').ends_with("/contact");
    match (exchange.method.as_str(), is_contact) {
        ("GET", true) => find_contact(body, platform),
        // A non-2xx answer never reaches the client's create path (it throws on the status).
        ("POST", true) if exchange.status.is_none_or(|s| (200..300).contains(&s)) => {
            create_contact(body)
        }
        _ => body
            .get("returnMessage")
            .map(|rm| return_message(rm, "returnMessage"))
            .unwrap_or_default(),
    }
}

/// findContact must never create: compares the CRM's contact count around a lookup.
pub fn lookup_created(before: usize, after: usize) -> Option<Lint> {
    (after > before).then(|| lint(LintLevel::Error, "find-created", "", format!("The lookup made the CRM's contact count grow from {before} to {after}."), "findContact must never create contacts; the client creates placeholders only when a call is logged."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(l: &[Lint]) -> Vec<&str> {
        l.iter().map(|x| x.rule).collect()
    }

    #[test]
    fn a_good_answer_has_no_findings() {
        let body = json!({"successful": true, "contact": [
            {"id": "1", "name": "Ada", "type": "contact"},
            {"id": "createNewContact", "name": "Create new contact...", "isNewContact": true, "additionalInfo": null}
        ], "returnMessage": {"message": "ok", "messageType": "success", "ttl": 3000}});
        assert_eq!(find_contact(&body, None), vec![]);
    }

    #[test]
    fn shape_problems() {
        assert_eq!(
            rules(&find_contact(
                &json!({"successful": true, "contact": {"id": "1", "name": "A"}}),
                None
            )),
            ["contact-not-array"]
        );
        assert_eq!(
            rules(&find_contact(
                &json!({"successful": true, "contact": [{"name": "A"}, {"id": 2}]}),
                None
            )),
            ["contact-id", "contact-name"]
        );
        assert_eq!(
            rules(&find_contact(
                &json!({"successful": true, "contact": []}),
                None
            )),
            ["empty-without-create-row"]
        );
        assert_eq!(
            rules(&find_contact(
                &json!({"successful": true, "contact": [{"id": "new", "name": "Create new contact...", "isNewContact": true}]}),
                None
            )),
            ["create-row-id"]
        );
        assert!(find_contact(&json!({"successful": false, "returnMessage": {"message": "no", "messageType": "warning"}}), None).is_empty());
    }

    #[test]
    fn return_message_problems() {
        let l = return_message(
            &json!({"message": "m", "messageType": "danger", "detail": []}),
            "returnMessage",
        );
        assert_eq!(rules(&l), ["return-message-key", "message-type-hidden"]);
        assert!(
            l[0].message.contains("Did you mean \"details\"?"),
            "{}",
            l[0].message
        );
        assert_eq!(
            rules(&return_message(&json!({"message": "m"}), "rm")),
            ["message-type-hidden"]
        );
        assert_eq!(
            rules(&return_message(
                &json!({"message": "m", "messageType": "info"}),
                "rm"
            )),
            ["message-type-hidden"]
        );
    }

    #[test]
    fn a_create_row_with_one_marker_but_not_the_other() {
        let flagged_other_id = find_contact(
            &json!({"successful": true, "contact": [{"id": "new", "name": "Create new contact...", "isNewContact": true}]}),
            None,
        );
        assert_eq!(rules(&flagged_other_id), ["create-row-id"]);
        assert_eq!(flagged_other_id[0].level, LintLevel::Error);
        let why = &flagged_other_id[0].why;
        assert!(
            why.contains("shows the name and type inputs") && why.contains("creates nothing"),
            "{why}"
        );
        let id_unflagged = find_contact(
            &json!({"successful": true, "contact": [{"id": "createNewContact", "name": "Create new contact..."}]}),
            None,
        );
        assert_eq!(rules(&id_unflagged), ["create-row-flag"]);
        assert_eq!(id_unflagged[0].at, "contact[0].isNewContact");
        let why = &id_unflagged[0].why;
        assert!(
            why.contains("creates a contact on Save") && why.contains("no name typed"),
            "{why}"
        );
        assert!(
            rules(&find_contact(
                &json!({"successful": true, "contact": [{"id": "createNewContact", "name": "Create new contact...", "isNewContact": true, "defaultContactType": "lead"}]}),
                None
            ))
            .is_empty(),
            "both markers: nothing to say"
        );
    }

    #[test]
    fn a_create_answer_without_a_contact_is_a_silent_failure() {
        for body in [
            json!({"successful": false, "returnMessage": {"message": "Reserved name", "messageType": "warning", "ttl": 5000}}),
            json!({"successful": true}),
            json!({"successful": true, "contact": null}),
        ] {
            let found = create_contact(&body);
            assert_eq!(rules(&found), ["created-contact-missing"], "{body}");
            assert_eq!(found[0].level, LintLevel::Error);
            assert_eq!(found[0].why, SILENT_CREATE_FAILURE);
        }
        assert!(SILENT_CREATE_FAILURE.starts_with("Nothing happens: no toast, no call log"));
        let said = create_contact(
            &json!({"successful": false, "returnMessage": {"message": "Reserved name", "messageType": "warning"}}),
        );
        assert!(
            said[0].message.contains("\"Reserved name\" is never shown"),
            "{}",
            said[0].message
        );
        let mut revoked = exchange(
            "POST",
            "http://h/contact?jwtToken=x",
            &json!({"successful": false, "errorCode": "CRM_SESSION_REVOKED"}),
        );
        revoked.status = Some(401);
        assert!(
            for_exchange(&revoked, None).is_empty(),
            "a 401 is not a create answer"
        );
    }

    #[test]
    fn create_answers() {
        assert!(
            create_contact(&json!({"successful": true, "contact": {"id": "9", "name": "N"}}))
                .is_empty()
        );
        assert_eq!(
            rules(&create_contact(
                &json!({"successful": true, "contact": [{"id": "9"}]})
            )),
            ["created-contact-shape"]
        );
        assert_eq!(
            rules(&create_contact(
                &json!({"successful": true, "contact": {"name": "N"}})
            )),
            ["created-contact-id"]
        );
    }

    fn exchange(method: &str, url: &str, body: &Value) -> crate::client::Exchange {
        crate::client::Exchange {
            method: method.into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(200),
            response_headers: Vec::new(),
            response_body: Some(body.to_string()),
            elapsed_ms: 1,
            refreshed_token: false,
        }
    }

    #[test]
    fn routes_are_found_behind_a_path_prefix() {
        let empty = json!({"successful": true, "contact": []});
        let object = json!({"successful": true, "contact": [{"id": "9"}]});
        for base in ["http://h", "http://h/connector", "http://h/a/b/"] {
            let base = base.trim_end_matches('/');
            let found = for_exchange(
                &exchange(
                    "GET",
                    &format!("{base}/contact?jwtToken=<redacted>&phoneNumber=%2B1"),
                    &empty,
                ),
                None,
            );
            assert_eq!(
                rules(&found),
                ["empty-without-create-row"],
                "GET {base}/contact is findContact whatever the prefix"
            );
            let created = for_exchange(
                &exchange("POST", &format!("{base}/contact?jwtToken=x"), &object),
                None,
            );
            assert_eq!(
                rules(&created),
                ["created-contact-shape"],
                "POST {base}/contact is createContact whatever the prefix"
            );
        }
        assert!(
            for_exchange(
                &exchange("GET", "http://h/custom/contact/search?name=a", &empty),
                None
            )
            .is_empty(),
            "the name search is not findContact"
        );
    }

    fn platform_of(page: Value) -> Platform {
        let m = json!({"platforms": {"t": {"name": "t", "page": page}}});
        crate::manifest::parse(&m.to_string())
            .unwrap()
            .platform(None)
            .unwrap()
            .1
            .clone()
    }

    /// Extension 1.6.6: every selection's options come from the contact's additionalInfo; what
    /// makes the client throw is an error, what only hides a contact-dependent field a warning.
    #[test]
    fn option_lists_the_client_throws_on() {
        let p = platform_of(json!({"callLog": {"additionalFields": [
            {"const": "deals", "title": "Deal", "type": "selection", "contactDependent": true},
            {"const": "category", "title": "Category", "type": "selection", "contactDependent": false}
        ]}}));
        let answer = |info: Value| json!({"successful": true, "contact": [{"id": "1", "name": "Ada", "additionalInfo": info}]});
        assert!(find_contact(
            &answer(json!({"deals": [{"const": "d", "title": "D"}], "category": [{"const": "c", "title": "C"}]})),
            Some(&p)
        )
        .is_empty());
        let found = find_contact(&answer(json!({"deals": [], "category": null})), Some(&p));
        assert_eq!(rules(&found), ["options-empty", "options-not-list"]);
        assert!(found.iter().all(|l| l.level == LintLevel::Error));
        let found = find_contact(&answer(json!({})), Some(&p));
        assert_eq!(
            rules(&found),
            ["field-without-options", "selection-not-sent"],
            "a missing contact-dependent list hides the field; a missing other one throws on switching"
        );
        assert_eq!(found[1].level, LintLevel::Error);
    }

    /// Extension 1.6.6: a default create row must carry `additionalInfo[<defaultContactType>]`
    /// lists for contactTypeDependent new-contact fields.
    #[test]
    fn a_create_row_without_its_contact_type_lists() {
        let p = platform_of(
            json!({"callLog": {"additionalFields": []}, "newContact": {"additionalFields": [
                {"const": "status", "title": "Status", "type": "selection", "contactTypeDependent": true}
            ]}}),
        );
        let row = |extra: Value| {
            let mut r = json!({"id": "createNewContact", "name": "Create new contact...", "isNewContact": true});
            r.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            json!({"successful": true, "contact": [r]})
        };
        let null = find_contact(&row(json!({"additionalInfo": null})), Some(&p));
        assert_eq!(rules(&null), ["create-row-additional-info"]);
        assert!(null[0]
            .message
            .contains("additionalInfo is null while contactTypeDependent"));
        let wrong = find_contact(
            &row(
                json!({"defaultContactType": "Lead", "additionalInfo": {"Contact": {"status": []}}}),
            ),
            Some(&p),
        );
        assert_eq!(rules(&wrong), ["create-row-additional-info"]);
        assert!(
            wrong[0].message.contains("additionalInfo.Lead.status"),
            "{}",
            wrong[0].message
        );
        assert!(find_contact(
            &row(json!({"defaultContactType": "Lead", "additionalInfo": {"Lead": {"status": [{"const": "n", "title": "New"}]}}})),
            Some(&p)
        )
        .is_empty());
        assert!(
            find_contact(&row(json!({"additionalInfo": null})), None).is_empty(),
            "without the manifest nothing is known"
        );
    }

    /// Extension 1.6.6: with `page.useContactSearch` an empty list still opens the form.
    #[test]
    fn the_search_row_keeps_an_empty_list_open() {
        let empty = json!({"successful": true, "contact": []});
        let searching = platform_of(json!({"useContactSearch": true}));
        assert!(find_contact(&empty, Some(&searching)).is_empty());
        let plain = platform_of(json!({}));
        assert_eq!(
            rules(&find_contact(&empty, Some(&plain))),
            ["empty-without-create-row"]
        );
    }

    #[test]
    fn counting() {
        assert!(lookup_created(12, 12).is_none());
        assert_eq!(lookup_created(12, 13).unwrap().rule, "find-created");
    }
}
