//! Redaction for everything that leaves the process for a person to read: URLs (App Connect puts
//! `jwtToken=` in the query), headers and JSON bodies.

use serde_json::Value;

pub const REDACTED: &str = "<redacted>";

/// Query parameters, headers and JSON keys whose values are secrets (compared ignoring case).
const SECRET_KEYS: &[&str] = &[
    "jwttoken",
    "apikey",
    "api_key",
    "password",
    "secret",
    "client_secret",
    "access_token",
    "accesstoken",
    "refresh_token",
    "refreshtoken",
    "token",
    "code",
    "callbackuri",
    "authorization",
    "x-refreshed-jwt-token",
    "cookie",
    "set-cookie",
];

/// Whether a query parameter, header or JSON key holds a secret.
fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// `http://h/contact?jwtToken=abc&x=1` → `http://h/contact?jwtToken=<redacted>&x=1`.
pub fn url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        return raw.to_owned();
    };
    if u.query().is_none() {
        return u.to_string();
    }
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if is_secret_key(&k) {
                REDACTED.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    // Keep the marker readable instead of `%3Credacted%3E`.
    u.to_string().replace("%3Credacted%3E", REDACTED)
}

/// A query parameter's value as [`url`] shows it.
pub fn query_value<'a>(key: &str, value: &'a str) -> &'a str {
    if is_secret_key(key) {
        REDACTED
    } else {
        value
    }
}

/// [`url`] of an address built with [`query_value`] for each parameter: the same text, without
/// parsing and re-encoding the address.
pub fn built_url(u: &url::Url) -> String {
    if u.query().is_none() {
        return u.to_string();
    }
    u.as_str().replace("%3Credacted%3E", REDACTED)
}

/// A header value as it may be shown.
pub fn header(name: &str, value: &str) -> String {
    if is_secret_key(name) {
        REDACTED.to_owned()
    } else {
        value.to_owned()
    }
}

/// A JSON value with every secret-named key's value replaced.
pub fn json(value: &Value) -> Value {
    let mut shown = value.clone();
    json_in_place(&mut shown);
    shown
}

/// [`json`] on a value that is already a copy: no map is rebuilt, no key hashed again.
pub fn json_in_place(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    json_in_place(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json_in_place),
        _ => {}
    }
}

/// A body as it may be shown: JSON is pretty-printed and redacted, other text passes through.
pub fn body(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => serde_json::to_string_pretty(&json(&v)).unwrap_or_else(|_| text.to_owned()),
        Err(_) => text.to_owned(),
    }
}

/// Replaces every occurrence of the given secrets in free text (error messages, plain bodies).
pub fn text(mut s: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|x| x.len() >= 4) {
        // A secret longer than the text cannot be in it; `replace` would still copy the text.
        if secret.len() <= s.len() && s.contains(secret) {
            s = s.replace(secret, REDACTED);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_tokens_but_keep_everything_else() {
        let r = url(
            "http://127.0.0.1:1/contact?jwtToken=eyJabc.def&phoneNumber=%2B1415&overridingFormat=",
        );
        assert!(!r.contains("eyJabc"), "{r}");
        assert!(r.contains("jwtToken=<redacted>"), "{r}");
        assert!(r.contains("phoneNumber=%2B1415"), "{r}");
    }

    #[test]
    fn a_url_built_with_shown_values_reads_as_the_redacted_one() {
        let pairs = [
            ("jwtToken", "eyJabc.def+/="),
            ("phoneNumber", "+1 (415) 555-0100 <redacted> & = % é"),
            ("Code", "sec ret"),
            ("overridingFormat", ""),
        ];
        for base in [
            "http://127.0.0.1:1/contact",
            "https://h.example/a%3Credacted%3E/contact",
            "http://h/x/contact",
        ] {
            for n in 0..=pairs.len() {
                let mut real = url::Url::parse(base).unwrap();
                let mut shown = real.clone();
                if n > 0 {
                    let mut r = real.query_pairs_mut();
                    let mut s = shown.query_pairs_mut();
                    for (k, v) in &pairs[..n] {
                        r.append_pair(k, v);
                        s.append_pair(k, query_value(k, v));
                    }
                }
                assert_eq!(built_url(&shown), url(real.as_str()), "{real}");
            }
        }
    }

    #[test]
    fn nested_json_secrets_are_masked() {
        let v: Value = serde_json::from_str(
            r#"{"platform":"x","apiKey":"k-123","additionalInfo":{"apiKey":"k-123","workspace":"main"},"jwtToken":"eyJ"}"#,
        )
        .unwrap();
        let r = json(&v).to_string();
        assert!(!r.contains("k-123") && !r.contains("eyJ"), "{r}");
        assert!(r.contains("\"workspace\":\"main\""));
    }

    #[test]
    fn headers_and_free_text() {
        assert_eq!(header("Authorization", "Bearer x"), REDACTED);
        assert_eq!(
            header("content-type", "application/json"),
            "application/json"
        );
        assert_eq!(
            text("bad key sk-1234 given".into(), &["sk-1234"]),
            "bad key <redacted> given"
        );
    }
}
