//! Human and JSON output of the CLI. JSON is the server's answer as sent (plus the lints), for
//! scripts.

use serde::Serialize;
use serde_json::{json, Map, Value};
use switchboard_core::check::{self, Finding, Severity};
use switchboard_core::lint::{Lint, LintLevel};
use switchboard_core::manifest::{AuthType, LoadedManifest};
use switchboard_core::phone::{Expansion, ParsedNumber};
use switchboard_core::wire::{
    CallLogResponse, CreateContactResponse, FindContactResponse, ReturnMessage,
};

pub fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => out!("{s}"),
        Err(e) => eprintln!("error: could not print JSON: {e}"),
    }
}

pub fn return_message(m: Option<&ReturnMessage>) {
    if let Some(m) = m {
        out!(
            "returnMessage [{}] {}",
            m.message_type.as_deref().unwrap_or("no type"),
            m.message.as_deref().unwrap_or("")
        );
    }
}

fn auth_name(t: AuthType) -> &'static str {
    match t {
        AuthType::ApiKey => "apiKey",
        AuthType::OAuth => "oauth",
        AuthType::Unknown => "unknown",
    }
}

pub fn manifest(loaded: &LoadedManifest, as_json: bool) {
    let m = &loaded.manifest;
    if as_json {
        let platforms: Vec<Value> = m
            .platforms
            .iter()
            .map(|(k, p)| {
                json!({
                    "name": k,
                    "displayName": p.display_name,
                    "authType": auth_name(p.auth_type()),
                    "contactTypes": p.contact_types,
                })
            })
            .collect();
        json(
            &json!({"source": loaded.source, "serverUrl": m.server_url, "version": m.version, "platforms": platforms}),
        );
        return;
    }
    out!(
        "Manifest {} (version {})",
        loaded.source,
        m.version.as_deref().unwrap_or("not set")
    );
    out!("serverUrl: {}", m.server_url.as_deref().unwrap_or("(none)"));
    for (key, p) in &m.platforms {
        out!();
        out!(
            "Platform {key} ({})",
            p.display_name.as_deref().unwrap_or("no displayName")
        );
        out!("  auth: {}", auth_name(p.auth_type()));
        let types: Vec<String> = p
            .usable_contact_types()
            .map(|(d, v)| format!("{d} ({v})"))
            .collect();
        if types.is_empty() {
            out!("  contact types: none (no Contact type dropdown)");
        } else {
            out!("  contact types: {}", types.join(", "));
        }
        let fields: Vec<&str> = p.call_log_fields().iter().map(|f| f.key.as_str()).collect();
        if !fields.is_empty() {
            out!("  call-log fields: {}", fields.join(", "));
        }
    }
}

pub fn formats(number: &ParsedNumber, expansions: &[Expansion], as_json: bool) {
    // A preview: an invalid number is described, and said to be refused by every sending command.
    let problem = number
        .sendable()
        .err()
        .map(|e| switchboard_core::UserError::from(e).message);
    if as_json {
        json(&json!({"number": number, "expansions": expansions, "problem": problem}));
        return;
    }
    if number.is_extension {
        out!(
            "{} is an extension number (sent with isExtension=true)",
            number.e164
        );
        return;
    }
    out!("E.164:       {}", number.e164);
    if problem.is_some() {
        out!("valid:       false (find, flow, create, log, verify and batch refuse it)");
    } else if !number.valid {
        out!(
            "valid:       false (no numbering plan has it, but its length is possible: it is sent)"
        );
    } else {
        out!("valid:       true");
    }
    out!(
        "region:      {}",
        number.region.as_deref().unwrap_or("unknown")
    );
    out!(
        "significant: {}",
        if number.significant.is_empty() {
            "(none: invalid number)"
        } else {
            &number.significant
        }
    );
    if !number.valid && !expansions.is_empty() {
        out!("(invalid numbers produce no formatted variants)");
    }
    for e in expansions {
        out!("format {:<20} -> {}", e.format, e.result);
    }
    if let Some(problem) = problem {
        out!("{problem}");
    }
}

pub fn found(
    number: &ParsedNumber,
    expansions: &[Expansion],
    resp: &FindContactResponse,
    raw: Option<&str>,
    lints: &[Lint],
    as_json: bool,
) {
    if as_json {
        let decoded = json!({"successful": resp.successful, "contact": resp.contact, "returnMessage": resp.return_message});
        json(&Value::Object(as_sent(raw, decoded, lints)));
        return;
    }
    out!("Looked up {}", number.e164);
    for e in expansions {
        out!("  also as {:?} (format {:?})", e.result, e.format);
    }
    let real = resp.real_matches().count();
    out!(
        "{real} matching contact{}:",
        if real == 1 { "" } else { "s" }
    );
    for c in &resp.contact {
        if c.is_create_row() {
            out!("  + {}  [create row]", c.display_name());
        } else {
            let second = match &c.kind {
                Some(t) => format!("{t} - {}", c.id),
                None => c.id.clone(),
            };
            out!("  {}  ({second})", c.display_name());
        }
    }
    print_warnings(resp);
    return_message(resp.return_message.as_ref());
    print_lints(lints);
}

/// What `--json` prints for a connector's answer (find, create, log): the answer as the server sent
/// it (unknown or misspelt keys kept, ids in their JSON type), plus `lints`. `decoded` stands in
/// when the body is not a JSON object (it was read leniently).
fn as_sent(raw: Option<&str>, decoded: Value, lints: &[Lint]) -> Map<String, Value> {
    let mut answer = match raw.and_then(|r| serde_json::from_str::<Value>(r).ok()) {
        Some(Value::Object(m)) => m,
        _ => match decoded {
            Value::Object(m) => m,
            _ => Map::new(),
        },
    };
    answer.insert("lints".to_owned(), json!(lints));
    answer
}

fn print_lints(lints: &[Lint]) {
    for l in lints {
        let level = match l.level {
            LintLevel::Error => "error",
            LintLevel::Warning => "warning",
        };
        let at = if l.at.is_empty() { "-" } else { &l.at };
        out!("lint {level}[{}] {at}: {} ({})", l.rule, l.message, l.why);
    }
}

/// The warnings the real client's log form shows above the contact dropdown.
fn print_warnings(resp: &FindContactResponse) {
    let only_create = resp.contact.len() == 1 && resp.contact[0].is_create_row();
    if only_create {
        out!("! No contact found. Enter a name to have a placeholder contact made for you.");
    } else if resp.contact.len() > 2 {
        out!(
            "! Multiple contacts found. Please select the contact to associate this activity with."
        );
    }
}

pub fn created(resp: &CreateContactResponse, raw: Option<&str>, lints: &[Lint], as_json: bool) {
    if as_json {
        let decoded = json!({"successful": resp.successful, "contact": resp.contact, "returnMessage": resp.return_message});
        json(&Value::Object(as_sent(raw, decoded, lints)));
        return;
    }
    if let Some(c) = &resp.contact {
        out!(
            "Created {} (id {}{}).",
            c.display_name(),
            c.id,
            c.kind
                .as_deref()
                .map(|t| format!(", type {t}"))
                .unwrap_or_default()
        );
    }
    return_message(resp.return_message.as_ref());
    print_lints(lints);
}

/// `switchboard log`: with `--json`, the answer as sent plus `sessionId` (the call's, as logged)
/// and the lints.
pub fn logged(
    session_id: &str,
    resp: &CallLogResponse,
    raw: Option<&str>,
    lints: &[Lint],
    as_json: bool,
) {
    if as_json {
        let decoded = json!({"successful": resp.successful, "logId": resp.log_id, "returnMessage": resp.return_message});
        let mut answer = as_sent(raw, decoded, lints);
        answer.insert("sessionId".to_owned(), json!(session_id));
        json(&Value::Object(answer));
        return;
    }
    out!(
        "Logged call {session_id} (log id {}).",
        resp.log_id.as_deref().unwrap_or("not given")
    );
    return_message(resp.return_message.as_ref());
    print_lints(lints);
}

pub fn findings(source: &str, findings: &[Finding], as_json: bool) {
    let omitted = check::omitted(findings);
    if as_json {
        match omitted {
            Some(more) => json(&json!({"source": source, "findings": findings, "omitted": more})),
            None => json(&json!({"source": source, "findings": findings})),
        }
        return;
    }
    if findings.is_empty() {
        out!("{source}: no problems found.");
        return;
    }
    let listed = match omitted {
        Some(_) => &findings[..findings.len() - 1],
        None => findings,
    };
    for f in listed {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = if f.path.is_empty() {
            String::from("(top)")
        } else {
            f.path.clone()
        };
        out!(
            "{source}:{}:{}: {level}[{}] {at}: {}",
            f.line,
            f.column,
            f.rule,
            f.message
        );
        out!("    fix: {}", f.hint);
    }
    let more = omitted.unwrap_or_default();
    if more.total() > 0 {
        out!(
            "… and {} more finding{} not shown ({} error{}, {} warning{}).",
            more.total(),
            if more.total() == 1 { "" } else { "s" },
            more.errors,
            if more.errors == 1 { "" } else { "s" },
            more.warnings,
            if more.warnings == 1 { "" } else { "s" },
        );
    }
    let shown_errors = listed
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let errors = shown_errors + more.errors;
    let warnings = listed.len() - shown_errors + more.warnings;
    out!(
        "{errors} error{}, {warnings} warning{}.",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    );
}

/// One number of `switchboard batch`, as a line of text (or a JSON line).
pub fn batch_line(r: &switchboard_core::batch::NumberResult, as_json: bool) -> String {
    if as_json {
        return serde_json::to_string(r).unwrap_or_default();
    }
    let number = r.number.as_deref().unwrap_or(&r.input);
    // A number the client answers from its contact cache has no HTTP status: nothing was sent.
    let status = match r.status {
        Some(s) => s.to_string(),
        None if r.cached => "cached".to_owned(),
        None => "---".to_owned(),
    };
    let outcome = match (r.error, r.matches) {
        (Some(kind), _) => format!("FAIL {}", kind.label()),
        (None, Some(n)) => format!(
            "{n} match{}{}",
            if n == 1 { "" } else { "es" },
            if r.create_row { " +create row" } else { "" }
        ),
        (None, None) => "ok".to_owned(),
    };
    let message = match (&r.message, r.cached) {
        (Some(m), _) => m.as_str(),
        (None, true) => "from the client's contact cache, no request",
        (None, false) => "",
    };
    let ms = r.ms.map_or_else(|| "-".to_owned(), |ms| ms.to_string());
    let lints = match (r.lint_errors, r.lint_warnings) {
        (0, 0) => String::new(),
        (e, w) => format!("  [lints: {e} error(s), {w} warning(s)]"),
    };
    format!(
        "{:>6}  {number:<16} {status:>6}  {outcome:<28} {ms:>6} ms  {message}{lints}",
        r.line,
    )
}

/// The summary table at the end of `switchboard batch`.
pub fn batch_summary(s: &switchboard_core::batch::BatchSummary, as_json: bool) {
    use switchboard_core::batch::Mode;
    if as_json {
        match serde_json::to_string(&json!({ "summary": s })) {
            Ok(line) => out!("{line}"),
            Err(e) => eprintln!("error: could not print JSON: {e}"),
        }
        return;
    }
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v} ms"));
    let mode = match s.mode {
        Mode::Mirror => "mirror: one at a time, with the contact cache, as the client".to_owned(),
        Mode::Concurrent(n) => format!("concurrency {n}"),
    };
    out!("");
    out!("Summary ({mode})");
    out!("  numbers      {:>10}", s.count);
    out!("  sent         {:>10}", s.sent);
    if matches!(s.mode, Mode::Mirror) {
        out!("  cached       {:>10}  (answered from the client's contact cache, not sent; not in p50/p95/max)", s.cached);
    }
    out!("  ok           {:>10}", s.ok);
    out!("  errors       {:>10}", s.errors);
    for (kind, n) in &s.errors_by_kind {
        out!("    {:<18} {:>8}", kind.label(), n);
    }
    out!("  429s         {:>10}", s.rate_limited());
    out!("  p50          {:>10}", ms(s.p50_ms));
    out!("  p95          {:>10}", ms(s.p95_ms));
    out!("  max          {:>10}", ms(s.max_ms));
    out!(
        "  time         {:>10}",
        format!("{:.1} s", s.elapsed_ms as f64 / 1000.0)
    );
    out!("  lookups/s    {:>10.1}", s.per_second);
    if s.lint_errors > 0 {
        out!(
            "  answers with contract-lint errors: {} (switchboard find NUMBER shows them)",
            s.lint_errors
        );
    }
    if let Some(why) = &s.stopped {
        out!("  stopped: {why}");
    }
}
