//! Switchboard against a hostile connector server on loopback: one route per fault (slow, drip,
//! reset, huge, malformed, deep, not UTF-8, rate-limited, gateway page, revoked session, redirect
//! loop, cross-origin redirect, an echo of the key). Each fault goes through the core client and
//! through the built `switchboard` binary, and must give a clear error naming the problem, within
//! the timeout plus a margin, in bounded memory, with no secret in anything a person sees.
//!
//! The binary needs a Secret Service: `scripts/with-keyring.sh cargo test -p switchboard-cli --test
//! faults -- --nocapture` (the figures in docs/RELIABILITY.md are the `FIGURE` lines it prints).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use switchboard_core::client::{AppConnectClient, Called, ClientError, Exchange};
use switchboard_core::wire::LoginResponse;
use switchboard_core::Sensitive;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// The timeout both the core client and the binary (through the manifest) run with.
const TIMEOUT: Duration = Duration::from_secs(2);
/// A bound, not a benchmark: process start-up and a busy two-core machine fit in it, while the
/// hostile routes would still be running past it (the slow answer comes after 10 s, the drip
/// lasts 20 s).
const MARGIN: Duration = Duration::from_secs(6);
/// Long, distinct values, so that any leak is unmistakable.
const KEY: &str = "k3y-F4ults-9d1c2e7a";
const PASSWORD: &str = "pw-F4ults-apiPassword-77";
const CLIENT_SECRET: &str = "cs-F4ults-clientSecret-88";
const PRIVATE_TOKEN: &str = "pt-F4ults-privateToken-99";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.F4ults-session.c2lnbmF0dXJl";
const SECRETS: [&str; 5] = [KEY, PASSWORD, CLIENT_SECRET, PRIVATE_TOKEN, JWT];
/// What the `huge` routes would send if nobody stopped reading: 256 MiB.
const HUGE: u64 = 256 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

// ---- The hostile server ------------------------------------------------------------------------

/// What the hostile server saw, for the assertions that look at the server side.
#[derive(Default)]
struct Seen {
    /// `METHOD /path` of every request, in order.
    requests: Mutex<Vec<String>>,
    /// Body bytes of a `huge` answer the client's socket accepted before the connection broke.
    huge_written: AtomicU64,
    /// The `huge` answer could not be written to the end: the client stopped reading.
    huge_broken: AtomicBool,
    /// The other origin a redirect points at was contacted, and what it received.
    other_origin_contacted: AtomicBool,
    other_origin_got: Mutex<String>,
}

/// A connector server that misbehaves on purpose. The first path segment names the fault, so a
/// fault is a server URL: `http://127.0.0.1:<port>/<fault>` (which also exercises path prefixes).
struct Hostile {
    addr: SocketAddr,
    seen: Arc<Seen>,
}

impl Hostile {
    /// Starts on its own thread and runtime, so both async tests and the binary's tests can use it.
    /// It lives until the test process ends.
    fn start() -> Self {
        let seen = Arc::new(Seen::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = seen.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the hostile server");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let other = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let other_addr = other.local_addr().unwrap();
                tx.send(addr).unwrap();
                tokio::spawn(other_origin(other, shared.clone()));
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve(socket, addr, other_addr, shared.clone()));
                }
            });
        });
        let addr = rx.recv().expect("the hostile server starts");
        Self { addr, seen }
    }

    fn url(&self, fault: &str) -> String {
        format!("http://{}/{fault}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.seen.requests.lock().unwrap().clone()
    }
}

struct Request {
    method: String,
    /// Path without the query.
    path: String,
    /// Path and query, as sent.
    target: String,
    body: Vec<u8>,
}

async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut words = head.split_whitespace();
    let method = words.next()?.to_owned();
    let target = words.next()?.to_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let path = target.split('?').next().unwrap_or("").to_owned();
    Some(Request {
        method,
        path,
        target,
        body,
    })
}

async fn respond(
    socket: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) {
    let body = body.as_ref();
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(body).await;
    let _ = socket.shutdown().await;
}

const JSON: (&str, &str) = ("Content-Type", "application/json; charset=utf-8");

fn login_ok() -> String {
    json!({"jwtToken": JWT, "name": "Hostile Harry", "returnMessage": {"message": "Signed in", "messageType": "success", "ttl": 1000}}).to_string()
}

/// The origin a cross-origin redirect points at. It answers like a connector that accepts any key,
/// so a client that followed the redirect would "sign in" there, with the key in hand.
async fn other_origin(listener: TcpListener, seen: Arc<Seen>) {
    while let Ok((mut socket, _)) = listener.accept().await {
        seen.other_origin_contacted.store(true, Ordering::SeqCst);
        if let Some(req) = read_request(&mut socket).await {
            *seen.other_origin_got.lock().unwrap() = format!(
                "{} {} {}",
                req.method,
                req.target,
                String::from_utf8_lossy(&req.body)
            );
        }
        respond(&mut socket, "200 OK", &[JSON], login_ok()).await;
    }
}

async fn serve(mut socket: TcpStream, me: SocketAddr, other: SocketAddr, seen: Arc<Seen>) {
    let Some(req) = read_request(&mut socket).await else {
        return;
    };
    seen.requests
        .lock()
        .unwrap()
        .push(format!("{} {}", req.method, req.path));
    let mut segments = req.path.trim_start_matches('/').splitn(2, '/');
    let fault = segments.next().unwrap_or("").to_owned();
    let route = segments.next().unwrap_or("").to_owned();
    let query = req
        .target
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    match fault.as_str() {
        // Answers long after the client's timeout.
        "slow" => {
            tokio::time::sleep(TIMEOUT * 5).await;
            respond(&mut socket, "200 OK", &[JSON], login_ok()).await;
        }
        // Headers at once, then one byte of body every 200 ms: never idle, never done.
        "drip" => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..100 {
                if socket.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        // Promises 1000 bytes, sends 100, then resets the connection.
        "reset" => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n";
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket
                .write_all(format!("{{\"jwtToken\":\"{}", "x".repeat(87)).as_bytes())
                .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = socket.set_zero_linger();
            drop(socket);
        }
        // 256 MiB, announced by Content-Length or streamed chunked; counts what the client took.
        "huge" | "huge-chunked" => {
            let chunked = fault == "huge-chunked";
            let framing = if chunked {
                "Transfer-Encoding: chunked".to_owned()
            } else {
                format!("Content-Length: {HUGE}")
            };
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n");
            if socket.write_all(head.as_bytes()).await.is_err() {
                seen.huge_broken.store(true, Ordering::SeqCst);
                return;
            }
            let block = vec![b' '; 64 * 1024];
            let mut sent = 0u64;
            while sent < HUGE {
                let wrote = if chunked {
                    let mut c = format!("{:x}\r\n", block.len()).into_bytes();
                    c.extend_from_slice(&block);
                    c.extend_from_slice(b"\r\n");
                    socket.write_all(&c).await
                } else {
                    socket.write_all(&block).await
                };
                if wrote.is_err() {
                    seen.huge_broken.store(true, Ordering::SeqCst);
                    return;
                }
                sent += block.len() as u64;
                seen.huge_written.store(sent, Ordering::SeqCst);
            }
            if chunked {
                let _ = socket.write_all(b"0\r\n\r\n").await;
            }
        }
        "malformed" => {
            respond(
                &mut socket,
                "200 OK",
                &[JSON],
                "{\"jwtToken\": 'abc', name: Ada,",
            )
            .await;
        }
        "deep" => {
            let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
            respond(&mut socket, "200 OK", &[JSON], body).await;
        }
        "utf8" => {
            let mut body = b"{\"jwtToken\":\"t\xff\xfe0\",\"name\":\"Ad\xe9le\"}".to_vec();
            body.push(b'\n');
            respond(&mut socket, "200 OK", &[JSON], body).await;
        }
        "ratelimit" => {
            respond(
                &mut socket,
                "429 Too Many Requests",
                &[JSON, ("Retry-After", "30")],
                r#"{"error":"Too many requests"}"#,
            )
            .await;
        }
        "gateway" => {
            let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n";
            respond(
                &mut socket,
                "502 Bad Gateway",
                &[("Content-Type", "text/html")],
                page,
            )
            .await;
        }
        // Signs in, then revokes the session on the next call, echoing the token back.
        "revoked" if route == "apiKeyLogin" => {
            respond(&mut socket, "200 OK", &[JSON], login_ok()).await;
        }
        "revoked" => {
            let body = json!({"successful": false, "returnMessage": {"message": "The CRM session was revoked; sign in again.", "messageType": "warning", "ttl": 5000}, "errorCode": "CRM_SESSION_REVOKED", "debug": {"session": JWT}});
            respond(
                &mut socket,
                "401 Unauthorized",
                &[JSON, ("X-Echo-Session", JWT)],
                body.to_string(),
            )
            .await;
        }
        // 302 to itself, forever.
        "loop" => {
            let location = format!("http://{me}/loop/{route}{query}");
            respond(
                &mut socket,
                "302 Found",
                &[("Location", &location)],
                "Found",
            )
            .await;
        }
        // 307 (method and body kept) to another origin: the key or token would go with it.
        "cross" => {
            let location = format!("http://{other}/{route}{query}");
            respond(
                &mut socket,
                "307 Temporary Redirect",
                &[("Location", &location)],
                "",
            )
            .await;
        }
        // Signs in, then redirects the token-carrying calls to another origin.
        "cross-session" if route == "apiKeyLogin" => {
            respond(&mut socket, "200 OK", &[JSON], login_ok()).await;
        }
        "cross-session" => {
            let location = format!("http://{other}/{route}{query}");
            respond(
                &mut socket,
                "307 Temporary Redirect",
                &[("Location", &location)],
                "",
            )
            .await;
        }
        // Refuses the login, quoting back every value it was sent, under innocent names, in the
        // message, in a header, and in plain sight.
        "echo" => {
            let sent: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let key = sent["apiKey"].as_str().unwrap_or("").to_owned();
            let values: Vec<Value> = sent["additionalInfo"]
                .as_object()
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default();
            let body = json!({"returnMessage": {"message": format!("The key {key} was not accepted"), "messageType": "error"}, "youSent": values, "hint": format!("check {key}")});
            respond(
                &mut socket,
                "400 Bad Request",
                &[JSON, ("X-Echo", &key)],
                body.to_string(),
            )
            .await;
        }
        _ => respond(&mut socket, "404 Not Found", &[], "no such fault").await,
    }
}

// ---- The core client ---------------------------------------------------------------------------

fn client(url: &str) -> AppConnectClient {
    AppConnectClient::new(url, "sandbox", Some(TIMEOUT)).expect("a loopback URL is valid")
}

/// `POST /apiKeyLogin` with the key and three login values whose names are not secret-sounding
/// to the key-name redaction (`apiPassword`, `clientSecret`, `privateToken`).
async fn core_login(url: &str) -> (Called<LoginResponse>, Duration) {
    let c = client(url);
    let fields: Vec<(String, Sensitive<String>)> = [
        ("apiKey", KEY),
        ("apiPassword", PASSWORD),
        ("clientSecret", CLIENT_SECRET),
        ("privateToken", PRIVATE_TOKEN),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Sensitive::from(v)))
    .collect();
    let started = Instant::now();
    let called = c
        .api_key_login(&Sensitive::from(KEY), "crm.example.com", &fields)
        .await;
    (called, started.elapsed())
}

fn shown(ex: &Exchange) -> String {
    format!("{ex:?}\n{}", ex.to_curl())
}

/// No secret in the words or the record, and the answer came within the bound.
fn clean(fault: &str, ex: &Exchange, e: &ClientError, took: Duration) {
    let words = e.to_string();
    for s in SECRETS {
        assert!(
            !words.contains(s),
            "{fault}: a secret is in the error message: {words}"
        );
        assert!(
            !shown(ex).contains(s),
            "{fault}: a secret is in the recorded exchange: {}",
            shown(ex)
        );
    }
    assert!(
        took < TIMEOUT + MARGIN,
        "{fault}: the answer took {took:?}, past the {TIMEOUT:?} timeout and {MARGIN:?} margin"
    );
}

// ---- The binary --------------------------------------------------------------------------------

fn require_secret_service() {
    assert!(
        std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok(),
        "these tests need a Secret Service: run them through `make test` or scripts/with-keyring.sh"
    );
}

/// The bundled manifest with a 2 s `requestConfig.timeout` and the extra login fields.
fn manifest(dir: &Path) -> PathBuf {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../manifests/sandbox.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(bundled).unwrap()).unwrap();
    let platform = &mut m["platforms"]["sandbox"];
    platform["requestConfig"] = json!({"timeout": TIMEOUT.as_secs()});
    let page = platform["auth"]["apiKey"]["page"]["content"]
        .as_array_mut()
        .expect("the sandbox login page");
    for name in ["apiPassword", "clientSecret", "privateToken"] {
        page.push(json!({"const": name, "title": name, "type": "string", "required": false}));
    }
    let path = dir.join("hostile-manifest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    path
}

/// One keychain service and manifest per test; the service is emptied when dropped.
struct Cli {
    service: String,
    home: tempfile::TempDir,
    manifest: PathBuf,
}

struct Run {
    ok: bool,
    out: String,
    err: String,
    took: Duration,
    /// Peak resident memory (VmHWM) of the process, sampled every few milliseconds while it ran.
    peak_kib: u64,
}

impl Cli {
    fn new(test: &str) -> Self {
        require_secret_service();
        let home = tempfile::tempdir().unwrap();
        let manifest = manifest(home.path());
        Self {
            service: format!("switchboard-faults-{test}-{}", std::process::id()),
            home,
            manifest,
        }
    }

    fn command(&self, server: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--manifest").arg(&self.manifest);
        if let Some(s) = server {
            c.args(["--server", s]);
        }
        c.args(args)
            .env("SWITCHBOARD_KEYCHAIN_SERVICE", &self.service)
            .env("HOME", self.home.path())
            .env_remove("SWITCHBOARD_API_KEY")
            .env_remove("SWITCHBOARD_SERVER")
            .env_remove("SWITCHBOARD_MANIFEST");
        c
    }

    fn run(&self, server: &str, args: &[&str]) -> Run {
        let started = Instant::now();
        let mut child = self
            .command(Some(server), args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let status = format!("/proc/{}/status", child.id());
        let mut peak_kib = 0;
        while child
            .try_wait()
            .expect("the child can be waited on")
            .is_none()
        {
            if let Some(kib) = vm_hwm_kib(&status) {
                peak_kib = peak_kib.max(kib);
            }
            std::thread::sleep(Duration::from_millis(3));
        }
        let took = started.elapsed();
        let o: Output = child.wait_with_output().unwrap();
        Run {
            ok: o.status.success(),
            out: String::from_utf8_lossy(&o.stdout).into_owned(),
            err: String::from_utf8_lossy(&o.stderr).into_owned(),
            took,
            peak_kib,
        }
    }

    /// `login` with the key and the three extra login values.
    fn login(&self, server: &str) -> Run {
        self.run(
            server,
            &[
                "login",
                "--api-key",
                KEY,
                "--field",
                &format!("apiPassword={PASSWORD}"),
                "--field",
                &format!("clientSecret={CLIENT_SECRET}"),
                "--field",
                &format!("privateToken={PRIVATE_TOKEN}"),
            ],
        )
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = self.command(None, &["forget-all"]).output();
    }
}

fn vm_hwm_kib(status_file: &str) -> Option<u64> {
    let status = std::fs::read_to_string(status_file).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Run {
    /// Failed, said `expected` on stderr, leaked nothing, and ended within the bound.
    fn failed_saying(&self, fault: &str, expected: &[&str]) -> &Self {
        assert!(
            !self.ok,
            "{fault}: the command should fail; it printed {}",
            self.out
        );
        for e in expected {
            assert!(
                self.err.contains(e),
                "{fault}: stderr should say {e:?}: {}",
                self.err
            );
        }
        for s in SECRETS {
            assert!(
                !self.out.contains(s) && !self.err.contains(s),
                "{fault}: a secret reached the terminal: {}{}",
                self.out,
                self.err
            );
        }
        assert!(
            self.took < TIMEOUT + MARGIN,
            "{fault}: the command took {:?}, past the {TIMEOUT:?} timeout and {MARGIN:?} margin",
            self.took
        );
        self
    }

    fn message(&self) -> &str {
        self.err.trim().trim_start_matches("error: ")
    }
}

/// A line for docs/RELIABILITY.md.
fn figure(fault: &str, core: Duration, cli: &Run) {
    println!(
        "FIGURE | {fault} | core {} ms | cli {} ms | cli peak RSS {:.1} MiB | {}",
        core.as_millis(),
        cli.took.as_millis(),
        cli.peak_kib as f64 / 1024.0,
        cli.message()
    );
}

// ---- One test per fault ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn slow_answers_time_out() {
    let h = Hostile::start();
    let (called, took) = core_login(&h.url("slow")).await;
    let e = called.result.as_ref().unwrap_err();
    assert!(matches!(e, ClientError::Timeout { secs: 2, .. }), "{e:?}");
    assert!(
        e.to_string().contains("did not answer in full within 2 s"),
        "{e}"
    );
    assert_eq!(called.exchange.status, None, "no answer arrived");
    clean("slow", &called.exchange, e, took);

    let cli = Cli::new("slow");
    let run = cli.login(&h.url("slow"));
    run.failed_saying("slow", &["did not answer in full within 2 s"]);
    figure("slow", took, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_dripping_answer_times_out_as_a_whole() {
    let h = Hostile::start();
    let (called, took) = core_login(&h.url("drip")).await;
    let e = called.result.as_ref().unwrap_err();
    assert!(matches!(e, ClientError::Timeout { .. }), "{e:?}");
    assert_eq!(called.exchange.status, Some(200), "the headers did arrive");
    assert!(
        took >= TIMEOUT - Duration::from_millis(100),
        "bytes keep arriving, yet the timeout covers the whole answer: {took:?}"
    );
    clean("drip", &called.exchange, e, took);

    let cli = Cli::new("drip");
    let run = cli.login(&h.url("drip"));
    run.failed_saying("drip", &["did not answer in full within 2 s"]);
    figure("drip", took, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_reset_mid_answer_says_the_connection_broke() {
    let h = Hostile::start();
    let (called, took) = core_login(&h.url("reset")).await;
    let e = called.result.as_ref().unwrap_err();
    assert!(
        matches!(e, ClientError::Interrupted { received: 100, .. }),
        "100 of the 1000 promised bytes arrived before the reset: {e:?}"
    );
    assert!(
        e.to_string()
            .contains("broke after 100 bytes of the answer had arrived"),
        "{e}"
    );
    assert!(
        called
            .exchange
            .response_body
            .as_deref()
            .is_some_and(|b| b.contains("incomplete")),
        "the record keeps what arrived, marked incomplete: {:?}",
        called.exchange.response_body
    );
    clean("reset", &called.exchange, e, took);

    let cli = Cli::new("reset");
    let run = cli.login(&h.url("reset"));
    run.failed_saying("reset", &["connection to the connector server", "broke"]);
    figure("reset", took, &run);
}

/// Waits for the hostile server to notice the client stopped reading a `huge` answer.
async fn huge_stopped(h: &Hostile) -> u64 {
    let waited = Instant::now();
    while !h.seen.huge_broken.load(Ordering::SeqCst) && waited.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        h.seen.huge_broken.load(Ordering::SeqCst),
        "the client closed the connection instead of reading on; the server wrote {} bytes",
        h.seen.huge_written.load(Ordering::SeqCst)
    );
    h.seen.huge_written.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_huge_answer_stops_at_the_cap() {
    for (fault, announced) in [("huge", true), ("huge-chunked", false)] {
        let h = Hostile::start();
        let (called, took) = core_login(&h.url(fault)).await;
        let e = called.result.as_ref().unwrap_err();
        let ClientError::TooLarge {
            limit,
            received,
            declared,
        } = e
        else {
            panic!("{fault}: {e:?}")
        };
        assert_eq!(*limit, switchboard_core::client::DEFAULT_MAX_BODY);
        let words = e.to_string();
        assert!(
            words.starts_with("The answer was larger than 5 MiB"),
            "{words}"
        );
        if announced {
            assert_eq!(*declared, Some(HUGE));
            assert_eq!(*received, 0, "Content-Length said enough: nothing read");
            assert!(words.contains("the server announced 256 MiB"), "{words}");
        } else {
            assert!(
                *received > 5 * MIB && *received < 6 * MIB,
                "reading stops at the cap plus one chunk: {received}"
            );
            assert!(words.contains("had arrived"), "{words}");
        }
        let written = huge_stopped(&h).await;
        assert!(
            written < 64 * MIB,
            "{fault}: the client stopped reading long before the 256 MiB were sent, yet the server wrote {written} bytes"
        );
        clean(fault, &called.exchange, e, took);
        println!(
            "FIGURE | {fault} core | server wrote {:.1} MiB of 256 MiB before the connection broke",
            written as f64 / MIB as f64
        );

        let h = Hostile::start();
        let cli = Cli::new(fault);
        let run = cli.login(&h.url(fault));
        run.failed_saying(fault, &["The answer was larger than 5 MiB"]);
        let written = huge_stopped(&h).await;
        assert!(written < 64 * MIB, "{fault} (binary): {written} bytes");
        assert!(
            run.peak_kib < 100 * 1024,
            "{fault}: the binary's memory stays bounded (peak {} KiB for a 256 MiB answer)",
            run.peak_kib
        );
        figure(fault, took, &run);
        println!(
            "FIGURE | {fault} cli | server wrote {:.1} MiB of 256 MiB before the connection broke",
            written as f64 / MIB as f64
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn malformed_deep_and_not_utf8_bodies_are_bad_responses() {
    let h = Hostile::start();
    for (fault, says) in [
        ("malformed", "not JSON"),
        ("deep", "nested deeper than Switchboard reads"),
        ("utf8", "not UTF-8"),
    ] {
        let (called, took) = core_login(&h.url(fault)).await;
        let e = called.result.as_ref().unwrap_err();
        assert!(
            matches!(e, ClientError::BadResponse { .. }),
            "{fault}: {e:?}"
        );
        assert!(e.to_string().contains(says), "{fault}: {e}");
        assert!(
            called.exchange.response_body.is_some(),
            "{fault}: the raw body is kept for the inspector"
        );
        clean(fault, &called.exchange, e, took);

        let cli = Cli::new(fault);
        let run = cli.login(&h.url(fault));
        run.failed_saying(fault, &["could not be read", says]);
        figure(fault, took, &run);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn rate_limits_and_gateway_pages_say_who_answered() {
    let h = Hostile::start();
    let (called, took) = core_login(&h.url("ratelimit")).await;
    let e = called.result.as_ref().unwrap_err();
    assert_eq!(
        e.to_string(),
        "The connector server is rate-limiting (HTTP 429); retry after 30 s."
    );
    clean("ratelimit", &called.exchange, e, took);
    let cli = Cli::new("ratelimit");
    let run = cli.login(&h.url("ratelimit"));
    run.failed_saying("ratelimit", &["rate-limiting (HTTP 429); retry after 30 s"]);
    figure("ratelimit", took, &run);

    let (called, took) = core_login(&h.url("gateway")).await;
    let e = called.result.as_ref().unwrap_err();
    assert!(
        matches!(e, ClientError::Gateway { status: 502, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().starts_with(
            "A gateway in front of the connector answered HTTP 502 with an HTML page (502 Bad Gateway)"
        ),
        "{e}"
    );
    clean("gateway", &called.exchange, e, took);
    let cli = Cli::new("gateway");
    let run = cli.login(&h.url("gateway"));
    run.failed_saying(
        "gateway",
        &[
            "A gateway in front of the connector answered HTTP 502",
            "connector process is up",
        ],
    );
    figure("gateway", took, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_revoked_session_asks_to_sign_in_again_without_showing_the_token() {
    let h = Hostile::start();
    let c = client(&h.url("revoked"));
    c.set_jwt(Some(Sensitive::from(JWT)));
    let started = Instant::now();
    let called = c.find_contact("+14155550100", "", false).await;
    let took = started.elapsed();
    let e = called.result.as_ref().unwrap_err();
    assert!(matches!(e, ClientError::Unauthorized { .. }), "{e:?}");
    assert!(
        e.to_string().contains("session was revoked") && e.to_string().contains("Sign in again"),
        "{e}"
    );
    assert_eq!(called.exchange.status, Some(401));
    clean("revoked", &called.exchange, e, took);

    let cli = Cli::new("revoked");
    let login = cli.login(&h.url("revoked"));
    assert!(
        login.ok,
        "the hostile server accepts the login: {}",
        login.err
    );
    assert!(!login.out.contains(JWT) && !login.err.contains(JWT));
    let run = cli.run(&h.url("revoked"), &["find", "+14155550100"]);
    run.failed_saying("revoked", &["refused the session", "Sign in again"]);
    figure("revoked", took, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_redirect_loop_is_one_request_and_an_answer() {
    let h = Hostile::start();
    let (called, took) = core_login(&h.url("loop")).await;
    let e = called.result.as_ref().unwrap_err();
    let target = format!("http://{}/loop/apiKeyLogin", h.addr);
    assert_eq!(
        e,
        &ClientError::Redirected {
            status: 302,
            location: Some(target.clone())
        }
    );
    assert!(
        e.to_string().starts_with(&format!(
            "The connector server answered HTTP 302, redirecting to {target}. Switchboard does not follow redirects"
        )),
        "{e}"
    );
    assert!(!e.to_string().contains("too many redirects"));
    assert_eq!(called.exchange.status, Some(302));
    assert!(
        called
            .exchange
            .response_headers
            .contains(&("location".to_owned(), target.clone())),
        "the record shows where the redirect pointed: {:?}",
        called.exchange.response_headers
    );
    assert_eq!(
        h.requests(),
        ["POST /loop/apiKeyLogin"],
        "no redirect was followed"
    );
    clean("loop", &called.exchange, e, took);

    let cli = Cli::new("loop");
    let run = cli.login(&h.url("loop"));
    run.failed_saying(
        "loop",
        &[
            "answered HTTP 302, redirecting to",
            "does not follow redirects",
        ],
    );
    assert_eq!(
        h.requests().len(),
        2,
        "one request per attempt: {:?}",
        h.requests()
    );
    figure("loop", took, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_cross_origin_redirect_never_carries_the_key_or_token_away() {
    let h = Hostile::start();
    let (called, took) = core_login(&h.url("cross")).await;
    let e = called.result.as_ref().unwrap_err();
    assert!(
        matches!(e, ClientError::Redirected { status: 307, .. }),
        "a 307 sign-in is refused, not followed: {e:?}"
    );
    assert!(e.to_string().contains("/apiKeyLogin"), "{e}");
    clean("cross", &called.exchange, e, took);

    // The session token travels in the query: a redirect keeps it there, so it must not be followed.
    let c = client(&h.url("cross-session"));
    c.set_jwt(Some(Sensitive::from(JWT)));
    let called = c.find_contact("+14155550100", "", false).await;
    let e = called.result.as_ref().unwrap_err();
    let Some(location) = (match e {
        ClientError::Redirected { location, .. } => location.clone(),
        other => panic!("{other:?}"),
    }) else {
        panic!("the Location is named")
    };
    assert!(
        location.contains("jwtToken=<redacted>") && location.contains("phoneNumber=%2B14155550100"),
        "the Location is shown with the token redacted: {location}"
    );
    assert!(
        called
            .exchange
            .response_headers
            .iter()
            .any(|(k, v)| k == "location" && v == &location),
        "{:?}",
        called.exchange.response_headers
    );
    clean("cross-session", &called.exchange, e, took);

    let cli = Cli::new("cross");
    let run = cli.login(&h.url("cross"));
    run.failed_saying(
        "cross",
        &[
            "answered HTTP 307, redirecting to",
            "does not follow redirects",
        ],
    );
    figure("cross", took, &run);
    let login = cli.login(&h.url("cross-session"));
    assert!(login.ok, "{}", login.err);
    let run = cli.run(&h.url("cross-session"), &["find", "+14155550100"]);
    run.failed_saying(
        "cross-session",
        &["answered HTTP 307", "jwtToken=<redacted>"],
    );
    figure("cross-session", took, &run);

    assert!(
        !h.seen.other_origin_contacted.load(Ordering::SeqCst),
        "the other origin was contacted: {}",
        h.seen.other_origin_got.lock().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_server_that_echoes_the_key_does_not_get_it_shown() {
    let h = Hostile::start();
    let (called, took) = core_login(&h.url("echo")).await;
    let e = called.result.as_ref().unwrap_err();
    assert_eq!(
        e.to_string(),
        "The connector server said no: The key <redacted> was not accepted"
    );
    let rm = e.return_message().expect("the connector's message is kept");
    assert_eq!(
        rm.message.as_deref(),
        Some("The key <redacted> was not accepted")
    );
    let body = called.exchange.response_body.clone().unwrap();
    let v: Value = serde_json::from_str(&body).expect("the recorded body is still JSON");
    assert_eq!(
        v["youSent"],
        json!(["<redacted>", "<redacted>", "<redacted>", "<redacted>"]),
        "login values are masked because they are login values, whatever their names"
    );
    assert!(
        called
            .exchange
            .response_headers
            .contains(&("x-echo".to_owned(), "<redacted>".to_owned())),
        "{:?}",
        called.exchange.response_headers
    );
    let sent = called.exchange.request_body.clone().unwrap();
    for name in ["apiPassword", "clientSecret", "privateToken"] {
        assert!(
            sent.contains(&format!("\"{name}\": \"<redacted>\"")),
            "{name} is masked in the request record: {sent}"
        );
    }
    clean("echo", &called.exchange, e, took);

    let cli = Cli::new("echo");
    let run = cli.login(&h.url("echo"));
    run.failed_saying("echo", &["The key <redacted> was not accepted"]);
    figure("echo", took, &run);
}
