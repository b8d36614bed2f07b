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

mod context;
mod print;

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
use switchboard_core::flow::{default_subject, PlaceholderFlow, SimulatedCall};
use switchboard_core::keychain::Keychain;
use switchboard_core::manifest::ManifestSource;
use switchboard_core::phone;
use switchboard_core::wire::{ContactInfo, CreateContactRequest, Direction};
use switchboard_core::{ErrorCode, Sensitive, UserError};
use switchboard_sandbox::{Quirks, Sandbox, SandboxConfig, DEFAULT_API_KEY};

use context::Context;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "A workbench for App Connect CRM connectors: manifests, phone formats, findContact and the placeholder-contact flow."
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
    /// Print machine-readable JSON: the decoded server answer.
    #[arg(long, global = true)]
    json: bool,
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
    /// Sign in with an API key; the session token goes to the OS keychain.
    Login {
        /// The API key (or set SWITCHBOARD_API_KEY, which keeps it out of the process list).
        #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
        api_key: String,
        /// Another field of the manifest's login page, as CONST=VALUE.
        #[arg(long = "field", value_name = "CONST=VALUE")]
        fields: Vec<String>,
        /// CRM hostname, for manifests whose environment is dynamic or selectable.
        #[arg(long)]
        hostname: Option<String>,
    },
    /// Sign out: POST /unAuthorize, then forget the stored session.
    Logout,
    /// Forget everything: delete every secret Switchboard stored in the OS keychain (the CLI's
    /// sessions and every desktop profile's), with no request to any server.
    ForgetAll,
    /// findContact: look a phone number up on the connector.
    Find(PhoneArgs),
    /// createContact: create a placeholder contact for a number.
    Create {
        #[command(flatten)]
        phone: PhoneArgs,
        /// Name of the new contact.
        #[arg(long)]
        name: String,
        /// Contact type: a `value` of the manifest's contactTypes.
        #[arg(long = "type")]
        contact_type: Option<String>,
    },
    /// createCallLog: log a simulated call against a contact.
    Log {
        #[command(flatten)]
        phone: PhoneArgs,
        /// The contact id to log against.
        #[arg(long)]
        contact: String,
        /// The contact's name, for the activity title (default: looked up).
        #[arg(long)]
        contact_name: Option<String>,
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
    phone: String,
    /// An overriding format such as "(***) ***-****" (up to three).
    #[arg(long = "format", short = 'f')]
    formats: Vec<String>,
    /// Default region for numbers typed without a country code (e.g. US).
    #[arg(long)]
    region: Option<String>,
}

impl PhoneArgs {
    fn parse(&self) -> Result<phone::ParsedNumber, UserError> {
        phone::validate_formats(&self.formats)?;
        Ok(phone::parse_input(&self.phone, self.region.as_deref())?)
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
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
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
        } => sandbox(port, api_key, &quirks).await,
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
                let errors = findings
                    .iter()
                    .filter(|f| f.severity == switchboard_core::check::Severity::Error)
                    .count();
                return Err(UserError::new(
                    ErrorCode::ManifestInvalid,
                    format!(
                        "{source}: {errors} error{} found.",
                        if errors == 1 { "" } else { "s" }
                    ),
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
        Command::Login {
            api_key,
            fields,
            hostname,
        } => {
            let ctx = Context::open(&common, false).await?;
            ctx.login(Sensitive::new(api_key), &fields, hostname).await
        }
        Command::ForgetAll => {
            let deleted = Keychain::from_env().forget_all()?;
            println!(
                "Forgot {deleted} stored secret{} from the keychain.",
                if deleted == 1 { "" } else { "s" }
            );
            Ok(())
        }
        Command::Logout => {
            let ctx = Context::open(&common, true).await?;
            ctx.logout().await
        }
        Command::Find(args) => {
            let number = args.parse()?;
            let ctx = Context::open(&common, true).await?;
            let formats = phone::overriding_format_param(&args.formats);
            let called = ctx
                .client
                .find_contact(&number.e164, &formats, number.is_extension)
                .await;
            ctx.keep_refreshed(&called.refreshed_jwt)?;
            let lints = switchboard_core::lint::for_exchange(&called.exchange, Some(&ctx.platform));
            let resp = called.result.map_err(UserError::from)?;
            let expansions = phone::expand(&number, &args.formats);
            print::found(&number, &expansions, &resp, &lints, common.json);
            Ok(())
        }
        Command::Create {
            phone: args,
            name,
            contact_type,
        } => {
            let number = args.parse()?;
            let ctx = Context::open(&common, true).await?;
            ctx.check_contact_type(contact_type.as_deref())?;
            if name.trim().is_empty() {
                return Err(UserError::new(
                    ErrorCode::FlowOrder,
                    "Give the new contact a name with --name.",
                ));
            }
            let request = CreateContactRequest {
                phone_number: number.e164.clone(),
                new_contact_name: name.trim().to_owned(),
                new_contact_type: contact_type,
                additional_submission: Map::new(),
            };
            let called = ctx.client.create_contact(&request).await;
            ctx.keep_refreshed(&called.refreshed_jwt)?;
            let resp = called.result.map_err(UserError::from)?;
            print::created(&resp, common.json);
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
            let number = args.parse()?;
            let ctx = Context::open(&common, true).await?;
            let direction = if direction == "outbound" {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let name = contact_name.unwrap_or_else(|| format!("contact {contact}"));
            let session_id = session.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
            let start_time_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0);
            let call = SimulatedCall {
                session_id: session_id.clone(),
                direction,
                caller_name: None,
                own_number: "+16505550199".to_owned(),
                start_time_ms,
                duration_s: duration,
                note,
                subject: Some(default_subject(direction, &name)),
                additional_submission: Map::new(),
            };
            let mut flow = PlaceholderFlow::new(number, String::new());
            flow.contact_type = contact_type.clone();
            let target = ContactInfo {
                id: contact,
                name: Some(name),
                kind: contact_type,
                ..ContactInfo::default()
            };
            let request = flow.call_log_request(&target, &call);
            let called = ctx.client.create_call_log(&request).await;
            ctx.keep_refreshed(&called.refreshed_jwt)?;
            let resp = called.result.map_err(UserError::from)?;
            if common.json {
                print::json(
                    &json!({"sessionId": session_id, "logId": resp.log_id, "returnMessage": resp.return_message}),
                );
            } else {
                out!(
                    "Logged call {session_id} (log id {}).",
                    resp.log_id.as_deref().unwrap_or("not given")
                );
                print::return_message(resp.return_message.as_ref());
            }
            Ok(())
        }
    }
}

async fn sandbox(port: u16, api_key: String, quirk_names: &[String]) -> Result<(), UserError> {
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
    out!(
        "Sandbox connector listening on {} (platform \"sandbox\"). Press Ctrl-C to stop.",
        sb.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    sb.stop().await;
    Ok(())
}
