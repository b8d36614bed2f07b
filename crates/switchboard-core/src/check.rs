//! The manifest checker: every problem a connector author can fix before shipping, each with its
//! JSON path, line and column, a severity and a hint. It reads the manifest as JSON (not through the
//! tolerant model), so it sees exactly what was written.
//!
//! Linear in the size of the text: the rules collect findings with structured paths; positions are
//! looked up afterwards by walking one syntax tree (no per-node index), and only the findings that
//! are reported (at most [`MAX_FINDINGS`], errors first) get a path string and a column.

use std::borrow::Cow;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::fmt;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::manifest::{describe_size, MAX_MANIFEST_BYTES};

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
    /// Only on the [`MORE_FINDINGS_RULE`] summary: the findings it stands for.
    #[serde(skip)]
    #[ts(skip)]
    pub omitted: Option<Omitted>,
}

/// The findings left out of a capped report (see [`MAX_FINDINGS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Omitted {
    pub errors: usize,
    pub warnings: usize,
}

impl Omitted {
    pub fn total(&self) -> usize {
        self.errors + self.warnings
    }
}

/// The most findings [`check`] reports, errors first then in file order. Past it, one last
/// [`MORE_FINDINGS_RULE`] finding says how many more there are: nobody reads 80,000 findings, and
/// building them all is what made large files slow.
pub const MAX_FINDINGS: usize = 200;
/// The rule of the summary finding that stands for the findings past [`MAX_FINDINGS`].
pub const MORE_FINDINGS_RULE: &str = "more-findings";
/// The rule of the one finding given for text over [`MAX_MANIFEST_BYTES`].
pub const TOO_LARGE_RULE: &str = "too-large";

/// How many findings the summary at the end of `findings` stands for, if there is one.
pub fn omitted(findings: &[Finding]) -> Option<Omitted> {
    findings
        .last()
        .filter(|f| f.rule == MORE_FINDINGS_RULE)
        .and_then(|f| f.omitted)
}

const AUTH_TYPES: [&str; 2] = ["apiKey", "oauth"];
const FIELD_TYPES: [&str; 4] = ["selection", "checkbox", "inputField", "warning"];
const ENV_TYPES: [&str; 3] = ["fixed", "dynamic", "selectable"];
const URL_PLACEHOLDERS: [&str; 4] = ["hostname", "contactId", "contactType", "logId"];

/// One step of a JSON path; keys borrow from the parsed manifest, so paths are cheap to extend.
#[derive(Debug, Clone, Copy)]
enum Seg<'v> {
    Key(&'v str),
    Index(usize),
}

/// A JSON path, rendered as `platforms.clio.contactTypes[0]` only for reported findings.
#[derive(Debug, Clone, Default)]
struct JPath<'v>(Vec<Seg<'v>>);

impl<'v> JPath<'v> {
    fn key(&self, key: &'v str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key));
        p
    }

    fn at(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(index));
        p
    }
}

impl fmt::Display for JPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Finds where a path starts in the (valid JSON) text. Each container walked through is scanned
/// once into a table of where its children start; other values are skipped without being parsed,
/// so the cost is at most the text's length per level of the deepest path asked for, and memory
/// is one entry per child of the walked containers only.
struct Locator<'t> {
    text: &'t str,
    tables: HashMap<usize, Children<'t>>,
}

/// Where the children of an object or array start.
enum Children<'t> {
    /// Keys as decoded; a repeated key keeps its last value, as serde_json reads it.
    Object(HashMap<Cow<'t, str>, usize>),
    Array(Vec<usize>),
}

impl<'t> Locator<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            tables: HashMap::new(),
        }
    }

    /// Byte offset where the path's value starts, or its nearest existing parent's.
    fn offset(&mut self, path: &JPath<'_>) -> usize {
        let bytes = self.text.as_bytes();
        let mut at = skip_ws(bytes, 0);
        for seg in &path.0 {
            if !matches!(bytes.get(at), Some(b'{' | b'[')) {
                break;
            }
            let text = self.text;
            let table = self.tables.entry(at).or_insert_with(|| children(text, at));
            let next = match (table, seg) {
                (Children::Object(keys), Seg::Key(k)) => keys.get(*k).copied(),
                (Children::Array(items), Seg::Index(i)) => items.get(*i).copied(),
                _ => None,
            };
            match next {
                Some(n) => at = n,
                None => break,
            }
        }
        at.min(self.text.len())
    }
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The end (one past the closing quote) of the string starting at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    at += 1;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The end of the value starting at `at`.
fn value_end(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        Some(b'"') => string_end(bytes, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = at;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'"' => {
                        i = string_end(bytes, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        _ => {
            let mut i = at;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                i += 1;
            }
            i
        }
    }
}

/// Where the children of the object or array at `at` start.
fn children(text: &str, at: usize) -> Children<'_> {
    let bytes = text.as_bytes();
    let object = bytes.get(at) == Some(&b'{');
    let mut keys = HashMap::new();
    let mut items = Vec::new();
    let mut i = skip_ws(bytes, at + 1);
    while let Some(&b) = bytes.get(i) {
        if matches!(b, b'}' | b']') {
            break;
        }
        if object {
            if b != b'"' {
                break;
            }
            let end = string_end(bytes, i);
            let Some(raw) = text.get(i..end) else { break };
            let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
            let key = if inner.contains('\\') {
                match serde_json::from_str::<String>(raw) {
                    Ok(k) => Cow::Owned(k),
                    Err(_) => break,
                }
            } else {
                Cow::Borrowed(inner)
            };
            i = skip_ws(bytes, end);
            if bytes.get(i) != Some(&b':') {
                break;
            }
            i = skip_ws(bytes, i + 1);
            keys.insert(key, i);
        } else {
            items.push(i);
        }
        i = skip_ws(bytes, value_end(bytes, i));
        if bytes.get(i) != Some(&b',') {
            break;
        }
        i = skip_ws(bytes, i + 1);
    }
    if object {
        Children::Object(keys)
    } else {
        Children::Array(items)
    }
}

/// Byte offsets where each line starts.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

/// Characters in `bytes` (which is valid UTF-8 up to a possibly cut last character).
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// A finding before it is rendered: the rules make these; only reported ones get a path string
/// and a column.
struct Raw<'v> {
    severity: Severity,
    rule: &'static str,
    path: JPath<'v>,
    message: String,
    hint: Cow<'static, str>,
}

/// A finding with its place, ordered as reported: errors first, then by line and offset (within
/// a line the byte offset orders like the column), then in the order found.
struct Placed<'v> {
    line: usize,
    offset: usize,
    order: usize,
    raw: Raw<'v>,
}

impl Placed<'_> {
    fn key(&self) -> (Severity, usize, usize, usize) {
        (self.raw.severity, self.line, self.offset, self.order)
    }
}

impl PartialEq for Placed<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Placed<'_> {}

impl PartialOrd for Placed<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Placed<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// Collects findings, keeping only the first `cap` in report order (a max-heap), so memory stays
/// bounded however many a manifest has.
struct Checker<'v, 't> {
    locator: Locator<'t>,
    /// Line starts, computed with the first finding.
    starts: Option<Vec<usize>>,
    kept: BinaryHeap<Placed<'v>>,
    cap: usize,
    found: usize,
    more: Omitted,
}

impl<'v, 't> Checker<'v, 't> {
    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        path: &JPath<'v>,
        message: String,
        hint: impl Into<Cow<'static, str>>,
    ) {
        let offset = self.locator.offset(path);
        let text = self.locator.text;
        let starts = self.starts.get_or_insert_with(|| line_starts(text));
        let line = starts.partition_point(|&s| s <= offset);
        let placed = Placed {
            line,
            offset,
            order: self.found,
            raw: Raw {
                severity,
                rule,
                path: path.clone(),
                message,
                hint: hint.into(),
            },
        };
        self.found += 1;
        let dropped = if self.kept.len() < self.cap {
            self.kept.push(placed);
            None
        } else if self.kept.peek().is_some_and(|last| placed < *last) {
            let last = self.kept.pop().map(|last| last.raw.severity);
            self.kept.push(placed);
            last
        } else {
            Some(severity)
        };
        match dropped {
            Some(Severity::Error) => self.more.errors += 1,
            Some(Severity::Warning) => self.more.warnings += 1,
            None => {}
        }
    }

    fn error(
        &mut self,
        rule: &'static str,
        path: &JPath<'v>,
        message: String,
        hint: impl Into<Cow<'static, str>>,
    ) {
        self.push(Severity::Error, rule, path, message, hint);
    }

    fn warn(
        &mut self,
        rule: &'static str,
        path: &JPath<'v>,
        message: String,
        hint: impl Into<Cow<'static, str>>,
    ) {
        self.push(Severity::Warning, rule, path, message, hint);
    }
}

fn nonempty_str(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.trim().is_empty())
}

/// Checks manifest text. Invalid JSON is one error with its position, text over
/// [`MAX_MANIFEST_BYTES`] one error with its size; otherwise every rule runs. At most
/// [`MAX_FINDINGS`] findings are returned (errors first, then in file order), followed, when more
/// were found, by one [`MORE_FINDINGS_RULE`] finding counting the rest (see [`omitted`]).
pub fn check(text: &str) -> Vec<Finding> {
    check_capped(text, MAX_FINDINGS)
}

fn check_capped(text: &str, cap: usize) -> Vec<Finding> {
    if text.len() > MAX_MANIFEST_BYTES {
        return vec![Finding {
            severity: Severity::Error,
            rule: TOO_LARGE_RULE,
            path: String::new(),
            line: 0,
            column: 0,
            message: format!(
                "The manifest is {} ({} bytes), over the limit of {} ({MAX_MANIFEST_BYTES} bytes); it was not checked.",
                describe_size(text.len() as u64),
                text.len(),
                describe_size(MAX_MANIFEST_BYTES as u64),
            ),
            hint: "Real manifests are a few hundred KB at most: check that this is the right file, and remove generated or repeated content.".into(),
            omitted: None,
        }];
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![json_error(text, &e)],
    };
    let mut c = Checker {
        locator: Locator::new(text),
        starts: None,
        kept: BinaryHeap::new(),
        cap,
        found: 0,
        more: Omitted::default(),
    };
    check_top(&mut c, &value);
    let Checker {
        kept, more, starts, ..
    } = c;
    let Some(starts) = starts else {
        return Vec::new();
    };
    let kept = kept.into_sorted_vec();
    let columns = columns(text, &starts, &kept);
    let mut findings: Vec<Finding> = kept
        .into_iter()
        .zip(columns)
        .map(|(p, column)| Finding {
            severity: p.raw.severity,
            rule: p.raw.rule,
            path: p.raw.path.to_string(),
            line: p.line,
            column,
            message: p.raw.message,
            hint: p.raw.hint.into_owned(),
            omitted: None,
        })
        .collect();
    if more.total() > 0 {
        findings.push(more_findings(more, cap));
    }
    findings
}

/// 1-based character columns of the kept findings (0 where there is no position), counting
/// each line's characters once however many findings it has.
fn columns(text: &str, starts: &[usize], kept: &[Placed<'_>]) -> Vec<usize> {
    let mut columns = vec![0; kept.len()];
    let mut order: Vec<(usize, usize, usize)> = kept
        .iter()
        .enumerate()
        .map(|(i, p)| (p.offset, p.line, i))
        .collect();
    order.sort_unstable();
    let bytes = text.as_bytes();
    // (offset, line, characters before offset on its line) of the previous finding
    let mut previous: Option<(usize, usize, usize)> = None;
    for (offset, line, i) in order {
        let (from, before) = match previous {
            Some((o, l, n)) if l == line => (o, n),
            _ => (starts[line - 1], 0),
        };
        let chars = before + count_chars(&bytes[from..offset]);
        columns[i] = chars + 1;
        previous = Some((offset, line, chars));
    }
    columns
}

fn more_findings(more: Omitted, shown: usize) -> Finding {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    Finding {
        severity: if more.errors > 0 {
            Severity::Error
        } else {
            Severity::Warning
        },
        rule: MORE_FINDINGS_RULE,
        path: String::new(),
        line: 0,
        column: 0,
        message: format!(
            "… and {} more finding{} ({}, {}) not listed: only the first {shown} are shown, errors first.",
            more.total(),
            if more.total() == 1 { "" } else { "s" },
            plural(more.errors, "error"),
            plural(more.warnings, "warning"),
        ),
        hint: "Fix the findings above and check again; repeated findings often share one cause."
            .into(),
        omitted: Some(more),
    }
}

/// Invalid JSON as one finding, at serde_json's line and its byte column turned into characters.
fn json_error(text: &str, e: &serde_json::Error) -> Finding {
    let reason = e.to_string();
    let reason = reason
        .split(" at line")
        .next()
        .unwrap_or(&reason)
        .to_owned();
    let (line, column) = match line_starts(text).get(e.line().wrapping_sub(1)) {
        Some(&start) => {
            let end = start.saturating_add(e.column()).min(text.len());
            (e.line(), count_chars(&text.as_bytes()[start..end]).max(1))
        }
        None => (0, 0),
    };
    Finding {
        severity: Severity::Error,
        rule: "json",
        path: String::new(),
        line,
        column,
        message: format!("The manifest is not valid JSON: {reason}."),
        hint:
            "Fix the JSON at this position (a missing comma, quote or bracket is the usual cause)."
                .into(),
        omitted: None,
    }
}

fn check_top<'v>(c: &mut Checker<'v, '_>, m: &'v Value) {
    let root = JPath::default();
    let platforms = root.key("platforms");
    let Some(top) = m.as_object() else {
        c.error(
            "top-level",
            &root,
            "The manifest's top level is not an object.".into(),
            "Wrap the manifest in { … } with a \"platforms\" object.",
        );
        return;
    };
    if let Some(url) = top.get("serverUrl") {
        check_server_url(c, &root.key("serverUrl"), url);
    }
    match top.get("platforms") {
        None => c.error(
            "platforms",
            &root,
            "The manifest has no \"platforms\".".into(),
            "Add \"platforms\": { \"<name>\": { \"name\": \"<name>\", … } }.",
        ),
        Some(Value::Object(ps)) if ps.is_empty() => c.error(
            "platforms",
            &platforms,
            "\"platforms\" is empty.".into(),
            "Add at least one platform, keyed by its name.",
        ),
        Some(Value::Object(ps)) => {
            for (key, p) in ps {
                check_platform(c, &platforms, key, p);
            }
        }
        Some(_) => c.error(
            "platforms",
            &platforms,
            "\"platforms\" is not an object.".into(),
            "Make it an object keyed by platform name.",
        ),
    }
}

fn check_server_url<'v>(c: &mut Checker<'v, '_>, path: &JPath<'v>, url: &Value) {
    let Some(s) = url.as_str() else {
        c.error(
            "server-url",
            path,
            "serverUrl is not a string.".into(),
            "Set it to the connector server's https URL.",
        );
        return;
    };
    if s.ends_with('/') {
        c.warn("server-url", path, format!("serverUrl \"{s}\" ends with a slash; the client appends paths such as /contact, giving \"//contact\"."), "Remove the trailing slash.");
    }
    match url::Url::parse(s) {
        Err(e) => c.error(
            "server-url",
            path,
            format!("serverUrl \"{s}\" is not a URL ({e})."),
            "Use a full URL such as https://connector.example.com.",
        ),
        Ok(u) => {
            let local = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if u.scheme() == "http" && !local {
                c.warn(
                    "server-url",
                    path,
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

fn check_platform<'v>(c: &mut Checker<'v, '_>, platforms: &JPath<'v>, key: &'v str, p: &'v Value) {
    let base = platforms.key(key);
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
        Some(n) => c.error("platform-name", &base.key("name"), format!("Platform \"{key}\" has name \"{n}\"; the client looks platforms up by key and name, which must be equal."), "Make \"name\" equal the platform's key."),
        None => c.error("platform-name", &base, format!("Platform \"{key}\" has no \"name\"."), "Add \"name\" equal to the platform's key."),
    }
    check_auth(c, &base, obj.get("auth"));
    if let Some(env) = obj.get("environment") {
        check_environment(c, &base.key("environment"), env);
    }
    let has_types = check_contact_types(c, &base, obj.get("contactTypes"));
    if let Some(config) = obj.get("requestConfig") {
        check_request_config(c, &base.key("requestConfig"), config);
    }
    for field in ["contactPageUrl", "logPageUrl"] {
        if let Some(t) = obj.get(field).and_then(Value::as_str) {
            check_placeholders(c, &base.key(field), field, t);
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
                &base.key("page").key(set).key("additionalFields"),
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

fn check_auth<'v>(c: &mut Checker<'v, '_>, base: &JPath<'v>, auth: Option<&'v Value>) {
    let path = base.key("auth");
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
                        let fp = path.key("apiKey").key("page").key("content").at(i);
                        match f.get("const").and_then(Value::as_str) {
                            None => c.error("login-field", &fp, "A login field has no \"const\"; its value cannot be sent.".into(), "Give every login field a unique \"const\"."),
                            Some(k) if !seen.insert(k.to_owned()) => c.error("login-field", &fp.key("const"), format!("Login field const \"{k}\" appears twice."), "Make each const unique."),
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
                    c.error("oauth-settings", &path.key("oauth"), format!("OAuth auth without auth.oauth.{field}: the client cannot build the authorize URL."), "Add the CRM's authorize URL and your OAuth client id.");
                }
            }
        }
        Some(other) => c.error(
            "auth-type",
            &path.key("type"),
            format!("Unknown auth.type \"{other}\"."),
            "Use \"apiKey\" or \"oauth\".",
        ),
        None => c.error(
            "auth-type",
            &path,
            "auth has no \"type\".".into(),
            format!("Set auth.type to one of {}.", AUTH_TYPES.join(", ")),
        ),
    }
}

fn check_environment<'v>(c: &mut Checker<'v, '_>, path: &JPath<'v>, env: &Value) {
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
            &path.key("type"),
            format!("Unknown environment type \"{t}\"."),
            "Use fixed, dynamic or selectable.",
        ),
        _ => {}
    }
}

/// Returns true when the platform has usable contact types.
fn check_contact_types<'v>(
    c: &mut Checker<'v, '_>,
    base: &JPath<'v>,
    types: Option<&Value>,
) -> bool {
    let Some(types) = types else { return false };
    let path = base.key("contactTypes");
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
        let tp = path.at(i);
        let display = t.get("display").and_then(nonempty_str);
        let value = t.get("value").and_then(nonempty_str);
        match (display, value) {
            (Some(_), Some(v)) => {
                usable = true;
                if !values.insert(v.to_owned()) {
                    c.error("contact-type-duplicate", &tp.key("value"), format!("Contact type value \"{v}\" appears twice; the dropdown cannot tell the options apart."), "Give each contact type a unique value.");
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

/// `requestConfig.timeout`: the same problems [`Platform::request_timeout`] reports when a platform
/// is opened, plus the values its tolerant reading drops without a word (a string, null, a list).
///
/// [`Platform::request_timeout`]: crate::manifest::Platform::request_timeout
fn check_request_config<'v>(c: &mut Checker<'v, '_>, path: &JPath<'v>, config: &Value) {
    const HINT: &str = "Set \"timeout\" to a number of seconds up to 3600, e.g. 30, or remove it for the default of 30 s.";
    const IGNORED: &str = "Switchboard ignores it and uses the default of 30 s";
    let Some(config) = config.as_object() else {
        c.warn(
            "request-timeout",
            path,
            format!(
                "requestConfig is {}, not an object; {IGNORED}.",
                json_kind(config)
            ),
            "Write \"requestConfig\": { \"timeout\": 30 } (seconds).",
        );
        return;
    };
    let Some(timeout) = config.get("timeout") else {
        return;
    };
    let path = path.key("timeout");
    match timeout {
        Value::Number(n) => {
            // Every JSON number serde_json accepts is a finite f64 (1e400 is a parse error).
            let t = n.as_f64().unwrap_or(f64::NAN);
            if let Some(problem) = crate::manifest::timeout_problem(t) {
                let severity = if t > 0.0 {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                c.push(
                    severity,
                    "request-timeout",
                    &path,
                    format!("{problem} {IGNORED}."),
                    HINT,
                );
            }
        }
        Value::String(s) => match js_number(s) {
            Some(t) => {
                let message = format!(
                    "requestConfig.timeout is the string \"{s}\", not a number: the real client multiplies it by 1000, which makes it {t} s, but {IGNORED}."
                );
                match crate::manifest::timeout_problem(t) {
                    None => c.warn(
                        "request-timeout",
                        &path,
                        message,
                        format!("Write the number without quotes: \"timeout\": {t}."),
                    ),
                    Some(problem) => c.push(
                        if t > 0.0 {
                            Severity::Warning
                        } else {
                            Severity::Error
                        },
                        "request-timeout",
                        &path,
                        format!("{message} As a number it would still be wrong: {problem}"),
                        HINT,
                    ),
                }
            }
            None => c.error(
                "request-timeout",
                &path,
                format!(
                    "requestConfig.timeout is the string \"{s}\", which is not a number of seconds; {IGNORED}."
                ),
                HINT,
            ),
        },
        Value::Null => c.warn(
            "request-timeout",
            &path,
            format!("requestConfig.timeout is null, not a number of seconds (null × 1000 is 0 in JavaScript, which can mean no timeout at all in the real client); {IGNORED}."),
            HINT,
        ),
        other => c.error(
            "request-timeout",
            &path,
            format!(
                "requestConfig.timeout is {}, not a number of seconds; {IGNORED}.",
                json_kind(other)
            ),
            HINT,
        ),
    }
}

/// The number JavaScript's `Number(s)` gives for a decimal string, when it is finite.
fn js_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let decimal = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && t.bytes().any(|b| b.is_ascii_digit());
    decimal
        .then(|| t.parse::<f64>().ok())
        .flatten()
        .filter(|n| n.is_finite())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_placeholders<'v>(c: &mut Checker<'v, '_>, path: &JPath<'v>, field: &str, template: &str) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !URL_PLACEHOLDERS.contains(&name) {
            c.warn("url-placeholder", path, format!("{field} uses {{{name}}}, which the client never fills in; it stays in the URL as written."), format!("Use only {}.", URL_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")));
        }
        rest = &after[close + 1..];
    }
}

fn check_fields<'v>(c: &mut Checker<'v, '_>, path: &JPath<'v>, fields: &Value, new_contact: bool) {
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
        let fp = path.at(i);
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
                &fp.key("const"),
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
                &fp.key("type"),
                format!("Field type \"{t}\" is unknown; the client renders nothing for it."),
                format!("Use one of {}.", FIELD_TYPES.join(", ")),
            ),
            None => c.error(
                "field-type",
                &fp,
                "A field has no \"type\".".into(),
                format!("Use one of {}.", FIELD_TYPES.join(", ")),
            ),
        }
        if kind == Some("inputField") {
            if let Some(p) = f.get("pattern").and_then(Value::as_str) {
                if let Err(e) = fancy_regex::Regex::new(p) {
                    c.error("field-pattern", &fp.key("pattern"), format!("The pattern \"{p}\" does not compile ({e}); every value will be refused or the form will fail."), "Fix the regular expression.");
                }
            }
        }
        // Extension 1.6.6 has no static options: every selection's options come from the chosen
        // contact's additionalInfo[const] (SPEC §6), whatever contactDependent says.
        if kind == Some("selection") {
            let ignored = ["options", "accountDataKey"]
                .into_iter()
                .find(|k| f.get(*k).is_some_and(|v| !v.is_null()));
            if let Some(ignored) = ignored {
                let k = key.unwrap_or("?");
                let by_type = f.get("contactTypeDependent") == Some(&Value::Bool(true));
                let (from, send) = if new_contact && by_type {
                    (
                        format!("the create row's additionalInfo[<defaultContactType>].{k}"),
                        format!(
                            "the create row's additionalInfo.<type>.{k} for every contact type"
                        ),
                    )
                } else {
                    (format!("the chosen contact's additionalInfo.{k}, and the field is hidden for a contact without it"), format!("additionalInfo.{k} for every contact"))
                };
                c.warn("selection-options", &fp.key(ignored), format!("Extension 1.6.6 ignores \"{ignored}\" on selection \"{k}\": its options come only from {from}."), format!("Send the list in {send} for extension 1.6.6; \"{ignored}\" can only serve newer clients, whose source is not public."));
            }
        }
    }
}

/// True when any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
