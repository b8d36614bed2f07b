//! The manifest checker: every problem a connector author can fix before shipping, each with its
//! JSON path, line and column, a severity and a hint. It reads the manifest as JSON (not through the
//! tolerant model), so it sees exactly what was written.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    /// A stable identifier of the rule, e.g. `contact-type-shape`.
    pub rule: &'static str,
    /// JSON path such as `platforms.clio.contactTypes[0]`.
    pub path: String,
    /// 1-based; 0 when the place does not exist in the text (a missing key is reported at its parent).
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: String,
}

const AUTH_TYPES: [&str; 2] = ["apiKey", "oauth"];
const FIELD_TYPES: [&str; 4] = ["selection", "checkbox", "inputField", "warning"];
const ENV_TYPES: [&str; 3] = ["fixed", "dynamic", "selectable"];
const URL_PLACEHOLDERS: [&str; 4] = ["hostname", "contactId", "contactType", "logId"];

/// Where each JSON path starts in the text.
struct Positions {
    starts: HashMap<String, usize>,
    line_starts: Vec<usize>,
}

impl Positions {
    fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut starts = HashMap::new();
        let options = jsonc_parser::ParseOptions {
            allow_comments: false,
            allow_loose_object_property_names: false,
            allow_trailing_commas: false,
            ..Default::default()
        };
        if let Ok(parsed) = jsonc_parser::parse_to_ast(text, &Default::default(), &options) {
            if let Some(v) = &parsed.value {
                index(v, String::new(), &mut starts);
            }
        }
        Self {
            starts,
            line_starts,
        }
    }

    /// Line and column (1-based, in characters) of a path, or of its nearest existing parent.
    fn of(&self, text: &str, path: &str) -> (usize, usize) {
        let mut p = path.to_owned();
        loop {
            if let Some(&offset) = self.starts.get(&p) {
                let line = self.line_starts.partition_point(|&s| s <= offset);
                let start = self.line_starts[line - 1];
                let column = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
                return (line, column);
            }
            match parent(&p) {
                Some(up) => p = up,
                None => return (0, 0),
            }
        }
    }
}

fn parent(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(path[..cut].to_owned())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn index(v: &jsonc_parser::ast::Value<'_>, path: String, out: &mut HashMap<String, usize>) {
    use jsonc_parser::ast::Value as V;
    use jsonc_parser::common::Ranged;
    out.insert(path.clone(), v.range().start);
    match v {
        V::Object(o) => {
            for prop in &o.properties {
                index(&prop.value, join(&path, prop.name.as_str()), out);
            }
        }
        V::Array(a) => {
            for (i, el) in a.elements.iter().enumerate() {
                index(el, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

struct Checker<'t> {
    text: &'t str,
    positions: Positions,
    findings: Vec<Finding>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        path: &str,
        message: String,
        hint: &str,
    ) {
        let (line, column) = self.positions.of(self.text, path);
        self.findings.push(Finding {
            severity,
            rule,
            path: path.to_owned(),
            line,
            column,
            message,
            hint: hint.to_owned(),
        });
    }

    fn error(&mut self, rule: &'static str, path: &str, message: String, hint: &str) {
        self.push(Severity::Error, rule, path, message, hint);
    }

    fn warn(&mut self, rule: &'static str, path: &str, message: String, hint: &str) {
        self.push(Severity::Warning, rule, path, message, hint);
    }
}

fn nonempty_str(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.trim().is_empty())
}

/// Checks manifest text. Invalid JSON is one error with its position; otherwise every rule runs.
pub fn check(text: &str) -> Vec<Finding> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let reason = e.to_string();
            let reason = reason
                .split(" at line")
                .next()
                .unwrap_or(&reason)
                .to_owned();
            return vec![Finding {
                severity: Severity::Error,
                rule: "json",
                path: String::new(),
                line: e.line(),
                column: e.column(),
                message: format!("The manifest is not valid JSON: {reason}."),
                hint: "Fix the JSON at this position (a missing comma, quote or bracket is the usual cause).".into(),
            }];
        }
    };
    let mut c = Checker {
        text,
        positions: Positions::new(text),
        findings: Vec::new(),
    };
    check_top(&mut c, &value);
    c.findings.sort_by_key(|f| (f.severity, f.line, f.column));
    c.findings
}

fn check_top(c: &mut Checker<'_>, m: &Value) {
    let Some(top) = m.as_object() else {
        c.error(
            "top-level",
            "",
            "The manifest's top level is not an object.".into(),
            "Wrap the manifest in { … } with a \"platforms\" object.",
        );
        return;
    };
    if let Some(url) = top.get("serverUrl") {
        check_server_url(c, url);
    }
    match top.get("platforms") {
        None => c.error(
            "platforms",
            "",
            "The manifest has no \"platforms\".".into(),
            "Add \"platforms\": { \"<name>\": { \"name\": \"<name>\", … } }.",
        ),
        Some(Value::Object(ps)) if ps.is_empty() => c.error(
            "platforms",
            "platforms",
            "\"platforms\" is empty.".into(),
            "Add at least one platform, keyed by its name.",
        ),
        Some(Value::Object(ps)) => {
            for (key, p) in ps {
                check_platform(c, key, p);
            }
        }
        Some(_) => c.error(
            "platforms",
            "platforms",
            "\"platforms\" is not an object.".into(),
            "Make it an object keyed by platform name.",
        ),
    }
}

fn check_server_url(c: &mut Checker<'_>, url: &Value) {
    let Some(s) = url.as_str() else {
        c.error(
            "server-url",
            "serverUrl",
            "serverUrl is not a string.".into(),
            "Set it to the connector server's https URL.",
        );
        return;
    };
    if s.ends_with('/') {
        c.warn("server-url", "serverUrl", format!("serverUrl \"{s}\" ends with a slash; the client appends paths such as /contact, giving \"//contact\"."), "Remove the trailing slash.");
    }
    match url::Url::parse(s) {
        Err(e) => c.error(
            "server-url",
            "serverUrl",
            format!("serverUrl \"{s}\" is not a URL ({e})."),
            "Use a full URL such as https://connector.example.com.",
        ),
        Ok(u) => {
            let local = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if u.scheme() == "http" && !local {
                c.warn(
                    "server-url",
                    "serverUrl",
                    format!(
                        "serverUrl uses plain http to {}; session tokens travel in the URL.",
                        u.host_str().unwrap_or("?")
                    ),
                    "Use https for any server that is not on this machine.",
                );
            }
        }
    }
}

fn check_platform(c: &mut Checker<'_>, key: &str, p: &Value) {
    let base = format!("platforms.{key}");
    let Some(obj) = p.as_object() else {
        c.error(
            "platform",
            &base,
            format!("Platform \"{key}\" is not an object."),
            "Describe the platform as an object.",
        );
        return;
    };
    match obj.get("name").and_then(Value::as_str) {
        Some(n) if n == key => {}
        Some(n) => c.error("platform-name", &join(&base, "name"), format!("Platform \"{key}\" has name \"{n}\"; the client looks platforms up by key and name, which must be equal."), "Make \"name\" equal the platform's key."),
        None => c.error("platform-name", &base, format!("Platform \"{key}\" has no \"name\"."), "Add \"name\" equal to the platform's key."),
    }
    check_auth(c, &base, obj.get("auth"));
    if let Some(env) = obj.get("environment") {
        check_environment(c, &join(&base, "environment"), env);
    }
    let has_types = check_contact_types(c, &base, obj.get("contactTypes"));
    for field in ["contactPageUrl", "logPageUrl"] {
        if let Some(t) = obj.get(field).and_then(Value::as_str) {
            check_placeholders(c, &join(&base, field), field, t);
        }
    }
    let page = obj.get("page");
    for set in ["callLog", "messageLog", "newContact"] {
        if let Some(fields) = page
            .and_then(|pg| pg.get(set))
            .and_then(|s| s.get("additionalFields"))
        {
            check_fields(
                c,
                &format!("{base}.page.{set}.additionalFields"),
                fields,
                set == "newContact",
            );
        }
    }
    let call_log_fields = page
        .and_then(|pg| pg.get("callLog"))
        .and_then(|s| s.get("additionalFields"));
    if call_log_fields.is_none() {
        let message = "page.callLog.additionalFields is missing: when a lookup returns the \"Create new contact...\" row, the real client throws opening the log form.".to_owned();
        let hint = "Add \"page\": { \"callLog\": { \"additionalFields\": [] } } (an empty list is enough).";
        if has_types {
            c.error("call-log-fields-missing", &base, message, hint);
        } else {
            c.warn("call-log-fields-missing", &base, message, hint);
        }
    }
}

fn check_auth(c: &mut Checker<'_>, base: &str, auth: Option<&Value>) {
    let path = join(base, "auth");
    let Some(auth) = auth else {
        c.error(
            "auth",
            base,
            "The platform has no \"auth\"; the client cannot sign in.".into(),
            "Add \"auth\": { \"type\": \"apiKey\" | \"oauth\", … }.",
        );
        return;
    };
    let kind = auth.get("type").and_then(Value::as_str);
    match kind {
        Some("apiKey") => {
            let content = auth
                .pointer("/apiKey/page/content")
                .and_then(Value::as_array);
            match content {
                Some(items) if !items.is_empty() => {
                    let mut seen = BTreeSet::new();
                    for (i, f) in items.iter().enumerate() {
                        let fp = format!("{path}.apiKey.page.content[{i}]");
                        match f.get("const").and_then(Value::as_str) {
                            None => c.error("login-field", &fp, "A login field has no \"const\"; its value cannot be sent.".into(), "Give every login field a unique \"const\"."),
                            Some(k) if !seen.insert(k.to_owned()) => c.error("login-field", &join(&fp, "const"), format!("Login field const \"{k}\" appears twice."), "Make each const unique."),
                            Some(_) => {}
                        }
                    }
                }
                _ => c.error("api-key-page", &path, "API-key auth without a login page (auth.apiKey.page.content): the user has nowhere to type the key.".into(), "Add auth.apiKey.page with a title and content fields, at least { \"const\": \"apiKey\", … }."),
            }
        }
        Some("oauth") => {
            let oauth = auth.get("oauth");
            for field in ["authUrl", "clientId"] {
                if oauth
                    .and_then(|o| o.get(field))
                    .and_then(nonempty_str)
                    .is_none()
                {
                    c.error("oauth-settings", &join(&path, "oauth"), format!("OAuth auth without auth.oauth.{field}: the client cannot build the authorize URL."), "Add the CRM's authorize URL and your OAuth client id.");
                }
            }
        }
        Some(other) => c.error(
            "auth-type",
            &join(&path, "type"),
            format!("Unknown auth.type \"{other}\"."),
            "Use \"apiKey\" or \"oauth\".",
        ),
        None => c.error(
            "auth-type",
            &path,
            "auth has no \"type\".".into(),
            &format!("Set auth.type to one of {}.", AUTH_TYPES.join(", ")),
        ),
    }
}

fn check_environment(c: &mut Checker<'_>, path: &str, env: &Value) {
    match env.get("type").and_then(Value::as_str) {
        Some("selectable")
            if env
                .get("selections")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty) =>
        {
            c.error(
                "environment",
                path,
                "A selectable environment has no selections: the user has nothing to choose."
                    .into(),
                "Add \"selections\": [{ \"const\": \"https://…\", \"name\": \"US\" }, …].",
            );
        }
        Some("fixed") if env.get("url").and_then(nonempty_str).is_none() => {
            c.error(
                "environment",
                path,
                "A fixed environment has no url.".into(),
                "Add \"url\": \"https://your-crm.example.com\".",
            );
        }
        Some(t) if !ENV_TYPES.contains(&t) => c.error(
            "environment",
            &join(path, "type"),
            format!("Unknown environment type \"{t}\"."),
            "Use fixed, dynamic or selectable.",
        ),
        _ => {}
    }
}

/// Returns true when the platform has usable contact types.
fn check_contact_types(c: &mut Checker<'_>, base: &str, types: Option<&Value>) -> bool {
    let Some(types) = types else { return false };
    let path = join(base, "contactTypes");
    let Some(items) = types.as_array() else {
        c.error(
            "contact-type-shape",
            &path,
            "contactTypes is not a list.".into(),
            "Use [{ \"display\": \"Contact\", \"value\": \"contact\" }, …].",
        );
        return false;
    };
    let mut values = BTreeSet::new();
    let mut usable = false;
    for (i, t) in items.iter().enumerate() {
        let tp = format!("{path}[{i}]");
        let display = t.get("display").and_then(nonempty_str);
        let value = t.get("value").and_then(nonempty_str);
        match (display, value) {
            (Some(_), Some(v)) => {
                usable = true;
                if !values.insert(v.to_owned()) {
                    c.error("contact-type-duplicate", &join(&tp, "value"), format!("Contact type value \"{v}\" appears twice; the dropdown cannot tell the options apart."), "Give each contact type a unique value.");
                }
            }
            _ => {
                let keys: Vec<String> = t
                    .as_object()
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                c.error("contact-type-shape", &tp, format!("Contact type {i} has keys [{}]; the dropdown needs \"display\" (shown) and \"value\" (sent as newContactType).", keys.join(", ")), "Write each as { \"display\": \"Lead\", \"value\": \"lead\" }.");
            }
        }
    }
    usable
}

fn check_placeholders(c: &mut Checker<'_>, path: &str, field: &str, template: &str) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !URL_PLACEHOLDERS.contains(&name) {
            c.warn("url-placeholder", path, format!("{field} uses {{{name}}}, which the client never fills in; it stays in the URL as written."), &format!("Use only {}.", URL_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")));
        }
        rest = &after[close + 1..];
    }
}

fn check_fields(c: &mut Checker<'_>, path: &str, fields: &Value, new_contact: bool) {
    let Some(items) = fields.as_array() else {
        c.error(
            "field-shape",
            path,
            "additionalFields is not a list.".into(),
            "Use a list of field objects.",
        );
        return;
    };
    let mut seen = BTreeSet::new();
    for (i, f) in items.iter().enumerate() {
        let fp = format!("{path}[{i}]");
        let key = f.get("const").and_then(Value::as_str);
        match key {
            None => c.error(
                "field-const",
                &fp,
                "A field has no \"const\"; its value cannot be submitted.".into(),
                "Give every field a unique \"const\".",
            ),
            Some(k) if !seen.insert(k.to_owned()) => c.error(
                "field-const",
                &join(&fp, "const"),
                format!("Field const \"{k}\" appears twice in this form."),
                "Make each const unique within the form.",
            ),
            Some(_) => {}
        }
        let kind = f.get("type").and_then(Value::as_str);
        match kind {
            Some(t) if FIELD_TYPES.contains(&t) => {}
            Some(t) => c.error(
                "field-type",
                &join(&fp, "type"),
                format!("Field type \"{t}\" is unknown; the client renders nothing for it."),
                &format!("Use one of {}.", FIELD_TYPES.join(", ")),
            ),
            None => c.error(
                "field-type",
                &fp,
                "A field has no \"type\".".into(),
                &format!("Use one of {}.", FIELD_TYPES.join(", ")),
            ),
        }
        if kind == Some("inputField") {
            if let Some(p) = f.get("pattern").and_then(Value::as_str) {
                if let Err(e) = fancy_regex::Regex::new(p) {
                    c.error("field-pattern", &join(&fp, "pattern"), format!("The pattern \"{p}\" does not compile ({e}); every value will be refused or the form will fail."), "Fix the regular expression.");
                }
            }
        }
        if kind == Some("selection") {
            let flag = |k: &str| f.get(k) == Some(&Value::Bool(true));
            let has_options = f
                .get("options")
                .and_then(Value::as_array)
                .is_some_and(|o| !o.is_empty());
            let from_account = f.get("accountDataKey").is_some();
            let dependent =
                flag("contactDependent") || (new_contact && flag("contactTypeDependent"));
            if !has_options && !from_account && !dependent {
                c.warn("selection-options", &fp, format!("Selection \"{}\" can never get options: it is not contactDependent, has no options and no accountDataKey.", key.unwrap_or("?")), "Set \"contactDependent\": true and send options in each contact's additionalInfo, or list fixed \"options\".");
            }
        }
    }
}

/// True when any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
