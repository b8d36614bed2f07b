//! "Export what was checked": a report of a session, for a pull request, a ticket or a partner, as
//! Markdown or as one self-contained HTML file (inline CSS, no scripts, nothing fetched). Built only
//! from non-secret data (the profile's settings, manifest findings, every placeholder flow of the
//! session, each request with where it was made, its redacted bodies and its lints); as a last
//! guard, every secret the caller knows of is masked again in the finished text, in each encoding
//! it could appear in.

use std::fmt::Write as _;

use serde::Deserialize;

use crate::check::{Finding, Severity};
use crate::client::Exchange;
use crate::flow::PlaceholderFlow;
use crate::lint::{Lint, LintLevel};
use crate::profile::Profile;
use crate::workbench::view::RequestContext;

/// Bodies longer than this are cut in the report; the inspector keeps them whole.
const MAX_REPORT_BODY: usize = 32 * 1024;

/// The report's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ReportFormat {
    #[default]
    Markdown,
    Html,
}

impl ReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Html => "html",
        }
    }
}

/// One request as the report shows it.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest<'a> {
    pub exchange: &'a Exchange,
    pub lints: &'a [Lint],
    /// Where it was made; `None` for history kept before contexts were recorded.
    pub context: Option<&'a RequestContext>,
}

/// What a report covers.
#[derive(Debug)]
pub struct Report<'a> {
    /// When it was made, e.g. `2026-11-23T10:00:00Z`.
    pub generated_at: String,
    pub profile: &'a Profile,
    pub manifest_source: &'a str,
    pub platform: &'a str,
    pub server_url: &'a str,
    pub user_name: Option<&'a str>,
    pub findings: &'a [Finding],
    pub requests: Vec<ReportRequest<'a>>,
    /// Every placeholder flow of the session, oldest first.
    pub flows: Vec<&'a PlaceholderFlow>,
}

/// Escapes a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// HTML text and attribute escaping (the scenario reports use the same).
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A body as the report shows it: cut past `MAX_REPORT_BODY` (on a character boundary).
fn report_body(body: &str) -> String {
    if body.len() <= MAX_REPORT_BODY {
        return body.to_owned();
    }
    let mut cut = MAX_REPORT_BODY;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}\n… (cut at {} KiB; the inspector shows it whole)",
        &body[..cut],
        MAX_REPORT_BODY / 1024
    )
}

/// A fenced Markdown block that no backtick run in `text` can close early.
fn fenced(text: &str, lang: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{text}\n{fence}\n")
}

fn lang_of(body: &str) -> &'static str {
    if serde_json::from_str::<serde_json::Value>(body).is_ok() {
        "json"
    } else {
        ""
    }
}

fn status_text(e: &Exchange) -> String {
    e.status
        .map_or_else(|| "no answer".to_owned(), |s| s.to_string())
}

fn level(l: &Lint) -> &'static str {
    match l.level {
        LintLevel::Error => "Error",
        LintLevel::Warning => "Warning",
    }
}

fn severity(f: &Finding) -> &'static str {
    match f.severity {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
    }
}

/// How a context reads in a heading.
fn context_line(c: Option<&RequestContext>) -> String {
    match c {
        Some(c) => format!(
            "Profile \"{}\" · manifest {} · platform {} · server {}",
            c.profile, c.manifest, c.platform, c.server
        ),
        None => "Recorded by an earlier version (profile, manifest and server not kept)".to_owned(),
    }
}

/// The requests in runs of the same context, in order: each run gets one heading.
fn runs<'r, 'a>(requests: &'r [ReportRequest<'a>]) -> Vec<(usize, &'r [ReportRequest<'a>])> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=requests.len() {
        if i == requests.len() || requests[i].context != requests[start].context {
            out.push((start, &requests[start..i]));
            start = i;
        }
    }
    out
}

impl Report<'_> {
    fn settings(&self) -> Vec<(&'static str, String)> {
        let p = self.profile;
        vec![
            (
                "Client behaviour reproduced",
                crate::workbench::view::CLIENT_BEHAVIOUR.to_owned(),
            ),
            ("Manifest", self.manifest_source.to_owned()),
            ("Platform", self.platform.to_owned()),
            ("Server", self.server_url.to_owned()),
            (
                "CRM environment",
                p.hostname.clone().unwrap_or_else(|| "(manifest's)".into()),
            ),
            ("Default region", p.region.clone()),
            (
                "Overriding formats",
                if p.formats.is_empty() {
                    "(none)".into()
                } else {
                    p.formats.join(", ")
                },
            ),
            (
                "Signed in as",
                self.user_name.unwrap_or("(not signed in)").to_owned(),
            ),
        ]
    }

    fn error_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    fn lint_count(&self) -> usize {
        self.requests.iter().map(|r| r.lints.len()).sum()
    }

    /// The servers the requests went to, in first-seen order.
    fn servers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.requests {
            if let Some(c) = r.context {
                if !out.contains(&c.server.as_str()) {
                    out.push(&c.server);
                }
            }
        }
        out
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Switchboard report: {}\n", cell(&self.profile.name));
        let _ = writeln!(out, "Generated {}.\n", self.generated_at);
        let _ = writeln!(out, "The profile in use when the report was made:\n");
        let _ = writeln!(out, "| Setting | Value |\n| --- | --- |");
        for (k, v) in self.settings() {
            let _ = writeln!(out, "| {k} | {} |", cell(&v));
        }

        let errors = self.error_count();
        let _ = writeln!(
            out,
            "\n## Manifest check\n\n{errors} error(s), {} warning(s).\n",
            self.findings.len() - errors
        );
        for f in self.findings {
            let _ = writeln!(
                out,
                "- **{}** `{}` at `{}` ({}:{}): {} *Fix:* {}",
                severity(f),
                f.rule,
                f.path,
                f.line,
                f.column,
                f.message,
                f.hint
            );
        }

        let _ = writeln!(
            out,
            "\n## Placeholder flows\n\n{} flow(s) this session.",
            self.flows.len()
        );
        for (i, flow) in self.flows.iter().enumerate() {
            let _ = writeln!(out, "\n### Flow {} for {}\n", i + 1, flow.number.e164);
            if flow.steps.is_empty() {
                let _ = writeln!(out, "- (no step finished)");
            }
            for s in &flow.steps {
                let mark = if s.ok { "passed" } else { "FAILED" };
                let _ = writeln!(out, "- {:?}: {mark}: {}", s.step, s.summary);
            }
        }

        let _ = writeln!(
            out,
            "\n## Requests\n\n{} request(s), {} connector finding(s).",
            self.requests.len(),
            self.lint_count()
        );
        let servers = self.servers();
        if !servers.is_empty() {
            let _ = writeln!(out, "Servers: {}.", servers.join(", "));
        }
        let _ = writeln!(
            out,
            "\n| # | Method | URL | Status | ms | Findings |\n| --- | --- | --- | --- | --- | --- |"
        );
        for (i, r) in self.requests.iter().enumerate() {
            let e = r.exchange;
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} | {} |",
                i + 1,
                e.method,
                cell(&e.url),
                status_text(e),
                e.elapsed_ms,
                r.lints.len()
            );
        }
        for (start, run) in runs(&self.requests) {
            let _ = writeln!(out, "\n### {}\n", context_line(run[0].context));
            for (j, r) in run.iter().enumerate() {
                let e = r.exchange;
                let _ = writeln!(
                    out,
                    "#### {}. {} → {} ({} ms)\n\n`{}`\n",
                    start + j + 1,
                    e.method,
                    status_text(e),
                    e.elapsed_ms,
                    e.url
                );
                for l in r.lints {
                    let _ = writeln!(
                        out,
                        "- **{}** `{}` at `{}`: {} {}",
                        level(l),
                        l.rule,
                        l.at,
                        l.message,
                        l.why
                    );
                }
                if !r.lints.is_empty() {
                    out.push('\n');
                }
                for (title, body) in [
                    ("Request body", &e.request_body),
                    ("Response body", &e.response_body),
                ] {
                    match body {
                        Some(b) => {
                            let b = report_body(b);
                            let _ = writeln!(out, "{title}:\n\n{}", fenced(&b, lang_of(&b)));
                        }
                        None => {
                            let _ = writeln!(out, "{title}: (none)\n");
                        }
                    }
                }
            }
        }
        out
    }

    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let title = format!("Switchboard report: {}", self.profile.name);
        let _ = write!(
            out,
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"muted\">Generated {}.</p>\n",
            html(&title),
            html(&title),
            html(&self.generated_at)
        );
        let _ = writeln!(
            out,
            "<p>The profile in use when the report was made:</p>\n<table class=\"settings\">"
        );
        for (k, v) in self.settings() {
            let _ = writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", html(&v));
        }
        let _ = writeln!(out, "</table>");

        let errors = self.error_count();
        let _ = writeln!(
            out,
            "<h2>Manifest check</h2>\n<p>{errors} error(s), {} warning(s).</p>",
            self.findings.len() - errors
        );
        if !self.findings.is_empty() {
            let _ = writeln!(out, "<ul>");
            for f in self.findings {
                let sev = severity(f);
                let _ = writeln!(
                    out,
                    "<li><span class=\"pill {}\">{sev}</span> <code>{}</code> at <code>{}</code> ({}:{}): {} <em>Fix:</em> {}</li>",
                    sev.to_ascii_lowercase(),
                    html(f.rule),
                    html(&f.path),
                    f.line,
                    f.column,
                    html(&f.message),
                    html(&f.hint)
                );
            }
            let _ = writeln!(out, "</ul>");
        }

        let _ = writeln!(
            out,
            "<h2>Placeholder flows</h2>\n<p>{} flow(s) this session.</p>",
            self.flows.len()
        );
        for (i, flow) in self.flows.iter().enumerate() {
            let _ = writeln!(
                out,
                "<h3>Flow {} for {}</h3>\n<ol class=\"steps\">",
                i + 1,
                html(&flow.number.e164)
            );
            for s in &flow.steps {
                let (class, mark) = if s.ok {
                    ("ok", "passed")
                } else {
                    ("error", "FAILED")
                };
                let _ = writeln!(
                    out,
                    "<li><strong>{:?}</strong> <span class=\"pill {class}\">{mark}</span> {}</li>",
                    s.step,
                    html(&s.summary)
                );
            }
            let _ = writeln!(out, "</ol>");
        }

        let _ = writeln!(
            out,
            "<h2>Requests</h2>\n<p>{} request(s), {} connector finding(s).</p>",
            self.requests.len(),
            self.lint_count()
        );
        for (start, run) in runs(&self.requests) {
            let _ = writeln!(
                out,
                "<h3 class=\"context\">{}</h3>",
                html(&context_line(run[0].context))
            );
            for (j, r) in run.iter().enumerate() {
                let e = r.exchange;
                let ok = e.status.is_some_and(|s| (200..300).contains(&s));
                let _ = writeln!(
                    out,
                    "<section class=\"request\">\n<h4>{}. {} <span class=\"pill {}\">{}</span> <span class=\"muted\">{} ms</span></h4>\n<p class=\"url\"><code>{}</code></p>",
                    start + j + 1,
                    html(&e.method),
                    if ok { "ok" } else { "error" },
                    html(&status_text(e)),
                    e.elapsed_ms,
                    html(&e.url)
                );
                if !r.lints.is_empty() {
                    let _ = writeln!(out, "<ul class=\"lints\">");
                    for l in r.lints {
                        let lv = level(l);
                        let _ = writeln!(
                            out,
                            "<li><span class=\"pill {}\">{lv}</span> <code>{}</code> at <code>{}</code>: {} {}</li>",
                            lv.to_ascii_lowercase(),
                            html(l.rule),
                            html(&l.at),
                            html(&l.message),
                            html(&l.why)
                        );
                    }
                    let _ = writeln!(out, "</ul>");
                }
                for (title, body) in [
                    ("Request body", &e.request_body),
                    ("Response body", &e.response_body),
                ] {
                    match body {
                        Some(b) => {
                            let _ = writeln!(
                                out,
                                "<details><summary>{title}</summary><pre>{}</pre></details>",
                                html(&report_body(b))
                            );
                        }
                        None => {
                            let _ = writeln!(out, "<p class=\"muted\">{title}: (none)</p>");
                        }
                    }
                }
                let _ = writeln!(out, "</section>");
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }

    /// The report in `format`, with every known secret masked, whatever path it took to get there
    /// and in whichever encoding it appears (as is, JSON-escaped, URL-encoded, HTML-escaped).
    pub fn render(&self, format: ReportFormat, secrets: &[&str]) -> String {
        let text = match format {
            ReportFormat::Markdown => self.to_markdown(),
            ReportFormat::Html => self.to_html(),
        };
        let mut variants: Vec<String> = Vec::new();
        for s in secrets.iter().filter(|s| s.chars().count() >= 4) {
            let json = serde_json::to_string(s).unwrap_or_default();
            let json = json.trim_matches('"').to_owned();
            let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            let percent = form.replace('+', "%20");
            for v in [
                s.to_string(),
                html(s),
                json.clone(),
                html(&json),
                form,
                percent,
            ] {
                if !variants.contains(&v) {
                    variants.push(v);
                }
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        variants.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
        let masked = crate::redact::text(text, &refs);
        match format {
            ReportFormat::Markdown => masked,
            // The marker itself is text in HTML.
            ReportFormat::Html => masked.replace(crate::redact::REDACTED, "&lt;redacted&gt;"),
        }
    }
}

/// The HTML report's only style: light and dark, readable printed.
const STYLE: &str = "
:root { color-scheme: light dark; --ink: #1d2330; --muted: #5b6474; --line: #d8dde6; --sunken: #f3f5f8; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --ink: #e6edf7; --muted: #9aa4b5; --line: #323b4c; --sunken: #1b2130; --ok: #56d364; --bad: #ff7b72; --warn: #e3b341; } body { background: #11151d; } }
body { font: 14px/1.5 system-ui, sans-serif; color: var(--ink); max-width: 1100px; margin: 24px auto; padding: 0 20px; }
h1 { font-size: 22px; } h2 { margin-top: 28px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; } h4 { font-size: 14px; margin: 0 0 4px; }
.muted { color: var(--muted); }
table.settings { border-collapse: collapse; } .settings th, .settings td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
code, pre { font-family: ui-monospace, monospace; font-size: 12.5px; }
pre { background: var(--sunken); padding: 8px 10px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.url code { overflow-wrap: anywhere; }
.request { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; margin: 10px 0; }
.context { color: var(--muted); font-weight: 600; }
.pill { display: inline-block; border: 1px solid currentColor; border-radius: 999px; padding: 0 8px; font-size: 12px; }
.pill.ok { color: var(--ok); } .pill.error { color: var(--bad); } .pill.warning { color: var(--warn); }
details summary { cursor: pointer; color: var(--muted); }
";

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(url: &str, response: &str) -> Exchange {
        Exchange {
            method: "GET".into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(200),
            response_headers: Vec::new(),
            response_body: Some(response.into()),
            elapsed_ms: 12,
            refreshed_token: false,
        }
    }

    fn context(profile: &str, server: &str) -> RequestContext {
        RequestContext {
            profile: profile.into(),
            manifest: "bundled:sandbox".into(),
            platform: "sandbox".into(),
            server: server.into(),
        }
    }

    #[test]
    fn the_report_lists_settings_findings_and_each_request_where_it_was_made() {
        let profile = Profile {
            name: "Acme | staging".into(),
            formats: vec!["(***) ***-****".into()],
            ..Profile::default()
        };
        let a = exchange(
            "http://127.0.0.1:1/contact?jwtToken=<redacted>&phoneNumber=%2B14155550100",
            "{\"note\":\"sk-leaked <b>\"}",
        );
        let b = exchange("http://10.0.0.2:2/contact", "```nested fence```");
        let lints = vec![Lint {
            level: LintLevel::Error,
            rule: "create-row-id",
            at: "contact[1].id".into(),
            message: "The create row's id is \"new\".".into(),
            why: "sk-leaked appears here by mistake".into(),
        }];
        let (ca, cb) = (
            context("Acme", "http://127.0.0.1:1"),
            context("Other", "http://10.0.0.2:2"),
        );
        let findings = crate::check::check("{\"platforms\": {}}");
        let r = Report {
            generated_at: "2026-11-23T10:00:00Z".into(),
            profile: &profile,
            manifest_source: "bundled:sandbox",
            platform: "sandbox",
            server_url: "http://127.0.0.1:1",
            user_name: Some("Demo"),
            findings: &findings,
            requests: vec![
                ReportRequest {
                    exchange: &a,
                    lints: &lints,
                    context: Some(&ca),
                },
                ReportRequest {
                    exchange: &b,
                    lints: &[],
                    context: Some(&cb),
                },
            ],
            flows: Vec::new(),
        };
        let md = r.render(ReportFormat::Markdown, &["sk-leaked"]);
        assert!(
            md.starts_with("# Switchboard report: Acme \\| staging"),
            "{md}"
        );
        assert!(
            md.contains("| Client behaviour reproduced | App Connect extension 1.6.6"),
            "the report names the client it reproduces: {md}"
        );
        assert!(
            md.contains("| Overriding formats | (***) ***-**** |"),
            "{md}"
        );
        assert!(md.contains("| 1 | GET | `http://127.0.0.1:1/contact?jwtToken=<redacted>"));
        assert!(md.contains("2 request(s), 1 connector finding(s)."));
        assert!(
            md.contains("### Profile \"Acme\" · manifest bundled:sandbox · platform sandbox · server http://127.0.0.1:1")
                && md.contains("### Profile \"Other\"")
                && md.contains("server http://10.0.0.2:2"),
            "each request sits under the profile and server it was made with: {md}"
        );
        assert!(md.contains("**Error** `create-row-id`"), "{md}");
        assert!(
            md.contains("````\n```nested fence```\n````"),
            "a body's own backticks cannot close its fence: {md}"
        );
        assert!(!md.contains("sk-leaked"), "{md}");

        let page = r.render(ReportFormat::Html, &["sk-leaked"]);
        assert!(page.starts_with("<!doctype html>"), "{page}");
        assert!(!page.contains("sk-leaked"), "{page}");
        assert!(
            page.contains("&lt;b&gt;") && !page.contains("<b>"),
            "bodies are escaped: {page}"
        );
        assert!(
            page.contains("jwtToken=&lt;redacted&gt;"),
            "the marker reads as text: {page}"
        );
        for external in ["<script", "<link", "src=", "href=", "@import", "url("] {
            assert!(
                !page.contains(external),
                "the page loads nothing ({external}): {page}"
            );
        }
    }

    #[test]
    fn secrets_are_masked_in_every_encoding() {
        let profile = Profile::default();
        let secret = "p&ss \"word\"<x>";
        let body = format!(
            "{} {} {}",
            serde_json::to_string(secret).unwrap(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>(),
            secret
        );
        let e = exchange("http://h:1/x", &body);
        let r = Report {
            generated_at: String::new(),
            profile: &profile,
            manifest_source: "",
            platform: "",
            server_url: "",
            user_name: None,
            findings: &[],
            requests: vec![ReportRequest {
                exchange: &e,
                lints: &[],
                context: None,
            }],
            flows: Vec::new(),
        };
        for format in [ReportFormat::Markdown, ReportFormat::Html] {
            let text = r.render(format, &[secret]);
            assert!(
                !text.contains("ss \\\"word")
                    && !text.contains("p%26ss")
                    && !text.contains("p&amp;ss")
                    && !text.contains(secret),
                "{format:?}: {text}"
            );
        }
    }
}
