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
use switchboard_core::keychain::{Keychain, SecretStore};
use switchboard_core::manifest::ManifestSource;
use switchboard_core::phone;
use switchboard_core::profile::{Profile, Profiles};
use switchboard_core::wire::{ContactInfo, Direction};
use switchboard_core::workbench::view::{CallInput, PhoneInput};
use switchboard_core::workbench::{SignIn, SystemClock, Workbench};
use switchboard_core::{ErrorCode, UserError};
use switchboard_sandbox::{Quirks, Sandbox, SandboxConfig, DEFAULT_API_KEY};

/// The engine as the CLI runs it: the OS keychain, the system clock, a one-off profile.
type Bench = Workbench<Keychain, SystemClock>;

/// Opens the workbench on a profile made from the flags (never saved): the manifest, platform and
/// server given, with the session stored for exactly that server and platform.
async fn open(common: &Common) -> Result<Bench, UserError> {
    let profiles = Profiles::in_memory(Profile {
        name: "command line".to_owned(),
        server_url: common.server.clone(),
        platform: common.platform.clone(),
        ..Profile::default()
    })?;
    let keychain = Keychain::from_env();
    let service = keychain.service().to_owned();
    let wb = Bench::new(profiles, keychain, SystemClock, None, &service);
    let view = wb.open_manifest(&common.manifest).await?;
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

    fn input(&self) -> PhoneInput {
        PhoneInput {
            input: self.phone.clone(),
            region: self.region.clone(),
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
            let wb = open(&common).await?;
            let mut values = vec![("apiKey".to_owned(), api_key)];
            for f in fields {
                let (k, v) = f.split_once('=').ok_or_else(|| {
                    UserError::new(
                        ErrorCode::InvalidInput,
                        format!(
                            "--field takes CONST=VALUE; \"{}\" has no '='.",
                            f.split('=').next().unwrap_or("")
                        ),
                    )
                })?;
                values.push((k.to_owned(), v.to_owned()));
            }
            let signed = wb
                .sign_in(SignIn {
                    fields: values,
                    hostname,
                    remember: false,
                })
                .await?;
            if common.json {
                print::json(
                    &json!({"name": signed.user_name, "returnMessage": signed.return_message, "server": signed.server}),
                );
            } else {
                let view = wb.view().await;
                out!(
                    "Signed in to {} ({}) as {}. The session token is in the OS keychain, for this server only.",
                    view.platform.display_name,
                    signed.server,
                    signed.user_name.as_deref().unwrap_or("(no name given)")
                );
                print::return_message(signed.return_message.as_ref());
            }
            Ok(())
        }
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
            args.parse()?;
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
            args.parse()?;
            let wb = open(&common).await?;
            let created = wb
                .create_contact(&args.input(), &name, contact_type, Map::new())
                .await?;
            print::created(&created.response, common.json);
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
            args.parse()?;
            let wb = open(&common).await?;
            let direction = if direction == "outbound" {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let target = ContactInfo {
                name: Some(contact_name.unwrap_or_else(|| format!("contact {contact}"))),
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
            let resp = &logged.call.response;
            if common.json {
                print::json(
                    &json!({"sessionId": logged.session_id, "logId": resp.log_id, "returnMessage": resp.return_message}),
                );
            } else {
                out!(
                    "Logged call {} (log id {}).",
                    logged.session_id,
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
