//! "Export what was checked": a Markdown report of a session, for a pull request, a ticket or a
//! partner. Built only from non-secret data (the profile's settings, manifest findings, redacted
//! exchanges with their lints, the placeholder flow's steps); as a last guard, every secret the
//! caller knows of is masked again in the finished text.

use std::fmt::Write as _;

use crate::check::{Finding, Severity};
use crate::client::Exchange;
use crate::flow::PlaceholderFlow;
use crate::lint::{Lint, LintLevel};
use crate::profile::Profile;

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
    pub exchanges: Vec<(&'a Exchange, &'a [Lint])>,
    pub flow: Option<&'a PlaceholderFlow>,
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

impl Report<'_> {
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let p = self.profile;
        let _ = writeln!(out, "# Switchboard report: {}\n", cell(&p.name));
        let _ = writeln!(out, "Generated {}.\n", self.generated_at);
        let _ = writeln!(out, "| Setting | Value |\n| --- | --- |");
        let rows = [
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
        ];
        for (k, v) in rows {
            let _ = writeln!(out, "| {k} | {} |", cell(&v));
        }

        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let _ = writeln!(
            out,
            "\n## Manifest check\n\n{errors} error(s), {} warning(s).\n",
            self.findings.len() - errors
        );
        for f in self.findings {
            let sev = match f.severity {
                Severity::Error => "Error",
                Severity::Warning => "Warning",
            };
            let _ = writeln!(
                out,
                "- **{sev}** `{}` at `{}` ({}:{}): {} *Fix:* {}",
                f.rule, f.path, f.line, f.column, f.message, f.hint
            );
        }

        if let Some(flow) = self.flow {
            let _ = writeln!(out, "\n## Placeholder flow for {}\n", flow.number.e164);
            for s in &flow.steps {
                let mark = if s.ok { "passed" } else { "FAILED" };
                let _ = writeln!(out, "- {:?}: {mark}: {}", s.step, s.summary);
            }
        }

        let lint_count: usize = self.exchanges.iter().map(|(_, l)| l.len()).sum();
        let _ = writeln!(
            out,
            "\n## Requests\n\n{} request(s), {lint_count} connector finding(s).\n",
            self.exchanges.len()
        );
        let _ = writeln!(
            out,
            "| # | Method | URL | Status | ms | Findings |\n| --- | --- | --- | --- | --- | --- |"
        );
        for (i, (e, lints)) in self.exchanges.iter().enumerate() {
            let status = e
                .status
                .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {status} | {} | {} |",
                i + 1,
                e.method,
                cell(&e.url),
                e.elapsed_ms,
                lints.len()
            );
        }
        let with_lints: Vec<_> = self
            .exchanges
            .iter()
            .enumerate()
            .filter(|(_, (_, l))| !l.is_empty())
            .collect();
        if !with_lints.is_empty() {
            let _ = writeln!(out, "\n## Connector findings\n");
            for (i, (e, lints)) in with_lints {
                for l in lints.iter() {
                    let level = match l.level {
                        LintLevel::Error => "Error",
                        LintLevel::Warning => "Warning",
                    };
                    let _ = writeln!(
                        out,
                        "- **{level}** `{}` in request {} ({} {}) at `{}`: {} {}",
                        l.rule,
                        i + 1,
                        e.method,
                        cell(&e.url),
                        l.at,
                        l.message,
                        l.why
                    );
                }
            }
        }
        out
    }

    /// The Markdown text with every known secret masked, whatever path it took to get there.
    pub fn render(&self, secrets: &[&str]) -> String {
        crate::redact::text(self.to_markdown(), secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_lists_settings_findings_and_requests_and_masks_secrets() {
        let profile = Profile {
            name: "Acme | staging".into(),
            formats: vec!["(***) ***-****".into()],
            ..Profile::default()
        };
        let exchange = Exchange {
            method: "GET".into(),
            url: "http://127.0.0.1:1/contact?jwtToken=<redacted>&phoneNumber=%2B14155550100".into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(200),
            response_headers: Vec::new(),
            response_body: Some("{\"note\":\"sk-leaked\"}".into()),
            elapsed_ms: 12,
            refreshed_token: false,
        };
        let lints = vec![Lint {
            level: LintLevel::Error,
            rule: "create-row-id",
            at: "contact[1].id".into(),
            message: "The create row's id is \"new\".".into(),
            why: "sk-leaked appears here by mistake".into(),
        }];
        let findings = crate::check::check("{\"platforms\": {}}");
        let r = Report {
            generated_at: "2026-11-23T10:00:00Z".into(),
            profile: &profile,
            manifest_source: "bundled:sandbox",
            platform: "sandbox",
            server_url: "http://127.0.0.1:1",
            user_name: Some("Demo"),
            findings: &findings,
            exchanges: vec![(&exchange, &lints)],
            flow: None,
        };
        let md = r.render(&["sk-leaked"]);
        assert!(
            md.starts_with("# Switchboard report: Acme \\| staging"),
            "{md}"
        );
        assert!(
            md.contains("| Overriding formats | (***) ***-**** |"),
            "{md}"
        );
        assert!(md.contains("| 1 | GET | `http://127.0.0.1:1/contact?jwtToken=<redacted>"));
        assert!(md.contains("1 request(s), 1 connector finding(s)."));
        assert!(
            md.contains("**Error** `create-row-id` in request 1"),
            "{md}"
        );
        assert!(!md.contains("sk-leaked"), "{md}");
        assert!(
            findings.is_empty() || md.contains("## Manifest check"),
            "{md}"
        );
    }
}
