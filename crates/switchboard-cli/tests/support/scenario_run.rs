//! `switchboard test` as the scenario tests run it: a folder with scenario files and the bundled
//! manifest, the binary run with every report asked for, and the reports read back (the JUnit XML
//! with a strict XML parser).
#![allow(dead_code)] // not every test file uses every helper

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::BIN;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One testcase of a JUnit report.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub line: Option<String>,
    pub failure: Option<String>,
    pub error: Option<String>,
    pub out: String,
}

/// The report's totals (`tests`, `failures`, `errors` of `<testsuites>`) and its testcases.
pub struct Junit {
    pub tests: usize,
    pub failures: usize,
    pub errors: usize,
    pub cases: Vec<Case>,
}

impl Junit {
    pub fn parse(text: &str) -> Self {
        let doc = roxmltree::Document::parse(text)
            .unwrap_or_else(|e| panic!("the JUnit report is well-formed XML ({e}):\n{text}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let num = |name: &str| -> usize { root.attribute(name).unwrap().parse().unwrap() };
        let cases = root
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|c| {
                let child = |tag: &str| {
                    c.children().find(|n| n.has_tag_name(tag)).map(|n| {
                        format!(
                            "{}\n{}",
                            n.attribute("message").unwrap_or(""),
                            n.text().unwrap_or("")
                        )
                    })
                };
                Case {
                    name: c.attribute("name").unwrap().to_owned(),
                    line: c.attribute("line").map(str::to_owned),
                    failure: child("failure"),
                    error: child("error"),
                    out: child("system-out").unwrap_or_default(),
                }
            })
            .collect();
        Self {
            tests: num("tests"),
            failures: num("failures"),
            errors: num("errors"),
            cases,
        }
    }

    pub fn case(&self, prefix: &str) -> &Case {
        self.cases
            .iter()
            .find(|c| c.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("a testcase named {prefix}…: {:?}", self.cases))
    }
}

/// A folder with scenario files and the bundled manifest, and the run's reports.
pub struct Run {
    pub dir: tempfile::TempDir,
}

pub struct Reports {
    pub output: Output,
    pub junit: Junit,
    pub junit_text: String,
    pub json: Value,
    pub html: String,
    pub markdown: String,
}

impl Reports {
    /// Asserts the run's exit code, showing both output streams when it differs.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) {
        assert_eq!(
            self.output.status.code(),
            Some(code),
            "{}\n{}",
            self.stdout(),
            self.stderr()
        );
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Neither the API key nor any session token (a JWT starts `eyJ`) appears anywhere.
    pub fn assert_no_secrets(&self, key: &str) {
        for (what, text) in [
            ("stdout", self.stdout()),
            ("stderr", self.stderr()),
            ("junit", self.junit_text.clone()),
            ("json", self.json.to_string()),
            ("html", self.html.clone()),
            ("markdown", self.markdown.clone()),
        ] {
            assert!(!text.contains(key), "{what} shows the API key:\n{text}");
            assert!(
                !text.contains("eyJ"),
                "{what} shows a session token:\n{text}"
            );
        }
    }
}

impl Run {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            repo().join("manifests/sandbox.json"),
            dir.path().join("sandbox.json"),
        )
        .unwrap();
        Self { dir }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `switchboard test FILES --junit --json --html --markdown` with `env` (a keychain service
    /// no test writes to, unless `env` names one).
    pub fn test(&self, files: &[&Path], env: &[(&str, &str)]) -> Reports {
        let out = self.dir.path().join("reports");
        let (junit, json, html, md) = (
            out.join("junit.xml"),
            out.join("report.json"),
            out.join("report.html"),
            out.join("report.md"),
        );
        for f in [&junit, &json, &html, &md] {
            let _ = std::fs::remove_file(f);
        }
        let mut cmd = Command::new(BIN);
        // `--json PATH` before the files: the CLI's global --json switch must not take it.
        cmd.arg("test").arg("--json").arg(&json);
        cmd.args(files);
        cmd.arg("--junit").arg(&junit).arg("--html").arg(&html);
        cmd.arg("--markdown").arg(&md);
        cmd.env_remove("SWITCHBOARD_API_KEY").env(
            "SWITCHBOARD_KEYCHAIN_SERVICE",
            "switchboard-scenario-test-unused",
        );
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.stdin(Stdio::null()).output().expect("the binary runs");
        let read = |p: &Path| {
            std::fs::read_to_string(p).unwrap_or_else(|e| {
                panic!(
                    "{} was written ({e}); stderr: {}",
                    p.display(),
                    String::from_utf8_lossy(&output.stderr)
                )
            })
        };
        let junit_text = read(&junit);
        Reports {
            junit: Junit::parse(&junit_text),
            junit_text,
            json: serde_json::from_str(&read(&json)).unwrap(),
            html: read(&html),
            markdown: read(&md),
            output,
        }
    }
}
