//! The sandbox as a test target: injected latency, server errors and a rate limit, so batch runs,
//! thresholds and error reporting can be shown and tested offline (`switchboard sandbox --latency
//! 50..200 --error-rate 0.1 --rate-limit 20/s`).
//!
//! Faults apply to the CRM data routes only (`GET`/`POST /contact`, `GET`/`POST /callLog`): sign-in,
//! sign-out, `/authValidation`, `/isAlive` and `/implementedInterfaces` answer normally, so a faulty
//! sandbox can still be signed in to and probed.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State as AxState};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::State;

/// A delay before each answer: fixed (`min == max`) or uniformly random in `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Latency {
    pub fn fixed(ms: u64) -> Self {
        Self {
            min_ms: ms,
            max_ms: ms,
        }
    }

    fn pick(&self) -> Duration {
        let ms = if self.max_ms > self.min_ms {
            rand::random_range(self.min_ms..=self.max_ms)
        } else {
            self.min_ms
        };
        Duration::from_millis(ms)
    }
}

impl FromStr for Latency {
    type Err = String;

    /// `100` (milliseconds) or `50..200`.
    fn from_str(s: &str) -> Result<Self, String> {
        let ms = |v: &str| {
            v.trim().parse::<u64>().map_err(|_| {
                format!("\"{s}\" is not a latency; give milliseconds, such as 100, or a range, such as 50..200.")
            })
        };
        let (min_ms, max_ms) = match s.split_once("..") {
            Some((a, b)) => (ms(a)?, ms(b.trim_start_matches('='))?),
            None => {
                let v = ms(s)?;
                (v, v)
            }
        };
        if min_ms > max_ms {
            return Err(format!(
                "\"{s}\": the range starts after it ends; write the smaller number first, such as {max_ms}..{min_ms}."
            ));
        }
        Ok(Self { min_ms, max_ms })
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_ms == self.max_ms {
            write!(f, "{} ms", self.min_ms)
        } else {
            write!(f, "{}..{} ms", self.min_ms, self.max_ms)
        }
    }
}

/// At most `per_sec` answers per clock second; the rest get HTTP 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_sec: u32,
}

impl FromStr for RateLimit {
    type Err = String;

    /// `20/s` or `20`.
    fn from_str(s: &str) -> Result<Self, String> {
        let n = s.trim().strip_suffix("/s").unwrap_or(s.trim());
        match n.trim().parse::<u32>() {
            Ok(per_sec) if per_sec > 0 => Ok(Self { per_sec }),
            _ => Err(format!(
                "\"{s}\" is not a rate limit; give requests per second, such as 20/s."
            )),
        }
    }
}

/// A share of requests, 0 to 1 (`0.1` = one in ten).
pub fn parse_error_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "\"{s}\" is not an error rate; give a share between 0 and 1, such as 0.1 for one request in ten."
        )),
    }
}

/// What to inject; everything off by default.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    pub latency: Option<Latency>,
    /// This share of requests (0..=1) answers HTTP 500 `{error}`, as a crashing route does. The
    /// failures are spread evenly, not drawn at random: of the first n requests, exactly
    /// ⌊n·rate⌋ fail, so runs and tests are repeatable.
    pub error_rate: f64,
    pub rate_limit: Option<RateLimit>,
}

impl Faults {
    pub fn is_off(&self) -> bool {
        self.latency.is_none() && self.error_rate <= 0.0 && self.rate_limit.is_none()
    }

    /// `latency 50..200 ms, error rate 0.1, rate limit 20/s`, or `none`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(l) = self.latency {
            parts.push(format!("latency {l}"));
        }
        if self.error_rate > 0.0 {
            parts.push(format!("error rate {}", self.error_rate));
        }
        if let Some(r) = self.rate_limit {
            parts.push(format!("rate limit {}/s", r.per_sec));
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// The counters behind the faults.
#[derive(Debug, Default)]
pub struct FaultState {
    /// Requests that reached a data route and were not rate-limited.
    requests: AtomicU64,
    /// The rate-limit window: (clock second, answers in it).
    window: Mutex<(u64, u32)>,
}

impl FaultState {
    /// True when the `n`th request (from 1) is one of the failing share.
    fn fails(&self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        ((n as f64) * rate).floor() > (((n - 1) as f64) * rate).floor()
    }

    /// Counts a request in the current second; false when it is over the limit.
    fn admit(&self, limit: RateLimit, now_secs: u64) -> bool {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if w.0 != now_secs {
            *w = (now_secs, 0);
        }
        if w.1 >= limit.per_sec {
            return false;
        }
        w.1 += 1;
        true
    }
}

/// Middleware over the data routes: decides at arrival (rate limit, then error share), waits the
/// latency, then answers.
pub async fn inject(AxState(state): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    let faults = state.config.faults;
    if faults.is_off() {
        return next.run(req).await;
    }
    let limited = faults
        .rate_limit
        .is_some_and(|l| !state.faults.admit(l, state.config.clock.now_secs()));
    let failed = !limited && state.faults.fails(faults.error_rate);
    if let Some(l) = faults.latency {
        tokio::time::sleep(l.pick()).await;
    }
    if limited {
        let per_sec = faults.rate_limit.map_or(0, |l| l.per_sec);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            Json(json!({"error": format!("Too many requests: this sandbox answers at most {per_sec} per second (--rate-limit).")})),
        )
            .into_response();
    }
    if failed {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "Injected failure: the sandbox was started with --error-rate"})),
        )
            .into_response();
    }
    next.run(req).await
}
