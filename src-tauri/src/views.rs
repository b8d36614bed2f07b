//! What the web view is sent. Plain data, camelCase, and never a secret.

use serde::Serialize;
use switchboard_core::client::Exchange;
use switchboard_core::flow::PlaceholderFlow;
use switchboard_core::manifest::{AdditionalField, AuthType, Environment, Platform};
use switchboard_core::phone::{Expansion, ParsedNumber};
use switchboard_core::wire::{FindContactResponse, ReturnMessage};
use switchboard_core::UserError;

use crate::state::{Session, Stored};
use switchboard_core::profile::Profile;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub manifest: ManifestView,
    pub platform: PlatformView,
    pub server_url: String,
    pub server_overridden: bool,
    pub sandbox_url: Option<String>,
    pub session: SessionView,
    pub keychain_problem: Option<String>,
    /// The active profile's settings (no secrets).
    pub profile: Profile,
    pub profiles: Vec<ProfileSummary>,
    /// Which secrets the profile has in the keychain.
    pub stored: Stored,
    /// Why the profile's own manifest is not the one open.
    pub manifest_problem: Option<String>,
    /// The authorize URL of an OAuth sign-in waiting for the browser.
    pub oauth_pending: Option<String>,
    /// The keychain service in use (debug and release builds differ).
    pub keychain_service: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    pub id: String,
    pub name: String,
    pub colour: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestView {
    pub source: String,
    pub version: Option<String>,
    pub server_url: Option<String>,
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformView {
    pub name: String,
    pub display_name: String,
    pub auth_type: &'static str,
    pub contact_types: Vec<ContactTypeView>,
    pub login_page: Option<LoginPageView>,
    pub environment: Option<Environment>,
    pub call_log_fields: Vec<AdditionalField>,
    pub new_contact_fields: Vec<AdditionalField>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactTypeView {
    pub display: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginPageView {
    pub title: Option<String>,
    pub warning: Option<String>,
    pub fields: Vec<LoginFieldView>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginFieldView {
    pub key: String,
    pub title: String,
    pub required: bool,
    pub description: Option<String>,
    /// A non-secret default the form may prefill.
    pub default_value: Option<String>,
    pub is_button: bool,
    pub hidden: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub signed_in: bool,
    pub user_name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInView {
    pub user_name: Option<String>,
    pub return_message: Option<ReturnMessage>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneView {
    pub number: ParsedNumber,
    pub expansions: Vec<Expansion>,
    pub overriding_format: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookupView {
    pub phone: PhoneView,
    pub response: Option<FindContactResponse>,
    pub error: Option<UserError>,
    pub return_message: Option<ReturnMessage>,
    pub exchange: Exchange,
    /// Connector behaviour that breaks or changes what the real client shows.
    pub lints: Vec<switchboard_core::lint::Lint>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowView {
    pub phone: PhoneView,
    pub flow: PlaceholderFlow,
    /// Why the last step failed, if it did.
    pub error: Option<UserError>,
}

fn auth_name(t: AuthType) -> &'static str {
    match t {
        AuthType::ApiKey => "apiKey",
        AuthType::OAuth => "oauth",
        AuthType::Unknown => "unknown",
    }
}

fn platform_view(name: &str, p: &Platform) -> PlatformView {
    let page = p
        .auth
        .as_ref()
        .and_then(|a| a.api_key.as_ref())
        .and_then(|k| k.page.as_ref());
    PlatformView {
        name: name.to_owned(),
        display_name: p.display_name.clone().unwrap_or_else(|| name.to_owned()),
        auth_type: auth_name(p.auth_type()),
        contact_types: p
            .usable_contact_types()
            .map(|(d, v)| ContactTypeView {
                display: d.to_owned(),
                value: v.to_owned(),
            })
            .collect(),
        login_page: page.map(|page| LoginPageView {
            title: page.title.clone(),
            warning: page.warning.clone(),
            fields: page
                .content
                .iter()
                .map(|f| LoginFieldView {
                    key: f.key.clone(),
                    title: f.title.clone().unwrap_or_else(|| f.key.clone()),
                    required: f.required,
                    description: f.description.clone(),
                    // A default for the API key itself would be a secret in a manifest; never prefill it.
                    default_value: if f.key == "apiKey" {
                        None
                    } else {
                        f.default_value
                            .as_ref()
                            .and_then(|d| d.as_str())
                            .map(str::to_owned)
                    },
                    is_button: f.is_button(),
                    hidden: f.hidden,
                })
                .collect(),
        }),
        environment: p.environment.clone(),
        call_log_fields: p.call_log_fields().to_vec(),
        new_contact_fields: p.new_contact_fields().to_vec(),
    }
}

pub fn app_view(s: &Session, sandbox_url: Option<&str>, keychain_service: &str) -> AppView {
    let m = &s.loaded.manifest;
    let platform = m
        .platform(Some(&s.platform))
        .map(|(k, p)| platform_view(k, p))
        .unwrap_or_else(|_| platform_view(&s.platform, &Platform::default()));
    AppView {
        manifest: ManifestView {
            source: s.loaded.source.clone(),
            version: m.version.clone(),
            server_url: m.server_url.clone(),
            platforms: m.platform_names(),
        },
        platform,
        server_url: s.client.server_url().to_owned(),
        server_overridden: s.profile().server_url.is_some(),
        sandbox_url: sandbox_url.map(str::to_owned),
        session: SessionView {
            signed_in: s.signed_in,
            user_name: s.user_name.clone(),
        },
        keychain_problem: s.keychain_problem.clone(),
        profile: s.profile().clone(),
        profiles: s
            .profiles
            .list()
            .iter()
            .map(|p| ProfileSummary {
                id: p.id.clone(),
                name: p.name.clone(),
                colour: p.colour.clone(),
            })
            .collect(),
        stored: s.stored.clone(),
        manifest_problem: s.manifest_problem.clone(),
        oauth_pending: s.oauth.as_ref().map(|o| o.authorize_url.clone()),
        keychain_service: keychain_service.to_owned(),
    }
}
