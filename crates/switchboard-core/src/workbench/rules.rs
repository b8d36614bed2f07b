//! The sign-in rules both front ends follow: which login-page values are sent, where a blank one
//! comes from, and which CRM hostname goes with a sign-in.

use serde_json::{Map, Value};

use crate::error::{ErrorCode, UserError};
use crate::manifest::{AuthType, Platform};
use crate::sensitive::Sensitive;

/// The login values to send (`apiKey` first, then the page's other fields by `const`) and the
/// ones to remember.
#[derive(Debug)]
pub struct LoginValues {
    pub api_key: Sensitive<String>,
    pub fields: Vec<(String, Sensitive<String>)>,
}

impl LoginValues {
    /// The values as one JSON object, as the keychain keeps them.
    pub fn to_stored(&self) -> Sensitive<String> {
        let map: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.expose().clone())))
            .collect();
        Sensitive::new(Value::Object(map).to_string())
    }
}

fn invalid(message: String) -> UserError {
    UserError::new(ErrorCode::InvalidInput, message)
}

/// Resolves the values of the manifest's API-key login page. For each field: the value given now
/// when it is not blank, else the value stored for this same server, else the manifest's default
/// (never for the API key itself). A field the page does not have is refused; a required field
/// with no value is named.
pub fn login_values(
    platform_name: &str,
    platform: &Platform,
    given: &[(String, String)],
    stored: &Map<String, Value>,
) -> Result<LoginValues, UserError> {
    let page: Vec<_> = platform
        .api_key_fields()
        .iter()
        .filter(|f| !f.is_button())
        .collect();
    if page.is_empty() && platform.auth_type() == AuthType::OAuth {
        return Err(UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "{platform_name} signs in with OAuth, not an API key: use \"Sign in with the CRM\" in the app, or `switchboard login` without --api-key."
            ),
        ));
    }
    for (key, _) in given {
        let known = key == "apiKey" || page.iter().any(|f| &f.key == key);
        if !known {
            return Err(invalid(format!(
                "The login page of {platform_name} has no field \"{key}\". Its fields are: {}.",
                page.iter()
                    .map(|f| f.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let given_value = |key: &str| {
        given
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    };
    let stored_value = |key: &str| {
        stored
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.trim().is_empty())
            .map(str::to_owned)
    };
    // The API key is always sent, whether or not the page lists it.
    let mut keys: Vec<(&str, Option<String>, bool, String)> = vec![(
        "apiKey",
        None,
        true,
        page.iter()
            .find(|f| f.key == "apiKey")
            .and_then(|f| f.title.clone())
            .unwrap_or_else(|| "API key".to_owned()),
    )];
    for f in page.iter().filter(|f| f.key != "apiKey") {
        let default = f
            .default_value
            .as_ref()
            .and_then(Value::as_str)
            .filter(|d| !d.trim().is_empty())
            .map(str::to_owned);
        keys.push((
            f.key.as_str(),
            default,
            f.required,
            f.title.clone().unwrap_or_else(|| f.key.clone()),
        ));
    }
    let mut fields = Vec::new();
    let mut missing = Vec::new();
    for (key, default, required, title) in keys {
        match given_value(key).or_else(|| stored_value(key)).or(default) {
            Some(v) => fields.push((key.to_owned(), Sensitive::new(v))),
            None if required => missing.push(if title == key {
                key.to_owned()
            } else {
                format!("{title} ({key})")
            }),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(invalid(format!(
            "Sign-in to {platform_name} needs a value for: {}. Fill them in on the Sign in page (on the command line: --api-key, and --field CONST=VALUE for the others).",
            missing.join(", ")
        )));
    }
    let api_key = fields
        .iter()
        .find(|(k, _)| k == "apiKey")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| Sensitive::new(String::new()));
    Ok(LoginValues { api_key, fields })
}

/// The host part of a URL (or the text itself when it has no scheme).
pub fn host_of(url: &str) -> String {
    let url = url.trim();
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| {
            url.split(['/', ':'])
                .find(|p| !p.is_empty())
                .unwrap_or("")
                .to_owned()
        })
}

/// The CRM hostname sent with a sign-in (SPEC §5 `environment`): the chosen one, else the fixed
/// environment's. A selectable or dynamic environment needs a choice.
pub fn hostname(
    platform_name: &str,
    platform: &Platform,
    chosen: Option<&str>,
) -> Result<String, UserError> {
    if let Some(c) = chosen.map(str::trim).filter(|c| !c.is_empty()) {
        return Ok(host_of(c));
    }
    let Some(env) = &platform.environment else {
        return Ok(String::new());
    };
    match env.kind.as_deref() {
        Some("selectable") if !env.selections.is_empty() => Err(invalid(format!(
            "{platform_name} has several environments; choose one (the Environment field in the app, --hostname on the command line): {}.",
            env.selections
                .iter()
                .map(|s| host_of(&s.url))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Some("dynamic") => Err(invalid(format!(
            "{platform_name} needs your CRM's address (the Environment field in the app, --hostname on the command line)."
        ))),
        _ => Ok(env.url.as_deref().map(host_of).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest;

    fn platform(json: &str) -> Platform {
        let m = manifest::parse(&format!(r#"{{"platforms":{{"p":{json}}}}}"#)).unwrap();
        m.platform(None).unwrap().1.clone()
    }

    const PAGE: &str = r#"{"auth":{"type":"apiKey","apiKey":{"page":{"content":[
        {"const":"apiKey","title":"API key","type":"string","required":true},
        {"const":"companyId","title":"Company","type":"string","required":true},
        {"const":"region","title":"Region","type":"string","defaultValue":"us"},
        {"const":"note","title":"Note","type":"string"}]}}}}"#;

    fn pairs(v: &LoginValues) -> Vec<(String, String)> {
        v.fields
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().clone()))
            .collect()
    }

    #[test]
    fn given_values_win_then_stored_then_defaults() {
        let p = platform(PAGE);
        let mut stored = Map::new();
        stored.insert("apiKey".into(), "old-key".into());
        stored.insert("companyId".into(), "acme".into());
        let v = login_values(
            "p",
            &p,
            &[
                ("apiKey".into(), "new-key".into()),
                ("companyId".into(), "  ".into()),
            ],
            &stored,
        )
        .unwrap();
        assert_eq!(
            v.api_key.expose(),
            "new-key",
            "a typed value replaces the stored one"
        );
        assert_eq!(
            pairs(&v),
            [
                ("apiKey".to_owned(), "new-key".to_owned()),
                ("companyId".to_owned(), "acme".to_owned()),
                ("region".to_owned(), "us".to_owned()),
            ],
            "a blank field takes the stored value, an untouched one its default; an empty optional one is left out"
        );
    }

    #[test]
    fn missing_required_and_unknown_fields_are_named() {
        let p = platform(PAGE);
        let e = login_values("p", &p, &[("apiKey".into(), "k".into())], &Map::new()).unwrap_err();
        assert!(e.message.contains("Company (companyId)"), "{}", e.message);
        let e = login_values("p", &p, &[], &Map::new()).unwrap_err();
        assert!(e.message.contains("API key (apiKey)"), "{}", e.message);
        let e = login_values(
            "p",
            &p,
            &[("apiKey".into(), "k".into()), ("tenant".into(), "x".into())],
            &Map::new(),
        )
        .unwrap_err();
        assert!(e.message.contains("no field \"tenant\""), "{}", e.message);
        assert!(e.message.contains("companyId"), "{}", e.message);
    }

    #[test]
    fn oauth_platforms_take_no_api_key() {
        let p = platform(r#"{"auth":{"type":"oauth","oauth":{"authUrl":"https://a.test"}}}"#);
        let e = login_values("p", &p, &[("apiKey".into(), "k".into())], &Map::new()).unwrap_err();
        assert!(e.message.contains("OAuth"), "{}", e.message);
    }

    #[test]
    fn hostnames_follow_the_environment() {
        let fixed = platform(r#"{"environment":{"type":"fixed","url":"https://api.crm.test/v1"}}"#);
        assert_eq!(hostname("p", &fixed, None).unwrap(), "api.crm.test");
        assert_eq!(
            hostname("p", &fixed, Some("https://eu.crm.test")).unwrap(),
            "eu.crm.test"
        );
        let selectable = platform(
            r#"{"environment":{"type":"selectable","selections":[{"const":"https://us.crm.test","name":"US"},{"const":"https://eu.crm.test","name":"EU"}]}}"#,
        );
        let e = hostname("p", &selectable, None).unwrap_err();
        assert!(
            e.message.contains("us.crm.test, eu.crm.test"),
            "{}",
            e.message
        );
        assert_eq!(
            hostname("p", &selectable, Some("https://eu.crm.test")).unwrap(),
            "eu.crm.test"
        );
        let dynamic = platform(r#"{"environment":{"type":"dynamic","urlIdentifier":"x"}}"#);
        assert!(hostname("p", &dynamic, None).is_err());
        assert_eq!(
            hostname("p", &dynamic, Some("acme.crm.test")).unwrap(),
            "acme.crm.test"
        );
        assert_eq!(hostname("p", &platform("{}"), None).unwrap(), "");
    }
}
