//! What scenario runs (`crate::scenario`) ask of the engine beyond the everyday actions: the
//! server's debug trace on or off, and `GET /implementedInterfaces` for the contract check. Kept
//! apart from `mod.rs` so the engine's main file stays about the person's work.

use serde_json::{Map, Value};

use super::{Clock, Result, Workbench};
use crate::client::Exchange;
use crate::keychain::SecretStore;
use crate::lint::Lint;
use crate::manifest::Platform;
use crate::UserError;

/// `GET /implementedInterfaces` for the open platform, beside the platform it was asked for.
#[derive(Debug, Clone)]
pub struct InterfacesView {
    pub platform_name: String,
    pub platform: Platform,
    /// The capability map, or why it could not be read.
    pub interfaces: std::result::Result<Map<String, Value>, UserError>,
    pub exchange: Exchange,
    pub lints: Vec<Lint>,
}

impl<S: SecretStore + 'static, C: Clock> Workbench<S, C> {
    /// Sends `is-debug: true` with every later request of the current client (or stops), so a
    /// framework server adds its `_debug` trace to each JSON answer. A new server, manifest or
    /// platform starts without it.
    pub async fn set_debug(&self, on: bool) {
        self.lock().await.target.client.set_debug(on);
    }

    /// `GET /implementedInterfaces?platform=` for the open platform (no session needed). The
    /// exchange goes to the history like any other.
    pub async fn implemented_interfaces(&self) -> Result<InterfacesView> {
        let target = self.lock().await.target.clone();
        let called = target.client.implemented_interfaces().await;
        let mut s = self.lock().await;
        let lints = s.record(called.exchange.clone(), &target.platform);
        Ok(InterfacesView {
            platform_name: target.platform_name.clone(),
            platform: target.platform.clone(),
            interfaces: called.result.map_err(UserError::from),
            exchange: called.exchange,
            lints,
        })
    }
}
