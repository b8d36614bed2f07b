//! Cancel for every network action. The web view names each action it starts with an operation
//! id; the command runs the engine call inside a cancel scope registered under that id, and
//! `cancel(op)` cancels it. The engine's client races every request against the scope, so a
//! cancelled request ends at once as `Cancelled`, and the engine records it and cleans up as for
//! any failed call (the history says it got no answer; a flow step is put back). Nothing is
//! aborted from outside, so no engine state is left half-changed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use switchboard_core::cancel::{self, CancelToken};
use switchboard_core::{ErrorCode, UserError};
use tauri::State;

/// A cancel that arrived before its operation started is kept this long.
const EARLY_CANCEL_KEPT: Duration = Duration::from_secs(30);

/// The operations running now, by id; and cancels that arrived before their operation.
#[derive(Default)]
pub struct Ops(Mutex<HashMap<String, (CancelToken, Instant)>>);

impl Ops {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, (CancelToken, Instant)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs an engine call as operation `op` (none: not cancellable). The engine turns a cancel
    /// into its own `Cancelled` result, recorded like any other.
    pub async fn run<F: Future>(&self, op: Option<String>, work: F) -> F::Output {
        let Some(id) = op else {
            return work.await;
        };
        let token = {
            let mut table = self.table();
            table.retain(|_, (t, at)| !t.is_cancelled() || at.elapsed() < EARLY_CANCEL_KEPT);
            table
                .entry(id.clone())
                .or_insert_with(|| (CancelToken::new(), Instant::now()))
                .0
                .clone()
        };
        let out = cancel::scope(token, work).await;
        self.table().remove(&id);
        out
    }

    /// For work that changes nothing until it is done (opening a manifest URL): a cancel drops it
    /// at once and answers `Cancelled`.
    pub async fn run_droppable<T>(
        &self,
        op: Option<String>,
        what: &str,
        work: impl Future<Output = Result<T, UserError>>,
    ) -> Result<T, UserError> {
        self.run(op, async {
            let Some(token) = cancel::current() else {
                return work.await;
            };
            tokio::select! {
                biased;
                () = token.cancelled() => Err(UserError::new(
                    ErrorCode::Cancelled,
                    format!("Cancelled {what}; nothing was changed."),
                )),
                out = work => out,
            }
        })
        .await
    }

    /// Cancels operation `op`. A cancel for an operation not started yet (the two messages can
    /// cross) is kept for a while, so it still applies when the operation starts.
    pub fn cancel(&self, op: &str) {
        let mut table = self.table();
        let (token, _) = table
            .entry(op.to_owned())
            .or_insert_with(|| (CancelToken::new(), Instant::now()));
        token.cancel();
    }
}

/// Cancels a running network action (the window's Cancel button or Escape).
#[tauri::command]
pub fn cancel(ops: State<'_, Ops>, op: String) {
    ops.cancel(&op);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancel_reaches_the_running_operation_and_one_sent_early_still_applies() {
        let ops = Ops::default();
        let hung = async {
            cancel::race(tokio::time::sleep(Duration::from_secs(30)))
                .await
                .is_none()
        };
        let (cancelled, ()) = tokio::join!(ops.run(Some("op-1".into()), hung), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            ops.cancel("op-1");
        });
        assert!(cancelled, "the running work saw the cancel");
        assert!(ops.table().is_empty(), "a finished operation is forgotten");

        ops.cancel("op-2");
        let early = ops
            .run(Some("op-2".into()), async {
                cancel::race(async {}).await.is_none()
            })
            .await;
        assert!(early, "a cancel that arrived first still cancels");
        let other = ops
            .run(Some("op-3".into()), async {
                cancel::race(async {}).await.is_none()
            })
            .await;
        assert!(!other, "other operations are not affected");

        let dropped = ops
            .run_droppable(Some("op-4".into()), "opening the manifest", async {
                ops.cancel("op-4");
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(dropped.code, ErrorCode::Cancelled);
    }
}
