//! Cancelling a network action a person is waiting for. A front end runs an engine call inside
//! [`scope`] with a [`CancelToken`]; every request the client sends in that scope races the token,
//! so a cancelled request ends at once as `ClientError::Cancelled` and the engine records it and
//! cleans up (a flow step is put back, the history says what happened) as for any failed call.
//! Outside a scope (the CLI, tests) nothing changes.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// A cancel signal shared by whoever may cancel and the work it cancels. Cheap to clone.
#[derive(Clone, Debug)]
pub struct CancelToken(Arc<watch::Sender<bool>>);

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    pub fn new() -> Self {
        Self(Arc::new(watch::Sender::new(false)))
    }

    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when the token is cancelled (at once if it already is).
    pub async fn cancelled(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = rx.wait_for(|c| *c).await;
    }
}

tokio::task_local! {
    static CURRENT: CancelToken;
}

/// Runs `work` with `token` as the cancel signal of every request it sends.
pub async fn scope<F: Future>(token: CancelToken, work: F) -> F::Output {
    CURRENT.scope(token, work).await
}

/// The cancel signal of the running scope, if any.
pub fn current() -> Option<CancelToken> {
    CURRENT.try_with(CancelToken::clone).ok()
}

/// Awaits `work` unless the running scope is cancelled first: `None` then (and `work` is dropped).
pub async fn race<F: Future>(work: F) -> Option<F::Output> {
    match current() {
        None => Some(work.await),
        Some(token) => tokio::select! {
            biased;
            () = token.cancelled() => None,
            out = work => Some(out),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn race_ends_when_the_scope_is_cancelled_and_not_otherwise() {
        assert_eq!(race(async { 1 }).await, Some(1), "no scope: work runs");
        let token = CancelToken::new();
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            t.cancel();
        });
        let out = scope(token.clone(), async {
            race(tokio::time::sleep(Duration::from_secs(30))).await
        })
        .await;
        assert_eq!(out, None, "the hung work was cut short by the cancel");
        assert!(token.is_cancelled());
        let again = scope(token, async { race(async { 2 }).await }).await;
        assert_eq!(again, None, "a cancelled scope starts nothing new");
    }
}
