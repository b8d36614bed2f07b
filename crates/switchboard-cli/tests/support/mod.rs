//! What the CLI's integration tests share: a standalone sandbox run by the built binary, and the
//! real `@app-connect/core` framework server of tests/conformance.

pub mod scenario_run;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// `switchboard sandbox --port 0 --api-key KEY <flags>` in the background; stopped when dropped.
pub struct StandaloneSandbox {
    child: Child,
    pub url: String,
}

impl StandaloneSandbox {
    pub fn start(api_key: &str, flags: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["sandbox", "--port", "0", "--api-key", api_key])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sandbox starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("the sandbox prints its URL, got {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for StandaloneSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `node tests/conformance/server.js` (the real framework with the test connector) on a free port,
/// with `env` set; stopped when dropped (SIGTERM, so it removes its temporary database).
#[allow(dead_code)] // not every test file starts the framework
pub struct Framework {
    child: Child,
    pub url: String,
}

#[allow(dead_code)]
impl Framework {
    pub fn start(env: &[(&str, &str)]) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
        assert!(
            dir.join("node_modules/@app-connect/core").is_dir(),
            "the framework is not installed: run scripts/setup.sh (npm ci in tests/conformance)"
        );
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(&dir)
            .env("PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs (installed by scripts/setup.sh)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the framework server printed its URL within 60 s");
        Self { child, url }
    }

    /// The manifest the server serves, whose serverUrl is the server itself.
    pub fn manifest(&self) -> String {
        format!("{}/_test/manifest.json", self.url)
    }
}

impl Drop for Framework {
    fn drop(&mut self) {
        // SIGTERM lets the server remove its temporary database; SIGKILL only if it lingers.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
