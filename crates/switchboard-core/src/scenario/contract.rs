//! The contract check: what the manifest makes the client offer, against what the server says it
//! implements (`GET /implementedInterfaces`, a `{name: bool}` map; see the framework's OpenAPI
//! contract in shared/reference). A manifest that shows a form the connector cannot serve fails
//! for every user of the client, not in a test of one route.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::manifest::{AuthType, Platform};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ContractLevel")]
#[serde(rename_all = "camelCase")]
pub enum Level {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ContractFinding")]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub level: Level,
    /// A stable name (`create-contact-missing`), for `expect: { findings: [...] }`.
    pub code: String,
    pub message: String,
}

/// Every code `check` can give, for documentation and for checking what a scenario expects.
pub const CODES: &[&str] = &[
    "find-contact-missing",
    "create-contact-missing",
    "create-call-log-missing",
    "get-call-log-missing",
    "update-call-log-missing",
    "message-log-missing",
    "contact-search-missing",
    "auth-missing",
    "user-info-missing",
    "unauthorize-missing",
];

fn finding(level: Level, code: &str, message: String) -> Finding {
    Finding {
        level,
        code: code.to_owned(),
        message,
    }
}

/// Compares the platform's manifest with the server's implemented interfaces. An interface the
/// map does not mention counts as not implemented (the framework lists every one it knows).
pub fn check(
    platform_name: &str,
    platform: &Platform,
    interfaces: &Map<String, Value>,
) -> Vec<Finding> {
    let has = |name: &str| interfaces.get(name).and_then(Value::as_bool) == Some(true);
    let mut out = Vec::new();
    let pages = platform.page.as_ref();
    if !has("findContact") {
        out.push(finding(
            Level::Error,
            "find-contact-missing",
            format!("The server does not implement findContact for {platform_name}: every call's contact lookup fails."),
        ));
    }
    if !has("createContact") {
        let types: Vec<&str> = platform.usable_contact_types().map(|(_, v)| v).collect();
        let why = if !types.is_empty() {
            format!(
                "the manifest offers contact types ({}) for new contacts",
                types.join(", ")
            )
        } else if pages.and_then(|p| p.new_contact.as_ref()).is_some() {
            "the manifest has a new-contact form (page.newContact)".to_owned()
        } else {
            "the client offers \"Create new contact...\" whenever the lookup returns that row"
                .to_owned()
        };
        let level = if why.starts_with("the client") {
            Level::Warning
        } else {
            Level::Error
        };
        out.push(finding(
            level,
            "create-contact-missing",
            format!("The server does not implement createContact, but {why}: saving a call against a new contact fails."),
        ));
    }
    if !has("createCallLog") {
        out.push(finding(
            Level::Error,
            "create-call-log-missing",
            "The server does not implement createCallLog: the client's Save on a call fails."
                .to_owned(),
        ));
    }
    if !has("getCallLog") {
        out.push(finding(
            Level::Warning,
            "get-call-log-missing",
            "The server does not implement getCallLog: the client cannot tell which calls are already logged.".to_owned(),
        ));
    }
    if !has("updateCallLog") {
        out.push(finding(
            Level::Warning,
            "update-call-log-missing",
            "The server does not implement updateCallLog: editing a logged call (note, subject) fails.".to_owned(),
        ));
    }
    if pages.and_then(|p| p.message_log.as_ref()).is_some() && !has("createMessageLog") {
        out.push(finding(
            Level::Warning,
            "message-log-missing",
            "The manifest has an SMS log form (page.messageLog) but the server does not implement createMessageLog: logging a message fails.".to_owned(),
        ));
    }
    if pages.is_some_and(|p| p.use_contact_search) && !has("findContactWithName") {
        out.push(finding(
            Level::Error,
            "contact-search-missing",
            "The manifest turns on page.useContactSearch but the server does not implement findContactWithName: the client's \"Search contacts\" row finds nothing.".to_owned(),
        ));
    }
    let auth = match platform.auth_type() {
        AuthType::ApiKey => Some(("getBasicAuth", "an API-key sign-in")),
        AuthType::OAuth => Some(("getOauthInfo", "an OAuth sign-in")),
        AuthType::Unknown => None,
    };
    if let Some((interface, kind)) = auth {
        if !has(interface) {
            out.push(finding(
                Level::Error,
                "auth-missing",
                format!("The manifest declares {kind} but the server does not implement {interface}: nobody can sign in."),
            ));
        }
    }
    if !has("getUserInfo") {
        out.push(finding(
            Level::Error,
            "user-info-missing",
            "The server does not implement getUserInfo: sign-in cannot finish.".to_owned(),
        ));
    }
    if !has("unAuthorize") {
        out.push(finding(
            Level::Warning,
            "unauthorize-missing",
            "The server does not implement unAuthorize: signing out leaves the CRM credentials on the server.".to_owned(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn platform(v: Value) -> Platform {
        serde_json::from_value(v).unwrap()
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.code.as_str()).collect()
    }

    const ALL: &[&str] = &[
        "getAuthType",
        "getBasicAuth",
        "getOauthInfo",
        "getUserInfo",
        "createCallLog",
        "updateCallLog",
        "getCallLog",
        "createMessageLog",
        "createContact",
        "findContact",
        "unAuthorize",
        "findContactWithName",
    ];

    fn everything() -> Map<String, Value> {
        ALL.iter()
            .map(|k| (k.to_string(), Value::Bool(true)))
            .collect()
    }

    #[test]
    fn a_full_server_has_no_findings() {
        let p = platform(
            json!({"auth": {"type": "apiKey"}, "contactTypes": [{"display": "Lead", "value": "lead"}],
            "page": {"messageLog": {"additionalFields": []}, "useContactSearch": true}}),
        );
        assert!(check("crm", &p, &everything()).is_empty());
    }

    #[test]
    fn contact_types_without_create_contact_is_an_error() {
        let p = platform(
            json!({"auth": {"type": "apiKey"}, "contactTypes": [{"display": "Lead", "value": "lead"}]}),
        );
        let mut m = everything();
        m.insert("createContact".into(), Value::Bool(false));
        let f = check("crm", &p, &m);
        assert_eq!(codes(&f), vec!["create-contact-missing"]);
        assert_eq!(f[0].level, Level::Error);
        assert!(f[0].message.contains("lead"), "{}", f[0].message);
        // Without contact types or a new-contact form it is only a warning.
        let bare = platform(json!({"auth": {"type": "apiKey"}}));
        assert_eq!(check("crm", &bare, &m)[0].level, Level::Warning);
    }

    #[test]
    fn forms_and_sign_in_against_missing_interfaces() {
        let p = platform(
            json!({"auth": {"type": "oauth"}, "page": {"messageLog": {"additionalFields": []}, "useContactSearch": true}}),
        );
        let m = map(
            json!({"findContact": true, "createContact": true, "createCallLog": true, "getCallLog": true,
            "updateCallLog": true, "getUserInfo": true, "unAuthorize": true, "getBasicAuth": true}),
        );
        let f = check("crm", &p, &m);
        assert_eq!(
            codes(&f),
            vec![
                "message-log-missing",
                "contact-search-missing",
                "auth-missing"
            ]
        );
        // An empty map (an unknown platform on some servers): everything is missing.
        let f = check(
            "crm",
            &platform(json!({"auth": {"type": "apiKey"}})),
            &Map::new(),
        );
        assert!(codes(&f).contains(&"find-contact-missing"));
        assert!(codes(&f).contains(&"auth-missing"));
        for c in codes(&f) {
            assert!(CODES.contains(&c), "{c} is listed in CODES");
        }
    }
}
