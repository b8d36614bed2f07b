//! `switchboard login`: the engine's sign-in on the command line. An API-key manifest takes
//! `--api-key` (and `--field`, `--hostname`); an OAuth manifest prints the CRM's sign-in address and
//! receives the browser's redirect on a loopback listener (`--port`), or takes the address the
//! browser ended on (`--paste`). Either way the engine stores the session token in the OS keychain
//! for this server and platform, exactly as the app does, so the app and the CLI share it.

use clap::Args;
use serde_json::json;
use switchboard_core::manifest::{self, AuthType, ManifestSource, Platform};
use switchboard_core::workbench::view::OAuthFinished;
use switchboard_core::workbench::{SignIn, OAUTH_WAIT};
use switchboard_core::{ErrorCode, UserError};

use crate::{open, print, Bench, Common};

#[derive(Args)]
pub struct LoginArgs {
    /// API-key manifests: the API key (or set SWITCHBOARD_API_KEY, which keeps it out of the
    /// process list).
    #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// API-key manifests: another field of the login page, as CONST=VALUE.
    #[arg(long = "field", value_name = "CONST=VALUE")]
    fields: Vec<String>,
    /// CRM hostname, for manifests whose environment is dynamic or selectable.
    #[arg(long)]
    hostname: Option<String>,
    /// OAuth manifests: the port on 127.0.0.1 that receives the browser's redirect (default: any
    /// free one). Give the port of the redirect URI registered with the CRM.
    #[arg(long, conflicts_with = "paste")]
    port: Option<u16>,
    /// OAuth manifests: no listener; the browser ends on the manifest's redirect URI, and you
    /// paste the address it shows (read from standard input).
    #[arg(long)]
    paste: bool,
}

/// Signs in to the server and platform the flags point at.
pub async fn login(common: &Common, args: LoginArgs) -> Result<(), UserError> {
    let wb = open(common).await?;
    let platform = wb.view().await.platform;
    if platform.auth_type == AuthType::OAuth {
        if args.api_key.is_some() || !args.fields.is_empty() {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} signs in with OAuth, not an API key: run `switchboard login` without --api-key or --field (and unset SWITCHBOARD_API_KEY).",
                    platform.display_name
                ),
            ));
        }
        return oauth(common, &wb, args).await;
    }
    if args.port.is_some() || args.paste {
        return Err(UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "{} signs in with an API key, not OAuth: drop --port/--paste and give --api-key.",
                platform.display_name
            ),
        ));
    }
    let api_key = args.api_key.ok_or_else(|| {
        UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "{} signs in with an API key: add --api-key KEY (or set SWITCHBOARD_API_KEY).",
                platform.display_name
            ),
        )
    })?;
    let mut values = vec![("apiKey".to_owned(), api_key)];
    for f in args.fields {
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
            hostname: args.hostname,
            remember: false,
        })
        .await?;
    if common.json {
        print::json(
            &json!({"name": signed.user_name, "returnMessage": signed.return_message, "server": signed.server}),
        );
    } else {
        signed_in(&platform.display_name, &signed.server, signed.user_name);
        print::return_message(signed.return_message.as_ref());
    }
    Ok(())
}

/// The OAuth sign-in: the authorize URL as the client builds it, then the browser's redirect (on
/// the loopback listener, or pasted), handed to the connector's `GET /oauth-callback`.
async fn oauth(common: &Common, wb: &Bench, args: LoginArgs) -> Result<(), UserError> {
    let display = wb.view().await.platform.display_name;
    let started = wb
        .oauth_start(!args.paste, args.hostname, args.port.unwrap_or(0))
        .await?;
    let url = &started.view.authorize_url;
    let redirect = &started.view.redirect_uri;
    // The address goes to stdout on a line of its own (scripts read it); the guidance to stderr.
    if common.json {
        print::json(&json!({"authorizeUrl": url, "redirectUri": redirect}));
    } else {
        eprintln!("Open this address in a browser and sign in to {display}:");
        out!("{url}");
    }
    let finished = if args.paste {
        eprintln!(
            "After signing in, the browser ends on {redirect}. Paste the whole address from its address bar here, then press Enter:"
        );
        let pasted = read_line().await?;
        let signed = wb.oauth_paste(pasted).await?;
        OAuthFinished {
            user_name: signed.user_name,
            error: None,
        }
    } else {
        eprintln!(
            "Waiting up to {} minutes for the browser to come back to {redirect} (Ctrl-C to stop).",
            OAUTH_WAIT.as_secs() / 60
        );
        let wait = started.wait.ok_or_else(|| {
            UserError::new(
                ErrorCode::Internal,
                "The sign-in started without a listener.",
            )
        })?;
        let outcome = tokio::select! {
            f = wait => f,
            _ = tokio::signal::ctrl_c() => {
                wb.oauth_cancel().await;
                None
            }
        };
        outcome.ok_or_else(|| UserError::new(ErrorCode::InvalidInput, "Sign-in cancelled."))?
    };
    if let Some(e) = finished.error {
        return Err(e);
    }
    let server = wb.view().await.session.server;
    if common.json {
        print::json(&json!({"name": finished.user_name, "server": server}));
    } else {
        signed_in(&display, &server, finished.user_name);
    }
    Ok(())
}

fn signed_in(display: &str, server: &str, user: Option<String>) {
    out!(
        "Signed in to {display} ({server}) as {}. The session token is in the OS keychain, for this server only.",
        user.as_deref().unwrap_or("(no name given)")
    );
}

/// One line of standard input (the pasted address), without its line ending.
async fn read_line() -> Result<String, UserError> {
    use tokio::io::AsyncBufReadExt as _;
    let mut line = String::new();
    tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await
        .map_err(|e| {
            UserError::new(
                ErrorCode::InvalidInput,
                format!("Could not read the pasted address: {e}."),
            )
        })?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err(UserError::new(
            ErrorCode::InvalidInput,
            "Nothing was pasted. Run the sign-in again and paste the address the browser ended on.",
        ));
    }
    Ok(line)
}

/// For a command that found no session: the `switchboard login` command line that signs in to the
/// same manifest, platform and server, with the flags its sign-in needs, appended to the error.
pub async fn explain_not_signed_in(common: &Common, e: UserError) -> UserError {
    if e.code != ErrorCode::NotSignedIn {
        return e;
    }
    let Ok(loaded) = manifest::load(&ManifestSource::parse(&common.manifest)).await else {
        return e;
    };
    let Ok((_, platform)) = loaded.manifest.platform(common.platform.as_deref()) else {
        return e;
    };
    let hint = login_command(common, platform);
    UserError::new(e.code, format!("{}\nTo sign in here: {hint}", e.message))
}

/// `switchboard [--manifest M] [--platform P] [--server S] login <what this platform needs>`,
/// with a word on what happens for OAuth.
fn login_command(common: &Common, platform: &Platform) -> String {
    let mut words = vec!["switchboard".to_owned()];
    if common.manifest != manifest::SANDBOX_SOURCE {
        words.extend(["--manifest".to_owned(), quote(&common.manifest)]);
    }
    if let Some(p) = &common.platform {
        words.extend(["--platform".to_owned(), quote(p)]);
    }
    if let Some(s) = &common.server {
        words.extend(["--server".to_owned(), quote(s)]);
    }
    words.push("login".to_owned());
    let oauth = platform.auth_type() == AuthType::OAuth;
    if !oauth {
        words.push("--api-key <key>".to_owned());
        for f in platform.api_key_fields() {
            if f.required && !f.is_button() && f.key != "apiKey" {
                words.push(format!("--field {}=<value>", f.key));
            }
        }
    }
    if let Some(env) = &platform.environment {
        match env.kind.as_deref() {
            Some("selectable") if !env.selections.is_empty() => {
                let hosts: Vec<_> = env
                    .selections
                    .iter()
                    .map(|s| switchboard_core::workbench::rules::host_of(&s.url))
                    .collect();
                words.push(format!("--hostname <{}>", hosts.join("|")));
            }
            Some("dynamic") => words.push("--hostname <your CRM's address>".to_owned()),
            _ => {}
        }
    }
    let mut command = words.join(" ");
    if oauth {
        command.push_str(
            "\n  (OAuth: it prints the CRM's sign-in address and waits for the browser on 127.0.0.1; add --port N when the CRM accepts only a registered redirect port, or --paste to paste the address the browser ends on instead)",
        );
    }
    command
}

/// A word as a POSIX shell reads it back: single-quoted unless it is plainly safe.
fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,%".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn words_are_quoted_only_when_the_shell_would_split_or_expand_them() {
        assert_eq!(quote("clio.json"), "clio.json");
        assert_eq!(quote("http://localhost:6066"), "http://localhost:6066");
        assert_eq!(quote("my manifest.json"), "'my manifest.json'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
