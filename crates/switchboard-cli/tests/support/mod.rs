//! What the CLI's integration tests share: a standalone sandbox run by the built binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
