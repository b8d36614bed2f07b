//! `switchboard`: the workbench on the command line. Each subcommand is a thin adapter over
//! switchboard-core; session tokens live in the OS keychain, never in a file.

/// `println!` that ends the process quietly when the reader has gone (`switchboard … | head`),
/// instead of panicking on the broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(&e);
        }
    }};
}

mod flow_cmd;
mod login_cmd;
mod print;
mod test_cmd;

/// Stdout could not be written: a closed pipe is a normal end, anything else is reported.
pub(crate) fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: could not write the output: {e}");
    std::process::exit(1);
}

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Map};
use switchboard_core::keychain::{Keychain, SecretStore};
use switchboard_core::manifest::ManifestSource;
use switchboard_core::phone;
use switchboard_core::profile::{Profile, Profiles};
use switchboard_core::wire::{ContactInfo, Direction};
use switchboard_core::workbench::view::{CallInput, PhoneInput, CLIENT_BEHAVIOUR};
use switchboard_core::workbench::{SystemClock, Workbench};
use switchboard_core::{ErrorCode, UserError};
use switchboard_sandbox::{
    Faults, Latency, Quirks, RateLimit, Sandbox, SandboxConfig, DEFAULT_API_KEY,
};

/// The engine as the CLI runs it: the OS keychain, the system clock, a one-off profile.
type Bench = Workbench<Keychain, SystemClock>;

/// Opens the workbench on a profile made from the flags (never saved): the manifest, platform and
/// server given, with the session stored for exactly that server and platform.
async fn open(common: &Common) -> Result<Bench, UserError> {
    let profiles = Profiles::in_memory(Profile {
        name: "command line".to_owned(),
        server_url: common.server.clone(),
        platform: common.platform.clone(),
        max_body_mib: common.max_body_mib,
        ..Profile::default()
    })?;
    let keychain = Keychain::from_env();
    let service = keychain.service().to_owned();
    let wb = Bench::new(profiles, keychain, SystemClock, None, &service);
    let view = wb.open_manifest(&common.manifest).await?;
    // Problems that do not stop the manifest from being used (a timeout that cannot be meant).
    for warning in &view.manifest_warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(wanted) = &common.platform {
        if &view.platform.name != wanted {
            wb.select_platform(wanted).await?;
        }
    }
    Ok(wb)
}

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "A workbench for App Connect CRM connectors: manifests, phone formats, findContact and the placeholder-contact flow.",
    after_help = format!("Reproduces {CLIENT_BEHAVIOUR}; docs/COMPATIBILITY.md lists each rule.")
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct Common {
    /// Manifest file, http(s) URL, or `bundled:sandbox` (the default).
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_MANIFEST",
        default_value = "bundled:sandbox"
    )]
    manifest: String,
    /// Platform inside the manifest (default: the first one).
    #[arg(long, global = true)]
    platform: Option<String>,
    /// Connector server URL, overriding the manifest's serverUrl (e.g. http://localhost:6066).
    #[arg(long, global = true, env = "SWITCHBOARD_SERVER")]
    server: Option<String>,
    /// Print machine-readable JSON: the server's answer as it sent it (unknown keys kept), plus
    /// the contract lints.
    #[arg(long, global = true)]
    json: bool,
    /// The largest connector answer to read, in MiB (1 to 1024); a larger one is refused.
    #[arg(long, global = true, env = "SWITCHBOARD_MAX_BODY_MIB", default_value_t = switchboard_core::profile::DEFAULT_MAX_BODY_MIB)]
    max_body_mib: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Run the sandbox connector server (a fake CRM that speaks App Connect).
    Sandbox {
        #[arg(long, default_value_t = 6066)]
        port: u16,
        /// The API key to accept.
        #[arg(long, default_value = DEFAULT_API_KEY)]
        api_key: String,
        /// Behave like a broken connector, to see the lints fire (repeatable).
        #[arg(long = "quirk", value_parser = Quirks::NAMES)]
        quirks: Vec<String>,
        #[command(flatten)]
        faults: FaultArgs,
    },
    /// Describe a manifest: platforms, auth type, contact types. `manifest check` lints it.
    #[command(args_conflicts_with_subcommands = true)]
    Manifest {
        #[command(subcommand)]
        action: Option<ManifestAction>,
        /// Manifest file, URL, or bundled:sandbox (default: --manifest).
        source: Option<String>,
    },
    /// Normalize a phone number to E.164 and expand overriding formats.
    Formats(PhoneArgs),
    /// Sign in: with --api-key, or for an OAuth manifest through the browser (loopback redirect on
    /// --port, or --paste); the session token goes to the OS keychain, shared with the app.
    Login(login_cmd::LoginArgs),
    /// Sign out: POST /unAuthorize, then forget the stored session.
    Logout,
    /// Forget everything: delete every secret Switchboard stored in the OS keychain (the CLI's
    /// sessions and every desktop profile's), with no request to any server.
    ForgetAll,
    /// findContact: look a phone number up on the connector.
    Find(PhoneArgs),
    /// findContact for every number of a file: per-number status, matches, message and time,
    /// then p50/p95/max and errors by kind. Mirror mode (the default) answers a repeated number
    /// that matched from the client's contact cache, without a request (see below). Exits 1 when
    /// more numbers fail than --max-errors allows (default: any failure), when p95 is above
    /// --max-p95, or when the session is refused; 0 otherwise. Progress shows on a terminal; --json prints one JSON object per number, then
    /// {"summary": ...}.
    Batch(BatchArgs),
    /// Run scenario files (docs/SCENARIOS.md): every step's expectations against the connector,
    /// with progress on a terminal and a summary; exits 0 only when every expectation holds.
    Test(test_cmd::TestArgs),
    /// The manual placeholder flow as App Connect runs it: look the number up, then the log form's
    /// one Save (POST /contact, then POST /callLog for the new contact), then verify (SPEC §8).
    /// Exits 1 when a step fails or the verification does not hold.
    Flow(flow_cmd::FlowArgs),
    /// Verify a logged call (SPEC §8): a new lookup returns the contact, and GET /callLog reports
    /// the session as logged.
    Verify(flow_cmd::VerifyArgs),
    /// createContact: create a placeholder contact for a number.
    Create {
        #[command(flatten)]
        phone: PhoneArgs,
        /// Name of the new contact.
        #[arg(long)]
        name: String,
        /// Contact type: a `value` of the manifest's contactTypes. Without it, newContactType is
        /// sent as "", as the client sends it when nobody picks a type.
        #[arg(long = "type")]
        contact_type: Option<String>,
    },
    /// createCallLog: log a simulated call against a contact the lookup returns, as the client
    /// does (the number is looked up first; the contact's name, type and id come from that answer).
    Log {
        #[command(flatten)]
        phone: PhoneArgs,
        /// The contact id to log against: one the lookup returns.
        #[arg(long)]
        contact: String,
        /// Send this contactName instead of the looked-up contact's name.
        #[arg(long)]
        contact_name: Option<String>,
        /// Send this contactType instead of the looked-up contact's type (a `value` of the
        /// manifest's contactTypes).
        #[arg(long = "type")]
        contact_type: Option<String>,
        /// Call session id (default: a new one).
        #[arg(long)]
        session: Option<String>,
        #[arg(long, value_parser = ["inbound", "outbound"], default_value = "inbound")]
        direction: String,
        /// Call duration in seconds.
        #[arg(long, default_value_t = 60)]
        duration: u64,
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// The sandbox as a test target. These apply to the data routes (GET/POST /contact and /callLog);
/// sign-in, sign-out, /isAlive and /implementedInterfaces always answer normally.
#[derive(Args, Clone, Default)]
pub struct FaultArgs {
    /// Wait before each answer: MS (e.g. 100) or MIN..MAX (uniformly random, e.g. 50..200).
    #[arg(long, value_name = "MS|MIN..MAX")]
    latency: Option<Latency>,
    /// This share of requests (0 to 1, spread evenly) answers HTTP 500 {error}, as a crashing
    /// route does.
    #[arg(long, value_name = "P", value_parser = switchboard_sandbox::faults::parse_error_rate)]
    error_rate: Option<f64>,
    /// Answer at most N requests per second; the rest get HTTP 429 with Retry-After: 1.
    #[arg(long, value_name = "N/s")]
    rate_limit: Option<RateLimit>,
}

impl FaultArgs {
    fn faults(&self) -> Faults {
        Faults {
            latency: self.latency,
            error_rate: self.error_rate.unwrap_or(0.0),
            rate_limit: self.rate_limit,
        }
    }
}

#[derive(Args, Clone)]
#[command(after_help = BATCH_AFTER_HELP)]
pub struct BatchArgs {
    /// Numbers, one per line (`#` comments and blank lines skipped; in a CSV, the first field),
    /// or `-` for standard input. A line that is not a number ("invalid input") or has a digit
    /// count no number of its country has ("invalid number") is reported as a failure and never
    /// sent.
    file: String,
    /// Stress mode: N lookups in flight at once, every number sent (no contact cache).
    #[arg(long, value_name = "N", conflicts_with = "mirror",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: Option<u16>,
    /// One lookup at a time with the client's parameters and its contact cache, as the real
    /// client does (the default).
    #[arg(long)]
    mirror: bool,
    /// An overriding format sent with every lookup, such as "(***) ***-****" (up to three).
    #[arg(long = "format", short = 'f')]
    formats: Vec<String>,
    /// Default region for numbers written without a country code (default: the app's, US; ""
    /// for none).
    #[arg(long, env = "SWITCHBOARD_REGION")]
    region: Option<String>,
    /// Fail (exit 1) when the 95th-percentile lookup time is above MS milliseconds.
    #[arg(long, value_name = "MS")]
    max_p95: Option<u64>,
    /// Fail (exit 1) when more than N numbers fail, invalid lines included (default 0: any
    /// failure fails the run).
    #[arg(long, value_name = "N", default_value_t = 0)]
    max_errors: usize,
}

/// How mirror mode differs from stress mode (App Connect extension 1.6.6's contact cache).
const BATCH_AFTER_HELP: &str = "\
Mirror mode (the default) reproduces App Connect extension 1.6.6's contact cache: before GET
/contact the client looks in the contacts it holds for the number, and when it holds at least one
it answers from there and sends nothing. It holds the rows of a successful lookup that are not the
create row (isNewContact). So a number that matched a real contact earlier in the batch is
reported as \"cached\": no request, 0 ms, the matches it served; it counts as ok and in the
summary's \"cached\" line, and is left out of p50/p95/max and --max-p95. A number that found
nothing (or only the create row), or failed, is sent every time. Each batch starts with an empty
cache. --concurrency N sends every number; --concurrency 1 is the client's requests one at a time
without its cache (what a forced refresh sends), so there is no --no-cache.";

#[derive(Subcommand)]
enum ManifestAction {
    /// Check a manifest for mistakes; exits non-zero when there are errors (for your CI).
    Check {
        /// Manifest file, URL, or bundled:sandbox (default: --manifest).
        source: Option<String>,
    },
}

#[derive(Args, Clone)]
pub struct PhoneArgs {
    /// A phone number as typed: +1 415-555-0100, (415) 555-0100 with --region, tel:+14155550100.
    /// One that is neither valid, nor of a possible length, nor a short extension is refused before anything is sent
    /// (`formats` shows why).
    phone: String,
    /// An overriding format such as "(***) ***-****" (up to three).
    #[arg(long = "format", short = 'f')]
    formats: Vec<String>,
    /// Default region for numbers typed without a country code (default: the app's, US; "" for
    /// none).
    #[arg(long, env = "SWITCHBOARD_REGION")]
    region: Option<String>,
}

/// The default region as the app applies it: the one given, else a new profile's (core's
/// `Profile::default()`, the region the app starts with); blank means none.
fn region(given: Option<&str>) -> Option<String> {
    match given {
        Some(r) => Some(r.trim().to_owned()).filter(|r| !r.is_empty()),
        None => Some(Profile::default().region).filter(|r| !r.is_empty()),
    }
}

impl PhoneArgs {
    fn parse(&self) -> Result<phone::ParsedNumber, UserError> {
        phone::clean_formats(&self.formats)?;
        Ok(phone::parse_input(
            &self.phone,
            region(self.region.as_deref()).as_deref(),
        )?)
    }

    /// [`Self::parse`] for a command that sends the number: one that is neither valid nor a short
    /// extension is refused before anything is opened or sent (the engine refuses it too).
    fn sendable(&self) -> Result<phone::ParsedNumber, UserError> {
        let number = self.parse()?;
        number.sendable()?;
        Ok(number)
    }

    fn input(&self) -> PhoneInput {
        PhoneInput {
            input: self.phone.clone(),
            region: region(self.region.as_deref()),
            formats: self.formats.clone(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // A batch drives its lookups from one thread (docs/PERFORMANCE.md, "Batch lookups"): its
    // tasks only wait on sockets, and on a multi-thread runtime every answer crossed threads (a
    // futex wake per hop). Every other command keeps the multi-thread runtime (the sandbox serves
    // from it).
    let runtime = if matches!(cli.command, Command::Batch(_)) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Runtime::new()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let common = cli.common.clone();
    let logging_out = matches!(cli.command, Command::Logout);
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let e = if logging_out {
                e
            } else {
                runtime.block_on(login_cmd::explain_not_signed_in(&common, e))
            };
            // An empty message: the command printed its own account already.
            if !e.message.is_empty() {
                if common.json {
                    // Scripts read JSON on stdout, errors included: one line, so it also ends
                    // a line-per-record stream (batch) cleanly.
                    out!(
                        "{}",
                        json!({"error": {"code": e.code, "message": e.message}})
                    );
                }
                eprintln!("error: {}", e.message);
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), UserError> {
    let common = cli.common;
    match cli.command {
        Command::Sandbox {
            port,
            api_key,
            quirks,
            faults,
        } => sandbox(port, api_key, &quirks, faults.faults()).await,
        Command::Batch(args) => batch(&common, args).await,
        Command::Test(args) => test_cmd::run(args, common.json).await,
        Command::Flow(args) => flow_cmd::flow(&common, args).await,
        Command::Verify(args) => flow_cmd::verify(&common, args).await,
        Command::Manifest {
            action: Some(ManifestAction::Check { source }),
            ..
        } => {
            let source = source.unwrap_or_else(|| common.manifest.clone());
            let text =
                switchboard_core::manifest::read_text(&ManifestSource::parse(&source)).await?;
            let findings = switchboard_core::check::check(&text);
            print::findings(&source, &findings, common.json);
            if switchboard_core::check::has_errors(&findings) {
                use switchboard_core::check::{omitted, Severity, MORE_FINDINGS_RULE};
                // The summary finding stands for the findings past the cap; count those instead.
                let errors = findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error && f.rule != MORE_FINDINGS_RULE)
                    .count()
                    + omitted(&findings).map_or(0, |o| o.errors);
                // With --json the findings printed above are the whole answer.
                return Err(UserError::new(
                    ErrorCode::ManifestInvalid,
                    if common.json {
                        String::new()
                    } else {
                        format!(
                            "{source}: {errors} error{} found.",
                            if errors == 1 { "" } else { "s" }
                        )
                    },
                ));
            }
            Ok(())
        }
        Command::Manifest { source, .. } => {
            let source = source.unwrap_or_else(|| common.manifest.clone());
            let loaded = switchboard_core::manifest::load(&ManifestSource::parse(&source)).await?;
            print::manifest(&loaded, common.json);
            Ok(())
        }
        Command::Formats(args) => {
            let number = args.parse()?;
            let expansions = phone::expand(&number, &args.formats);
            print::formats(&number, &expansions, common.json);
            Ok(())
        }
        Command::Login(args) => login_cmd::login(&common, args).await,
        Command::ForgetAll => {
            let deleted = Keychain::from_env().forget_all()?;
            out!(
                "Forgot {deleted} stored secret{} from the keychain.",
                if deleted == 1 { "" } else { "s" }
            );
            Ok(())
        }
        Command::Logout => {
            let wb = open(&common).await?;
            let view = wb.view().await;
            if !view.session.signed_in {
                return Err(UserError::new(
                    ErrorCode::NotSignedIn,
                    format!(
                        "Not signed in to {}; nothing to sign out of.",
                        view.session.server
                    ),
                ));
            }
            wb.sign_out().await?;
            let history = wb.history().await;
            match history.last().and_then(|r| r.exchange.status) {
                Some(200..=299) => out!("Signed out; the stored session was deleted."),
                _ => out!("The server did not confirm the sign-out; the stored session was deleted anyway."),
            }
            Ok(())
        }
        Command::Find(args) => {
            args.sendable()?;
            let wb = open(&common).await?;
            let view = wb.find_contact(&args.input()).await?;
            if let Some(e) = view.error {
                return Err(e);
            }
            let resp = view.response.unwrap_or_default();
            print::found(
                &view.phone.number,
                &view.phone.expansions,
                &resp,
                view.exchange.response_body.as_deref(),
                &view.lints,
                common.json,
            );
            Ok(())
        }
        Command::Create {
            phone: args,
            name,
            contact_type,
        } => {
            args.sendable()?;
            let wb = open(&common).await?;
            let created = wb
                .create_contact(&args.input(), &name, contact_type, Map::new())
                .await?;
            print::created(
                &created.response,
                created.exchange.response_body.as_deref(),
                &created.lints,
                common.json,
            );
            Ok(())
        }
        Command::Log {
            phone: args,
            contact,
            contact_name,
            contact_type,
            session,
            direction,
            duration,
            note,
        } => {
            args.sendable()?;
            let wb = open(&common).await?;
            let direction = if direction == "outbound" {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let target = ContactInfo {
                name: contact_name,
                id: contact,
                kind: contact_type,
                ..ContactInfo::default()
            };
            let call = CallInput {
                direction,
                caller_name: None,
                duration_s: duration,
                note,
                subject: None,
                started_minutes_ago: 0,
                additional_submission: Map::new(),
                session_id: Some(
                    session.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
                ),
            };
            let logged = wb.log_call(&args.input(), target, call).await?;
            print::logged(
                &logged.session_id,
                &logged.call.response,
                logged.call.exchange.response_body.as_deref(),
                &logged.call.lints,
                common.json,
            );
            Ok(())
        }
    }
}

async fn sandbox(
    port: u16,
    api_key: String,
    quirk_names: &[String],
    faults: Faults,
) -> Result<(), UserError> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut quirks = Quirks::default();
    for q in quirk_names {
        quirks.enable(q);
    }
    let sb = Sandbox::start(
        addr,
        SandboxConfig {
            api_key,
            quirks,
            faults,
            ..SandboxConfig::default()
        },
    )
    .await
    .map_err(|e| {
        UserError::new(
            ErrorCode::ServerUnreachable,
            format!("Could not listen on {addr}: {e}. Pick another port with --port."),
        )
    })?;
    // One line (scripts and tests read the URL from it, then may close the pipe).
    let injected = if faults.is_off() {
        String::new()
    } else {
        format!("; injected faults: {}", faults.describe())
    };
    out!(
        "Sandbox connector listening on {} (platform \"sandbox\"{injected}). Press Ctrl-C to stop.",
        sb.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    sb.stop().await;
    Ok(())
}

/// A batch's lines on a stdout that is not a terminal: buffered, written out when the buffer is
/// full or 200 ms after the last write.
struct Piped {
    out: std::io::BufWriter<std::io::Stdout>,
    written: std::time::Instant,
}

impl Piped {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(200);

    fn new() -> Self {
        Self {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            written: std::time::Instant::now(),
        }
    }

    fn line(&mut self, line: &str) {
        use std::io::Write as _;
        if let Err(e) = writeln!(self.out, "{line}") {
            stdout_failed(&e);
        }
        if self.written.elapsed() >= Self::EVERY {
            self.flush();
        }
    }

    fn flush(&mut self) {
        use std::io::Write as _;
        if let Err(e) = self.out.flush() {
            stdout_failed(&e);
        }
        self.written = std::time::Instant::now();
    }
}

/// `switchboard batch`: the engine runs the lookups; this prints them and applies the thresholds.
async fn batch(common: &Common, args: BatchArgs) -> Result<(), UserError> {
    use std::io::IsTerminal as _;
    use switchboard_core::batch::{BatchOptions, Mode};
    use tokio::io::{AsyncBufRead, BufReader};

    phone::clean_formats(&args.formats)?; // fail before opening anything
    let unreadable = |e: std::io::Error| {
        UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "Could not read {}: {e}. Give a file of phone numbers, one per line, or - for standard input.",
                args.file
            ),
        )
    };
    let (input, total): (Box<dyn AsyncBufRead + Unpin + Send>, Option<u64>) = if args.file == "-" {
        (Box::new(BufReader::new(tokio::io::stdin())), None)
    } else {
        // Counted first for the progress bar: one quick pass, nothing kept.
        let total = if std::io::stdout().is_terminal() {
            let text = tokio::fs::read(&args.file).await.map_err(unreadable)?;
            let text = String::from_utf8_lossy(&text);
            Some(
                text.lines()
                    .filter(|l| switchboard_core::batch::number_on(l).is_some())
                    .count() as u64,
            )
        } else {
            None
        };
        let file = tokio::fs::File::open(&args.file)
            .await
            .map_err(unreadable)?;
        (Box::new(BufReader::new(file)), total)
    };
    let wb = open(common).await?;
    let options = BatchOptions {
        mode: match args.concurrency {
            Some(n) if !args.mirror => Mode::Concurrent(usize::from(n)),
            _ => Mode::Mirror,
        },
        region: region(args.region.as_deref()),
        formats: args.formats.clone(),
        ..BatchOptions::default()
    };
    let progress = if std::io::stdout().is_terminal() {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} numbers  {per_sec}  eta {eta}  {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
            None => indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos} numbers  {per_sec}  {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            ),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        Some(bar)
    } else {
        None
    };
    let mut failed = 0u64;
    // Into a file or a pipe the lines go out in blocks (stdout is line-buffered: one write per
    // number otherwise), at least every 200 ms so a reader downstream still sees them stream.
    let mut piped = Piped::new();
    let summary = wb
        .batch(input, &options, |r| {
            let line = print::batch_line(r, common.json);
            match &progress {
                Some(bar) => {
                    bar.suspend(|| out!("{line}"));
                    bar.inc(1);
                    if !r.ok() {
                        failed += 1;
                        bar.set_message(format!("{failed} failed"));
                    }
                }
                None => piped.line(&line),
            }
        })
        .await;
    piped.flush();
    let summary = summary?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    print::batch_summary(&summary, common.json);
    let mut problems = Vec::new();
    if let Some(why) = &summary.stopped {
        problems.push(why.clone());
    }
    if summary.errors > args.max_errors {
        problems.push(format!(
            "{} of {} numbers failed (--max-errors {}); the lines above say why",
            summary.errors, summary.count, args.max_errors
        ));
    }
    if let (Some(limit), Some(p95)) = (args.max_p95, summary.p95_ms) {
        if p95 > limit {
            problems.push(format!("p95 was {p95} ms, above --max-p95 {limit} ms"));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(UserError::new(
        ErrorCode::Rejected,
        format!("batch failed: {}.", problems.join("; ")),
    ))
}
