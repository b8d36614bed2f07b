//! Reading a scenario file: `${VAR}` from the environment (before YAML, so `{ apiKey: ${KEY} }`
//! works as written), then YAML into typed steps, then paths resolved against the file's folder.
//! Every problem names the file, the line when it can be told, and the fix.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_norway::Value;

use super::{
    BatchExpect, BatchSource, ContractExpect, FindExpect, FlowExpect, FormatsExpect, Scenario,
    Session, Step, StepKind,
};
use crate::error::{ErrorCode, UserError};
use crate::manifest::SANDBOX_SOURCE;
use crate::redact;
use crate::sensitive::Sensitive;
use crate::wire::Direction;

type Result<T> = std::result::Result<T, UserError>;

fn invalid(message: impl Into<String>) -> UserError {
    UserError::new(ErrorCode::InvalidInput, message)
}

/// Reads and checks the scenario at `path`, with `${VAR}` taken from the process environment.
pub fn load(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        invalid(format!(
            "Could not read the scenario {} ({e}). Check the path.",
            path.display()
        ))
    })?;
    parse(&text, path, &|name| std::env::var(name).ok())
}

/// Reads a scenario from its text. `path` is where it lives (relative paths inside it are resolved
/// against its folder); `env` answers `${VAR}`.
pub fn parse(text: &str, path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Scenario> {
    let file = path.display().to_string();
    let (expanded, substituted) =
        expand_env(text, env).map_err(|e| invalid(format!("{file}: {e}")))?;
    // A YAML error may quote a value, and values may have come from the environment.
    let masked = |msg: String| {
        let values: Vec<&str> = substituted.iter().map(String::as_str).collect();
        redact::text(msg, &values)
    };
    let raw: RawScenario = serde_norway::from_str(&expanded).map_err(|e| {
        invalid(masked(format!(
            "{file}: {e}. See docs/SCENARIOS.md for the keys a scenario takes."
        )))
    })?;
    let lines = step_lines(text);
    let base = path.parent().unwrap_or(Path::new(""));
    build(raw, &file, path, base, &lines).map_err(|e| invalid(masked(e.message)))
}

// ---- ${VAR} ------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Quote {
    None,
    Double,
    Single,
}

/// Characters that would change what a plain YAML scalar means.
fn plain_safe(v: &str) -> bool {
    let Some(first) = v.chars().next() else {
        return false;
    };
    !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && v.trim() == v
        && !v.chars().any(|c| c.is_control() || ",[]{}".contains(c))
        && !v.contains(": ")
        && !v.contains(" #")
        && !v.ends_with(':')
}

/// `v` as the inside of a double-quoted YAML scalar.
fn double_escaped(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Replaces every `${VAR}` (or `${VAR:-default}`) with the variable's value, so that the value
/// reads as the text it is whatever it contains: escaped inside quotes, quoted when it stands
/// alone and would otherwise mean something else to YAML. `$${` is a literal `${`. Comments are
/// left alone. Lines keep their numbers. Returns the text and the values put in (to mask in
/// messages). Every unset variable is named in one error, with its line.
pub fn expand_env(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut values = Vec::new();
    let mut unset: Vec<(String, usize)> = Vec::new();
    let mut quote = Quote::None;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let line_no = n + 1;
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        // The last character before this point that is not a space, on this line.
        let mut prev: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            let starts = |s: &str| {
                chars[i..]
                    .iter()
                    .take(s.chars().count())
                    .copied()
                    .eq(s.chars())
            };
            if starts("$${") {
                out.push_str("${");
                i += 3;
                prev = Some('{');
                continue;
            }
            if starts("${") {
                let Some(len) = chars[i + 2..].iter().position(|&c| c == '}') else {
                    return Err(format!(
                        "line {line_no}: \"${{\" is not closed. Write ${{NAME}}, or $${{ for a literal ${{."
                    ));
                };
                let inner: String = chars[i + 2..i + 2 + len].iter().collect();
                let (name, default) = match inner.split_once(":-") {
                    Some((n, d)) => (n, Some(d)),
                    None => (inner.as_str(), None),
                };
                let valid = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    return Err(format!(
                        "line {line_no}: \"${{{inner}}}\" is not a variable reference. Names are letters, digits and _ (such as ${{SANDBOX_API_KEY}}); write $${{ for a literal ${{."
                    ));
                }
                let end = i + 2 + len + 1;
                let value = match (env(name), default) {
                    (Some(v), _) => v,
                    (None, Some(d)) => d.to_owned(),
                    (None, None) => {
                        unset.push((name.to_owned(), line_no));
                        String::new()
                    }
                };
                let rest: String = chars[end..].iter().collect();
                let rest = rest.trim_start();
                let whole = matches!(prev, None | Some(':' | '-' | '[' | '{' | ',' | '?'))
                    && (rest.is_empty()
                        || rest.starts_with(['#', ',', ']', '}'])
                        || rest.starts_with("\n"));
                let put = match quote {
                    Quote::Double => double_escaped(&value),
                    Quote::Single if value.contains(['\n', '\r']) => {
                        return Err(format!(
                            "line {line_no}: the value of {name} has a line break, which a single-quoted YAML string cannot hold. Use double quotes there."
                        ))
                    }
                    Quote::Single => value.replace('\'', "''"),
                    Quote::None if plain_safe(&value) => value.clone(),
                    Quote::None if whole => format!("\"{}\"", double_escaped(&value)),
                    Quote::None => {
                        return Err(format!(
                            "line {line_no}: the value of {name} has characters YAML reads specially, so it cannot stand unquoted inside other text. Put the whole value in double quotes, such as \"…${{{name}}}…\"."
                        ))
                    }
                };
                if !value.is_empty() {
                    values.push(value);
                }
                out.push_str(&put);
                prev = Some('x');
                i = end;
                continue;
            }
            match quote {
                Quote::Double if c == '\\' => {
                    out.push(c);
                    if let Some(&next) = chars.get(i + 1) {
                        out.push(next);
                        i += 1;
                    }
                }
                Quote::Double if c == '"' => quote = Quote::None,
                Quote::Single if c == '\'' => {
                    if chars.get(i + 1) == Some(&'\'') {
                        out.push(c);
                        i += 1;
                    } else {
                        quote = Quote::None;
                    }
                }
                Quote::None if c == '#' && (i == 0 || chars[i - 1].is_whitespace()) => {
                    // A comment: the rest of the line as written.
                    out.extend(&chars[i..]);
                    break;
                }
                Quote::None
                    if (c == '"' || c == '\'')
                        && matches!(prev, None | Some(':' | '-' | '[' | '{' | ',' | '?')) =>
                {
                    quote = if c == '"' {
                        Quote::Double
                    } else {
                        Quote::Single
                    };
                }
                _ => {}
            }
            out.push(c);
            if !c.is_whitespace() {
                prev = Some(c);
            }
            i += 1;
        }
    }
    if !unset.is_empty() {
        let names: Vec<String> = unset
            .iter()
            .map(|(n, l)| format!("{n} (line {l})"))
            .collect();
        let first = &unset[0].0;
        return Err(format!(
            "{} not set: {}. Set {} in the environment (export {first}=...), or give a default such as ${{{first}:-value}}.",
            if unset.len() == 1 { "an environment variable is" } else { "environment variables are" },
            names.join(", "),
            if unset.len() == 1 { "it" } else { "them" },
        ));
    }
    Ok((out, values))
}

/// The line of each item of the top-level `steps:` list (block style), in order.
fn step_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut in_steps = false;
    let mut item_indent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 && !trimmed.starts_with('-') {
            in_steps = trimmed.starts_with("steps:");
            item_indent = None;
            continue;
        }
        if !in_steps || !(trimmed == "-" || trimmed.starts_with("- ")) {
            continue;
        }
        match item_indent {
            None => {
                item_indent = Some(indent);
                lines.push(n + 1);
            }
            Some(i) if i == indent => lines.push(n + 1),
            _ => {}
        }
    }
    lines
}

// ---- YAML shape --------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    manifest: Option<String>,
    platform: Option<String>,
    server: Option<String>,
    #[serde(default)]
    login: serde_norway::Mapping,
    session: Option<Value>,
    hostname: Option<String>,
    region: Option<String>,
    #[serde(default)]
    formats: Vec<String>,
    #[serde(default)]
    debug: bool,
    #[serde(default)]
    steps: Vec<RawStep>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawStep {
    find: Option<Value>,
    flow: Option<Value>,
    batch: Option<Value>,
    formats: Option<Value>,
    contract: Option<Value>,
    title: Option<String>,
    debug: Option<bool>,
    overriding_formats: Option<Vec<String>>,
    contact: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    contact_type: Option<String>,
    direction: Option<String>,
    caller_name: Option<String>,
    note: Option<String>,
    concurrency: Option<u16>,
    mirror: Option<bool>,
    expect: Option<Value>,
}

/// A scalar as the text it was written as (`+14155550100` stays a string, not a number).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    }
}

fn build(
    raw: RawScenario,
    file: &str,
    path: &Path,
    base: &Path,
    lines: &[usize],
) -> Result<Scenario> {
    let manifest = match raw.manifest.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(invalid(format!(
                "{file}: no manifest. Add `manifest:` with a file (relative to the scenario), an http(s) URL, or bundled:sandbox."
            )))
        }
        Some(m) if m == SANDBOX_SOURCE || m == "sandbox" => SANDBOX_SOURCE.to_owned(),
        Some(m) if m.starts_with("http://") || m.starts_with("https://") => m.to_owned(),
        Some(m) => resolve(base, m).display().to_string(),
    };
    let mut login = Vec::new();
    for (k, v) in raw.login {
        let key = scalar_text(&k).ok_or_else(|| {
            invalid(format!(
                "{file}: login keys are field names (the login page's `const`)."
            ))
        })?;
        let value = scalar_text(&v).ok_or_else(|| {
            invalid(format!(
                "{file}: login.{key} has no value. Give it a value, usually from the environment: {key}: ${{MY_{}}}.",
                key.to_ascii_uppercase()
            ))
        })?;
        login.push((key, Sensitive::new(value)));
    }
    let session = raw.session.map(|v| session(v, file)).transpose()?;
    if session.is_some() && !login.is_empty() {
        return Err(invalid(format!(
            "{file}: the scenario has both login and session. Keep one: login signs in with the API-key page's values, session uses a session you already have."
        )));
    }
    let name = raw.name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.to_owned())
    });
    let mut steps = Vec::with_capacity(raw.steps.len());
    let count = raw.steps.len();
    for (i, step) in raw.steps.into_iter().enumerate() {
        // Line numbers only when every item was found: otherwise they could point at the wrong one.
        let line = (lines.len() == count).then(|| lines[i]);
        let at = match line {
            Some(l) => format!("{file}:{l} (step {})", i + 1),
            None => format!("{file}: step {}", i + 1),
        };
        steps.push(build_step(step, &at, base, line)?);
    }
    Ok(Scenario {
        file: file.to_owned(),
        name,
        manifest,
        platform: raw.platform.filter(|p| !p.trim().is_empty()),
        server: raw.server.filter(|s| !s.trim().is_empty()),
        login,
        session,
        hostname: raw.hostname.filter(|h| !h.trim().is_empty()),
        // As the app: a new profile's region (US) unless the scenario says, "" for none.
        region: Some(
            raw.region
                .unwrap_or_else(|| crate::profile::Profile::default().region)
                .trim()
                .to_owned(),
        )
        .filter(|r| !r.is_empty()),
        formats: raw.formats,
        debug: raw.debug,
        steps,
    })
}

/// `session: keychain` or `session: { jwt: <token> }`.
fn session(v: Value, file: &str) -> Result<Session> {
    let how = || {
        format!(
            "{file}: session takes `keychain` (the session `switchboard login` stored for this server and platform) or `{{ jwt: ${{APP_CONNECT_JWT}} }}` (a session token from the environment)."
        )
    };
    match v {
        Value::String(s) if s.trim() == "keychain" => Ok(Session::Keychain),
        Value::Mapping(m) => {
            let mut jwt = None;
            for (k, v) in m {
                match k.as_str() {
                    Some("jwt") => jwt = Some(v),
                    _ => return Err(invalid(how())),
                }
            }
            let token = jwt
                .as_ref()
                .and_then(scalar_text)
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "{file}: session.jwt is empty. Give the session token from the environment: session: {{ jwt: ${{APP_CONNECT_JWT}} }} (sign in once with `switchboard login` and use session: keychain to take it from the OS keychain instead)."
                    ))
                })?;
            Ok(Session::Jwt(Sensitive::new(token)))
        }
        _ => Err(invalid(how())),
    }
}

fn expectation<T: for<'de> Deserialize<'de> + Default>(
    expect: Option<Value>,
    at: &str,
    kind: &str,
) -> Result<T> {
    match expect {
        None | Some(Value::Null) => Ok(T::default()),
        Some(v) => serde_norway::from_value(v).map_err(|e| {
            invalid(format!(
                "{at}: expect: {e}. See docs/SCENARIOS.md for what a {kind} step can expect."
            ))
        }),
    }
}

fn build_step(raw: RawStep, at: &str, base: &Path, line: Option<usize>) -> Result<Step> {
    let kinds: Vec<&str> = [
        ("find", raw.find.is_some()),
        ("flow", raw.flow.is_some()),
        ("batch", raw.batch.is_some()),
        ("formats", raw.formats.is_some()),
        ("contract", raw.contract.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    let kind = match kinds.as_slice() {
        [one] => *one,
        [] => {
            return Err(invalid(format!(
                "{at}: the step does not say what to do. Start it with find, flow, batch, formats or contract."
            )))
        }
        many => {
            return Err(invalid(format!(
                "{at}: a step does one thing, but this one has {}. Split it into separate steps.",
                many.join(" and ")
            )))
        }
    };
    // Keys that belong to other kinds of step are mistakes, not silently ignored.
    let used: &[(&str, bool)] = &[
        ("overridingFormats", raw.overriding_formats.is_some()),
        ("contact", raw.contact.is_some()),
        ("name", raw.name.is_some()),
        ("type", raw.contact_type.is_some()),
        ("direction", raw.direction.is_some()),
        ("callerName", raw.caller_name.is_some()),
        ("note", raw.note.is_some()),
        ("concurrency", raw.concurrency.is_some()),
        ("mirror", raw.mirror.is_some()),
    ];
    let allowed: &[&str] = match kind {
        "find" => &["overridingFormats"],
        "flow" => &["name", "type", "direction", "callerName", "note"],
        "batch" => &["concurrency", "mirror"],
        "formats" => &["overridingFormats", "contact"],
        _ => &[],
    };
    if let Some((key, _)) = used.iter().find(|(k, set)| *set && !allowed.contains(k)) {
        return Err(invalid(format!(
            "{at}: `{key}` does not apply to a {kind} step.{}",
            if allowed.is_empty() {
                String::new()
            } else {
                format!(" A {kind} step takes: {}.", allowed.join(", "))
            }
        )));
    }
    let number = |v: &Option<Value>| -> Result<String> {
        v.as_ref()
            .and_then(scalar_text)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                invalid(format!(
                    "{at}: {kind} needs a phone number, such as {kind}: \"+14155550100\"."
                ))
            })
    };
    let kind = match kind {
        "find" => StepKind::Find {
            number: number(&raw.find)?,
            formats: raw.overriding_formats,
            expect: expectation::<FindExpect>(raw.expect, at, kind)?,
        },
        "flow" => StepKind::Flow {
            number: number(&raw.flow)?,
            name: raw
                .name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "{at}: the flow creates a placeholder contact and needs its name: name: \"Scenario Placeholder\"."
                    ))
                })?,
            contact_type: raw.contact_type.filter(|t| !t.trim().is_empty()),
            direction: match raw.direction.as_deref().map(str::trim) {
                None | Some("inbound" | "Inbound") => Direction::Inbound,
                Some("outbound" | "Outbound") => Direction::Outbound,
                Some(other) => {
                    return Err(invalid(format!(
                        "{at}: direction \"{other}\" is not inbound or outbound."
                    )))
                }
            },
            caller_name: raw.caller_name,
            note: raw.note.unwrap_or_default(),
            expect: expectation::<FlowExpect>(raw.expect, at, kind)?,
        },
        "batch" => {
            let source = match raw.batch {
                Some(Value::Sequence(items)) => {
                    let mut numbers = Vec::with_capacity(items.len());
                    for item in &items {
                        numbers.push(scalar_text(item).ok_or_else(|| {
                            invalid(format!(
                                "{at}: every number of the batch list must be a phone number written as text."
                            ))
                        })?);
                    }
                    BatchSource::List(numbers)
                }
                Some(Value::String(p)) if !p.trim().is_empty() => {
                    BatchSource::File(resolve(base, p.trim()))
                }
                _ => {
                    return Err(invalid(format!(
                        "{at}: batch takes a file of numbers (relative to the scenario) or a list of numbers."
                    )))
                }
            };
            if raw.mirror == Some(true) && raw.concurrency.is_some() {
                return Err(invalid(format!(
                    "{at}: mirror runs one lookup at a time; remove concurrency or mirror."
                )));
            }
            if raw.concurrency == Some(0) {
                return Err(invalid(format!(
                    "{at}: concurrency must be at least 1."
                )));
            }
            StepKind::Batch {
                source,
                concurrency: raw.concurrency.map(usize::from),
                expect: expectation::<BatchExpect>(raw.expect, at, kind)?,
            }
        }
        "formats" => StepKind::Formats {
            number: number(&raw.formats)?,
            contact: raw.contact.filter(|c| !c.trim().is_empty()),
            formats: raw.overriding_formats,
            expect: expectation::<FormatsExpect>(raw.expect, at, kind)?,
        },
        _ => {
            match &raw.contract {
                Some(Value::Bool(true) | Value::Null) => {}
                Some(Value::Mapping(m)) if m.is_empty() => {}
                _ => {
                    return Err(invalid(format!(
                        "{at}: write the contract step as `contract: true`, with an optional expect."
                    )))
                }
            }
            StepKind::Contract {
                expect: expectation::<ContractExpect>(raw.expect, at, kind)?,
            }
        }
    };
    Ok(Step {
        line,
        title: raw.title.filter(|t| !t.trim().is_empty()),
        debug: raw.debug,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::LintExpect;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    /// The issue's example, as written.
    const EXAMPLE: &str = r#"manifest: manifests/sandbox.json        # file or http(s) URL, relative to this file
platform: sandbox
server: ${SANDBOX_URL}                  # optional; ${VAR} reads the environment
login: { apiKey: ${SANDBOX_API_KEY} }   # login-page values by const; secrets come from the environment
region: US
formats: ["(***) ***-****"]
steps:
  - find: "+14155550100"
    expect: { contacts: 1, names: ["Ada Lovelace"], createRow: true, lints: no-errors }
  - find: "+19995550000"
    expect: { contacts: 0, createRow: true }
  - flow: "+12025550188"                 # the manual placeholder flow, then verify (SPEC §6, §8)
    name: "Scenario Placeholder"
    type: lead
    expect: { verified: true }
  - batch: numbers.csv                   # one number per line, or a list
    concurrency: 4
    expect: { errors: 0, p95Ms: 800 }
"#;

    #[test]
    fn the_issue_example_reads_as_written() {
        let e = env(&[
            ("SANDBOX_URL", "http://127.0.0.1:6066"),
            ("SANDBOX_API_KEY", "sk-live-1234"),
        ]);
        let s = parse(EXAMPLE, Path::new("/repo/tests/sandbox.yaml"), &e).unwrap();
        assert_eq!(s.manifest, "/repo/tests/manifests/sandbox.json");
        assert_eq!(s.server.as_deref(), Some("http://127.0.0.1:6066"));
        assert_eq!(s.login.len(), 1);
        assert_eq!(s.login[0].0, "apiKey");
        assert_eq!(s.login[0].1.expose(), "sk-live-1234");
        assert_eq!(s.region.as_deref(), Some("US"));
        assert_eq!(s.formats, vec!["(***) ***-****"]);
        assert_eq!(s.name, "sandbox");
        assert_eq!(s.steps.len(), 4);
        assert_eq!(
            s.steps.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![Some(8), Some(10), Some(12), Some(16)]
        );
        match &s.steps[0].kind {
            StepKind::Find { number, expect, .. } => {
                assert_eq!(number, "+14155550100");
                assert_eq!(expect.contacts, Some(1));
                assert_eq!(expect.names, Some(vec!["Ada Lovelace".to_owned()]));
                assert_eq!(expect.create_row, Some(true));
                assert_eq!(expect.lints, Some(LintExpect::NoErrors));
            }
            other => panic!("{other:?}"),
        }
        match &s.steps[2].kind {
            StepKind::Flow {
                number,
                name,
                contact_type,
                expect,
                ..
            } => {
                assert_eq!(number, "+12025550188");
                assert_eq!(name, "Scenario Placeholder");
                assert_eq!(contact_type.as_deref(), Some("lead"));
                assert!(expect.verified);
            }
            other => panic!("{other:?}"),
        }
        match &s.steps[3].kind {
            StepKind::Batch {
                source,
                concurrency,
                expect,
            } => {
                assert_eq!(
                    source,
                    &BatchSource::File(PathBuf::from("/repo/tests/numbers.csv"))
                );
                assert_eq!(*concurrency, Some(4));
                assert_eq!(expect.errors, Some(0));
                assert_eq!(expect.p95_ms, Some(800));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unset_variable_is_named_with_its_line() {
        let e = env(&[("SANDBOX_URL", "http://127.0.0.1:6066")]);
        let err = parse(EXAMPLE, Path::new("t/s.yaml"), &e).unwrap_err();
        assert!(err.message.contains("t/s.yaml"), "{}", err.message);
        assert!(
            err.message.contains("SANDBOX_API_KEY (line 4)"),
            "{}",
            err.message
        );
        // The comment on line 3 mentions ${VAR}: comments are not expanded.
        assert!(!err.message.contains("VAR"), "{}", err.message);
        assert!(
            err.message.contains("export SANDBOX_API_KEY="),
            "{}",
            err.message
        );
    }

    #[test]
    fn defaults_escapes_and_quoting() {
        let e = env(&[("ODD", "a: b # c, {d}"), ("Q", "say \"hi\"\\"), ("N", "4")]);
        let (out, values) = expand_env(
            "a: ${ODD}\nb: \"x ${Q} y\"\nc: 'it''s ${ODD}'\nd: ${MISSING:-fallback}\ne: $${LITERAL}\nf: ${N}\n",
            &e,
        )
        .unwrap();
        let v: serde_norway::Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(v["a"].as_str(), Some("a: b # c, {d}"));
        assert_eq!(v["b"].as_str(), Some("x say \"hi\"\\ y"));
        assert_eq!(v["c"].as_str(), Some("it's a: b # c, {d}"));
        assert_eq!(v["d"].as_str(), Some("fallback"));
        assert_eq!(v["e"].as_str(), Some("${LITERAL}"));
        assert_eq!(v["f"].as_u64(), Some(4));
        assert!(values.contains(&"a: b # c, {d}".to_owned()));
        // In a flow mapping, as the issue writes the login.
        let (out, _) = expand_env("login: { apiKey: ${ODD} }\n", &e).unwrap();
        let v: serde_norway::Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(v["login"]["apiKey"].as_str(), Some("a: b # c, {d}"));
        // Set but empty: an empty string, not null.
        let blank = env(&[("E", "")]);
        let (out, _) = expand_env("k: ${E}\n", &blank).unwrap();
        let v: serde_norway::Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(v["k"].as_str(), Some(""));
    }

    #[test]
    fn bad_references_are_explained() {
        let e = env(&[("ODD", "a: b")]);
        let err = expand_env("x: ${ not a name }\n", &e).unwrap_err();
        assert!(
            err.contains("line 1") && err.contains("not a variable"),
            "{err}"
        );
        let err = expand_env("\nx: ${OPEN\n", &e).unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("not closed"),
            "{err}"
        );
        let err = expand_env("x: pre-${ODD}-post\n", &e).unwrap_err();
        assert!(err.contains("double quotes"), "{err}");
    }

    #[test]
    fn yaml_mistakes_name_the_line_and_never_a_secret() {
        let e = env(&[("KEY", "sk-very-secret")]);
        // A typo in a key.
        let err = parse(
            "manifest: bundled:sandbox\nsteps:\n  - find: \"+14155550100\"\n    exepct: {}\n",
            Path::new("s.yaml"),
            &e,
        )
        .unwrap_err();
        assert!(err.message.contains("exepct"), "{}", err.message);
        assert!(
            err.message.contains("line 3") || err.message.contains("line 4"),
            "{}",
            err.message
        );
        // A secret put where a number belongs is not quoted back.
        let err = parse(
            "manifest: bundled:sandbox\nsteps:\n  - batch: [\"+14155550100\"]\n    concurrency: ${KEY}\n",
            Path::new("s.yaml"),
            &e,
        )
        .unwrap_err();
        assert!(!err.message.contains("sk-very-secret"), "{}", err.message);
        // An unknown expectation names the step's line.
        let err = parse(
            "manifest: bundled:sandbox\nsteps:\n  - contract: true\n  - find: \"+14155550100\"\n    expect: { contact: 1 }\n",
            Path::new("s.yaml"),
            &e,
        )
        .unwrap_err();
        assert!(err.message.contains("s.yaml:4 (step 2)"), "{}", err.message);
        assert!(err.message.contains("contact"), "{}", err.message);
    }

    #[test]
    fn steps_are_checked_for_shape() {
        let e = env(&[]);
        let p = Path::new("dir/s.yaml");
        let cases = [
            ("steps:\n  - find: \"+1\"\n", "no manifest"),
            (
                "manifest: m.json\nsteps:\n  - title: nothing\n",
                "does not say what to do",
            ),
            (
                "manifest: m.json\nsteps:\n  - find: \"+1\"\n    flow: \"+2\"\n",
                "find and flow",
            ),
            (
                "manifest: m.json\nsteps:\n  - find: \"+1\"\n    concurrency: 2\n",
                "`concurrency` does not apply to a find step",
            ),
            (
                "manifest: m.json\nsteps:\n  - flow: \"+1\"\n",
                "needs its name",
            ),
            (
                "manifest: m.json\nsteps:\n  - batch: [\"+1\"]\n    concurrency: 0\n",
                "at least 1",
            ),
            (
                "manifest: m.json\nsteps:\n  - find: \"+1\"\n    expect: { lints: some }\n",
                "no-errors, none",
            ),
            (
                "manifest: m.json\nlogin: { apiKey: }\n",
                "login.apiKey has no value",
            ),
        ];
        for (text, wanted) in cases {
            let err = parse(text, p, &e).unwrap_err();
            assert!(err.message.contains(wanted), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn a_session_comes_from_the_keychain_or_the_environment() {
        let e = env(&[("JWT", "eyJhbGciOiJIUzI1NiJ9.e30.sig-from-env")]);
        let p = Path::new("s.yaml");
        let s = parse("manifest: bundled:sandbox\nsession: keychain\n", p, &e).unwrap();
        assert_eq!(s.session, Some(Session::Keychain));
        assert!(s.login.is_empty());
        let s = parse(
            "manifest: bundled:sandbox\nsession: { jwt: ${JWT} }\n",
            p,
            &e,
        )
        .unwrap();
        assert_eq!(
            s.session,
            Some(Session::Jwt(Sensitive::new(
                "eyJhbGciOiJIUzI1NiJ9.e30.sig-from-env".to_owned()
            )))
        );
        assert!(
            s.secrets()
                .contains(&"eyJhbGciOiJIUzI1NiJ9.e30.sig-from-env".to_owned()),
            "the token is masked like the login values"
        );
        assert!(
            !format!("{s:?}").contains("sig-from-env"),
            "the token never prints"
        );
        let none = parse("manifest: bundled:sandbox\n", p, &e).unwrap();
        assert_eq!(none.session, None);

        let cases = [
            ("session: browser\n", "session takes `keychain`"),
            ("session: { token: x }\n", "session takes `keychain`"),
            ("session: { jwt: ${EMPTY:-} }\n", "session.jwt is empty"),
            (
                "login: { apiKey: k3y }\nsession: keychain\n",
                "both login and session",
            ),
        ];
        for (text, wanted) in cases {
            let text = format!("manifest: bundled:sandbox\n{text}");
            let err = parse(&text, p, &e).unwrap_err();
            assert!(err.message.contains(wanted), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn paths_urls_and_lists() {
        let e = env(&[]);
        let s = parse(
            "manifest: https://example.test/m.json\nsteps:\n  - batch: [\"+14155550100\", 4155550123]\n  - formats: \"+16502530000\"\n    contact: Grace Hopper\n    overridingFormats: [\"(***) ***-****\"]\n    expect: { found: [\"(***) ***-****\"], notFound: [E.164] }\n  - contract: true\n    debug: true\n    expect: { findings: [message-log-missing] }\n",
            Path::new("/x/s.yaml"),
            &e,
        )
        .unwrap();
        assert_eq!(s.manifest, "https://example.test/m.json");
        assert!(matches!(
            &s.steps[0].kind,
            StepKind::Batch { source: BatchSource::List(l), concurrency: None, .. }
                if l == &vec!["+14155550100".to_owned(), "4155550123".to_owned()]
        ));
        match &s.steps[1].kind {
            StepKind::Formats {
                number,
                contact,
                formats,
                expect,
            } => {
                assert_eq!(number, "+16502530000");
                assert_eq!(contact.as_deref(), Some("Grace Hopper"));
                assert_eq!(formats.as_ref().map(Vec::len), Some(1));
                assert_eq!(expect.not_found, Some(vec!["E.164".to_owned()]));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.steps[2].debug, Some(true));
        let bundled = parse("manifest: bundled:sandbox\n", Path::new("/x/s.yaml"), &e).unwrap();
        assert_eq!(bundled.manifest, SANDBOX_SOURCE);
        let relative = parse("manifest: ../m.json\n", Path::new("s.yaml"), &e).unwrap();
        assert_eq!(relative.manifest, "../m.json");
    }

    #[test]
    fn step_lines_follow_block_lists_only() {
        assert_eq!(
            step_lines("a: 1\nsteps:\n  # c\n  - find: x\n    expect:\n      - nested\n  - flow: y\nafter: 2\n- stray\n"),
            vec![4, 7]
        );
        assert!(step_lines("steps: [{find: x}]\n").is_empty());
    }
}
