//! Batch lookups: findContact for a stream of numbers, one per line, either as the real client
//! does (`Mode::Mirror`: one at a time, its parameters, its contact cache) or as a stress test
//! (`Mode::Concurrent(n)`: n lookups in flight, every number sent). The client's decoding and the
//! contract lints run on every answer.
//!
//! Memory stays flat however long the input: lines are read as they are needed, each answer is
//! reduced to a small [`NumberResult`] handed to the caller and dropped, and the summary keeps
//! counters, a latency histogram (one counter per millisecond up to the slowest answer, so its
//! size is bounded by the request timeout, not by the number count) and at most
//! [`BatchOptions::keep_failures`] failures with their (redacted) exchanges. Mirror mode's
//! [`ContactCache`] is the one thing that grows: a few bytes per distinct number that matched,
//! as the client's own cache grows.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::{mpsc, Mutex};

use crate::client::{AppConnectClient, ClientError, Exchange};
use crate::error::UserError;
use crate::lint::{self, LintLevel};
use crate::manifest::Platform;
use crate::phone;

/// How many lookups run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "mode", content = "concurrency")]
pub enum Mode {
    /// As the real client: one lookup at a time, the next only after the answer, and a number
    /// that matched before is answered from the client's contact cache ([`ContactCache`]).
    Mirror,
    /// Stress mode: this many lookups in flight (at least 1), every number sent. With 1, the
    /// client's requests one at a time without its cache (what a forced refresh sends).
    Concurrent(usize),
}

impl Mode {
    pub fn concurrency(self) -> usize {
        match self {
            Self::Mirror => 1,
            Self::Concurrent(n) => n.max(1),
        }
    }
}

/// What the client's contact cache answers for a number, without a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cached {
    /// Contacts served, without a create row (as [`NumberResult::matches`] counts).
    pub matches: usize,
    /// A served row has the create row's id: a row with `id: createNewContact` but no
    /// `isNewContact` is kept by the client as if it were a contact.
    pub create_row: bool,
}

/// The client's contact cache, as App Connect extension 1.6.6 keeps it (`getContact` in
/// src/core/contact.js): before `GET /contact` it looks in the embedded widget's contact-matcher
/// data for the number (E.164, as it would send it) under the platform's name, and when that holds
/// at least one contact it answers from there and sends nothing. After a successful lookup it
/// stores the answer's rows that lack `isNewContact`. So a number that matched a real contact
/// earlier in the session is not asked again, while a number that found nothing (or only the
/// create row), or failed, is asked every time. The rows are not kept here, only what a batch
/// reports about them.
#[derive(Debug, Default)]
pub struct ContactCache {
    numbers: HashMap<String, Cached>,
}

impl ContactCache {
    /// What the client answers from its cache for `e164`, if it would not ask the connector.
    pub fn get(&self, e164: &str) -> Option<Cached> {
        self.numbers.get(e164).copied()
    }

    /// After a lookup of `e164`: a successful answer's rows (`Some`) without `isNewContact` fill
    /// the cache when there is at least one; a failed lookup (`None`) leaves it as it was.
    pub fn remember(&mut self, e164: &str, answer: Option<&[crate::wire::ContactInfo]>) {
        let Some(rows) = answer else { return };
        let kept: Vec<&crate::wire::ContactInfo> =
            rows.iter().filter(|c| !c.is_new_contact).collect();
        if kept.is_empty() {
            return;
        }
        let cached = Cached {
            matches: kept.iter().filter(|c| !c.is_create_row()).count(),
            create_row: kept.iter().any(|c| c.is_create_row()),
        };
        self.numbers.insert(e164.to_owned(), cached);
    }

    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub mode: Mode,
    /// Default region for numbers written without a country code.
    pub region: Option<String>,
    /// The user's overriding formats, sent with every lookup as the client sends them.
    pub formats: Vec<String>,
    /// Failures kept in the summary, with their exchanges (the rest are only counted).
    pub keep_failures: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            mode: Mode::Mirror,
            region: None,
            formats: Vec::new(),
            keep_failures: 50,
        }
    }
}

/// Why one number failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// Not a phone number: reported, never sent.
    Input,
    /// Read as a number but with a digit count no number of its country has, and not a
    /// short extension: reported, never sent, as every other action refuses it (issue 13).
    InvalidNumber,
    Timeout,
    /// HTTP 429.
    RateLimited,
    /// HTTP 5xx, a gateway page, or a crashing route's `{error}`.
    ServerError,
    /// `successful: false`.
    Rejected,
    /// An answer that could not be read.
    BadResponse,
    /// No answer: refused, broken, or redirected elsewhere.
    Unreachable,
    /// The session was refused; the batch stops there.
    Unauthorized,
    Other,
}

impl ErrorKind {
    /// As the summary table names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Input => "invalid input",
            Self::InvalidNumber => "invalid number",
            Self::Timeout => "timeout",
            Self::RateLimited => "429 rate limited",
            Self::ServerError => "5xx / crash",
            Self::Rejected => "rejected",
            Self::BadResponse => "bad response",
            Self::Unreachable => "unreachable",
            Self::Unauthorized => "unauthorized",
            Self::Other => "other",
        }
    }

    pub fn of(e: &ClientError) -> Self {
        match e {
            ClientError::Timeout { .. } => Self::Timeout,
            ClientError::RateLimited { .. } => Self::RateLimited,
            ClientError::ServerError { .. } | ClientError::Gateway { .. } => Self::ServerError,
            ClientError::Rejected { .. } => Self::Rejected,
            ClientError::BadResponse { .. } | ClientError::TooLarge { .. } => Self::BadResponse,
            ClientError::Unreachable { .. }
            | ClientError::Interrupted { .. }
            | ClientError::Redirected { .. } => Self::Unreachable,
            ClientError::Unauthorized { .. } | ClientError::NotSignedIn { .. } => {
                Self::Unauthorized
            }
            ClientError::Invalid(_) | ClientError::Cancelled { .. } => Self::Other,
        }
    }
}

/// One number's outcome: small, so a long batch can stream them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberResult {
    /// The line of the input (from 1).
    pub line: usize,
    /// As written.
    pub input: String,
    /// The E.164 number sent; none for an input error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Contacts found, without the "Create new contact..." row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<usize>,
    /// True when the answer carried the create row.
    pub create_row: bool,
    /// The connector's message, or what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The connector's time for this lookup: none for an input error, 0 for an answer from the
    /// client's contact cache (nothing was sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
    /// Answered from the client's contact cache (mirror mode): no request was sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorKind>,
    pub lint_errors: usize,
    pub lint_warnings: usize,
    /// The redacted exchange, for failures only.
    #[serde(skip)]
    pub exchange: Option<Box<Exchange>>,
}

impl NumberResult {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// The result of a number the client answers from its contact cache.
    fn from_cache(line: usize, input: String, number: String, cached: Cached) -> Self {
        Self {
            line,
            input,
            number: Some(number),
            status: None,
            matches: Some(cached.matches),
            create_row: cached.create_row,
            message: None,
            ms: Some(0),
            cached: true,
            error: None,
            lint_errors: 0,
            lint_warnings: 0,
            exchange: None,
        }
    }
}

/// Per-millisecond latency counts: exact percentiles at 1 ms resolution, sized by the slowest
/// answer rather than by the number of answers.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    counts: Vec<u32>,
    total: u64,
}

impl Latencies {
    pub fn add(&mut self, ms: u64) {
        let i = usize::try_from(ms).unwrap_or(usize::MAX).min(10_000_000);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] = self.counts[i].saturating_add(1);
        self.total += 1;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The smallest latency at or under which `q` (0..=1) of the answers fall.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (ms, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return Some(ms as u64);
            }
        }
        self.max()
    }

    pub fn max(&self) -> Option<u64> {
        self.counts.iter().rposition(|&c| c > 0).map(|i| i as u64)
    }

    /// `(ms, count)` for every millisecond that had answers, for a histogram.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(ms, &c)| (ms as u64, c))
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSummary {
    #[serde(flatten)]
    pub mode: Mode,
    /// Numbers read (input errors included).
    pub count: usize,
    /// Lookups sent.
    pub sent: usize,
    /// Numbers the client answered from its contact cache (mirror mode): not sent, counted as
    /// ok, left out of the latencies.
    pub cached: usize,
    /// Numbers without an error (cached ones included).
    pub ok: usize,
    /// Failed numbers, input errors included.
    pub errors: usize,
    pub errors_by_kind: BTreeMap<ErrorKind, usize>,
    /// Answers with at least one error-level contract lint (these still count as ok).
    pub lint_errors: usize,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub max_ms: Option<u64>,
    pub elapsed_ms: u64,
    /// Lookups sent per second of the run (cached numbers are not lookups sent).
    pub per_second: f64,
    /// Why the batch stopped before the end of the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The first failures (at most `keep_failures`).
    pub failures: Vec<NumberResult>,
    #[serde(skip)]
    pub latencies: Latencies,
}

impl BatchSummary {
    pub fn rate_limited(&self) -> usize {
        self.errors_by_kind
            .get(&ErrorKind::RateLimited)
            .copied()
            .unwrap_or(0)
    }
}

/// The number a line carries: `#` comments and blank lines carry none; in a CSV line, the first
/// field (quotes removed).
pub fn number_on(line: &str) -> Option<&str> {
    let t = line.trim().trim_start_matches('\u{feff}');
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let first = t
        .split(',')
        .next()
        .unwrap_or(t)
        .trim()
        .trim_matches('"')
        .trim();
    (!first.is_empty()).then_some(first)
}

/// Everything a worker needs.
struct Lookup {
    client: Arc<AppConnectClient>,
    platform: Platform,
    overriding_format: String,
}

impl Lookup {
    /// One number, as the client looks it up: from `cache` when it holds the number (mirror mode),
    /// else with a request, whose answer then fills the cache as the client's does.
    async fn run_cached(
        &self,
        line: usize,
        input: String,
        number: phone::LookupNumber,
        cache: Option<&mut ContactCache>,
    ) -> NumberResult {
        let Some(cache) = cache else {
            return self.run(line, input, number, None).await;
        };
        if let Some(cached) = cache.get(&number.e164) {
            return NumberResult::from_cache(line, input, number.e164, cached);
        }
        let e164 = number.e164.clone();
        let mut rows = None;
        let r = self.run(line, input, number, Some(&mut rows)).await;
        cache.remember(&e164, rows.as_deref());
        r
    }

    /// One request. `rows` receives the answer's contacts when it was successful (for the cache).
    async fn run(
        &self,
        line: usize,
        input: String,
        number: phone::LookupNumber,
        rows: Option<&mut Option<Vec<crate::wire::ContactInfo>>>,
    ) -> NumberResult {
        // The answer is parsed once (a lean record): its JSON serves the lints and the toast,
        // and the record's text is written only for a failure, the one record kept.
        let (mut called, shown) = self
            .client
            .find_contact_lean(&number.e164, &self.overriding_format, number.is_extension)
            .await;
        let lints = match &shown {
            // What `lint::for_json` gives a lean lookup, always `GET /contact`, without reading
            // the route back out of the recorded URL.
            Some(body) => lint::find_contact(body, Some(&self.platform)),
            None => lint::for_exchange(&called.exchange, Some(&self.platform)),
        };
        let lint_errors = lints.iter().filter(|l| l.level == LintLevel::Error).count();
        let mut r = NumberResult {
            line,
            input,
            number: Some(number.e164),
            status: called.exchange.status,
            matches: None,
            create_row: false,
            message: None,
            ms: Some(called.exchange.elapsed_ms),
            cached: false,
            error: None,
            lint_errors,
            lint_warnings: lints.len() - lint_errors,
            exchange: None,
        };
        let ok_status = called
            .exchange
            .status
            .is_some_and(|s| (200..300).contains(&s));
        let (toast, _) = match &shown {
            Some(body) => crate::flow::lookup_toast_for(ok_status.then_some(body), &called.result),
            None => crate::flow::lookup_toast(&called.exchange, &called.result),
        };
        match called.result {
            Ok(resp) => {
                let is_create =
                    |c: &crate::wire::ContactInfo| c.is_create_row() || c.is_new_contact;
                r.matches = Some(resp.contact.iter().filter(|c| !is_create(c)).count());
                r.create_row = resp.contact.iter().any(is_create);
                r.message = toast.and_then(|m| m.message);
                if let Some(rows) = rows {
                    *rows = Some(resp.contact);
                }
            }
            Err(e) => {
                r.error = Some(ErrorKind::of(&e));
                r.message = Some(match &e {
                    ClientError::Rejected {
                        message: Some(m), ..
                    } => format!("rejected: {m}"),
                    other => other.to_string(),
                });
                if let Some(body) = &shown {
                    called.exchange.response_body = Some(crate::client::shown_body(body));
                }
                r.exchange = Some(Box::new(called.exchange));
            }
        }
        r
    }
}

/// Runs findContact for every number of `input` with `client` (signed in), calling `on_result`
/// for each number as its answer arrives (in completion order under concurrency). Input errors
/// are reported, not sent. A refused session stops the batch (the rest would fail the same way).
pub async fn run<R, F>(
    client: Arc<AppConnectClient>,
    platform: &Platform,
    input: R,
    options: &BatchOptions,
    mut on_result: F,
) -> Result<BatchSummary, UserError>
where
    R: AsyncBufRead + Unpin + Send + 'static,
    F: FnMut(&NumberResult),
{
    let formats = phone::clean_formats(&options.formats)?;
    let concurrency = options.mode.concurrency();
    let lookup = Arc::new(Lookup {
        client,
        platform: platform.clone(),
        overriding_format: phone::overriding_format_param(&formats),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let (job_tx, job_rx) = mpsc::channel::<(usize, String, phone::LookupNumber)>(concurrency * 2);
    let (result_tx, mut result_rx) = mpsc::channel::<NumberResult>(concurrency * 4);
    let started = Instant::now();

    // The reader: one line at a time, as the workers take them.
    let reader = {
        let result_tx = result_tx.clone();
        let stop = stop.clone();
        let region = options.region.clone();
        tokio::spawn(async move {
            let mut input = input;
            let mut buf = Vec::new();
            let mut line = 0usize;
            loop {
                if stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                buf.clear();
                match input.read_until(b'\n', &mut buf).await {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(format!("could not read the numbers after line {line}: {e}"))
                    }
                }
                line += 1;
                let text = String::from_utf8_lossy(&buf);
                let Some(raw) = number_on(&text) else {
                    continue;
                };
                let raw = raw.to_owned();
                let sent = match phone::lookup_number(&raw, region.as_deref()) {
                    Ok(n) => job_tx.send((line, raw, n)).await.is_ok(),
                    Err(e) => {
                        let kind = match e {
                            phone::PhoneError::NotValid { .. } => ErrorKind::InvalidNumber,
                            _ => ErrorKind::Input,
                        };
                        let r = NumberResult {
                            line,
                            input: raw,
                            number: None,
                            status: None,
                            matches: None,
                            create_row: false,
                            message: Some(UserError::from(e).message),
                            ms: None,
                            cached: false,
                            error: Some(kind),
                            lint_errors: 0,
                            lint_warnings: 0,
                            exchange: None,
                        };
                        result_tx.send(r).await.is_ok()
                    }
                };
                if !sent {
                    return Ok(());
                }
            }
        })
    };

    // The workers: each takes the next number when its lookup is done.
    let job_rx = Arc::new(Mutex::new(job_rx));
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let job_rx = job_rx.clone();
        let result_tx = result_tx.clone();
        let lookup = lookup.clone();
        let stop = stop.clone();
        // Mirror mode has one worker, so the cache sees the numbers in the input's order.
        let mut cache = (options.mode == Mode::Mirror).then(ContactCache::default);
        workers.push(tokio::spawn(async move {
            loop {
                let job = job_rx.lock().await.recv().await;
                let Some((line, input, number)) = job else {
                    return;
                };
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let r = lookup.run_cached(line, input, number, cache.as_mut()).await;
                if r.error == Some(ErrorKind::Unauthorized) {
                    stop.store(true, Ordering::Relaxed);
                }
                if result_tx.send(r).await.is_err() {
                    return;
                }
            }
        }));
    }
    drop(result_tx);

    let mut summary = BatchSummary {
        mode: options.mode,
        count: 0,
        sent: 0,
        cached: 0,
        ok: 0,
        errors: 0,
        errors_by_kind: BTreeMap::new(),
        lint_errors: 0,
        p50_ms: None,
        p95_ms: None,
        max_ms: None,
        elapsed_ms: 0,
        per_second: 0.0,
        stopped: None,
        failures: Vec::new(),
        latencies: Latencies::default(),
    };
    while let Some(r) = result_rx.recv().await {
        on_result(&r);
        summary.count += 1;
        if r.cached {
            summary.cached += 1;
        } else if let Some(ms) = r.ms {
            summary.sent += 1;
            summary.latencies.add(ms);
        }
        if r.lint_errors > 0 {
            summary.lint_errors += 1;
        }
        match r.error {
            None => summary.ok += 1,
            Some(kind) => {
                summary.errors += 1;
                *summary.errors_by_kind.entry(kind).or_default() += 1;
                if kind == ErrorKind::Unauthorized && summary.stopped.is_none() {
                    summary.stopped = Some(format!(
                        "Stopped at line {}: {}",
                        r.line,
                        r.message
                            .as_deref()
                            .unwrap_or("the server refused the session")
                    ));
                }
                if summary.failures.len() < options.keep_failures {
                    summary.failures.push(r);
                }
            }
        }
    }
    for w in workers {
        let _ = w.await;
    }
    match reader.await {
        Ok(Err(e)) if summary.stopped.is_none() => summary.stopped = Some(e),
        Err(e) if summary.stopped.is_none() => {
            summary.stopped = Some(format!("the input reader failed: {e}"))
        }
        _ => {}
    }
    let elapsed = started.elapsed();
    summary.elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    summary.per_second = if elapsed.as_secs_f64() > 0.0 {
        summary.sent as f64 / elapsed.as_secs_f64()
    } else {
        0.0
    };
    summary.p50_ms = summary.latencies.quantile(0.50);
    summary.p95_ms = summary.latencies.quantile(0.95);
    summary.max_ms = summary.latencies.max();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_numbers_comments_and_csv_fields() {
        assert_eq!(number_on("  +14155550100 \r\n"), Some("+14155550100"));
        assert_eq!(number_on("# a comment"), None);
        assert_eq!(number_on("   "), None);
        assert_eq!(
            number_on("\"+1 415 555 0100\",Ada"),
            Some("+1 415 555 0100")
        );
    }

    fn row(id: &str, name: &str, flagged: bool) -> crate::wire::ContactInfo {
        crate::wire::ContactInfo {
            id: id.to_owned(),
            name: Some(name.to_owned()),
            is_new_contact: flagged,
            ..crate::wire::ContactInfo::default()
        }
    }

    #[test]
    fn the_contact_cache_keeps_numbers_that_matched_a_real_contact() {
        let ada = row("7", "Ada", false);
        let create = row("createNewContact", "Create new contact...", true);
        let mut cache = ContactCache::default();
        assert_eq!(
            cache.get("+14155550100"),
            None,
            "an empty cache serves nothing"
        );

        // A failed lookup, an empty list, or only the create row: asked again next time.
        cache.remember("+14155550101", None);
        cache.remember("+14155550102", Some(&[]));
        cache.remember("+14155550103", Some(std::slice::from_ref(&create)));
        // The create flag is what the client drops, whatever the id.
        cache.remember("+14155550104", Some(&[row("99", "Flagged", true)]));
        assert!(
            cache.is_empty(),
            "nothing without a row lacking isNewContact is kept: {cache:?}"
        );

        // A real match (with the create row beside it): served next time, without the create row.
        cache.remember("+14155550100", Some(&[ada.clone(), create.clone()]));
        assert_eq!(
            cache.get("+14155550100"),
            Some(Cached {
                matches: 1,
                create_row: false
            })
        );
        assert_eq!(cache.get("+14155550101"), None);

        // The create row's id without the flag is kept, as the client keeps it.
        cache.remember(
            "+14155550105",
            Some(&[row("createNewContact", "Create", false)]),
        );
        assert_eq!(
            cache.get("+14155550105"),
            Some(Cached {
                matches: 0,
                create_row: true
            })
        );

        // A later failure does not evict what the client holds.
        cache.remember("+14155550100", None);
        assert!(cache.get("+14155550100").is_some());
        assert_eq!(cache.len(), 2);
    }

    /// Answers GET /contact by number: ADA matches, NOBODY finds only the create row, BROKEN
    /// answers HTTP 500. Counts the requests per number.
    async fn counting_server(
        seen: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    ) -> Arc<AppConnectClient> {
        use tokio::io::AsyncWriteExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Some(req) = crate::test_http::read_request(&mut stream).await else {
                        return;
                    };
                    let target = req.target().to_owned();
                    let number = url::Url::parse(&format!("http://x{target}"))
                        .ok()
                        .and_then(|u| {
                            u.query_pairs()
                                .find(|(k, _)| k == "phoneNumber")
                                .map(|(_, v)| v.into_owned())
                        })
                        .unwrap_or_default();
                    *seen.lock().unwrap().entry(number.clone()).or_default() += 1;
                    let create = r#"{"id":"createNewContact","name":"Create new contact...","isNewContact":true}"#;
                    match number.as_str() {
                        ADA => {
                            let body = format!(
                                r#"{{"successful":true,"contact":[{{"id":"7","name":"Ada Lovelace","type":"contact"}},{create}]}}"#
                            );
                            crate::test_http::answer_json(&mut stream, &body).await;
                        }
                        BROKEN => {
                            let body = r#"{"error":"boom"}"#;
                            let head = format!(
                                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = stream.write_all(head.as_bytes()).await;
                            let _ = stream.write_all(body.as_bytes()).await;
                        }
                        _ => {
                            let body = format!(r#"{{"successful":true,"contact":[{create}]}}"#);
                            crate::test_http::answer_json(&mut stream, &body).await;
                        }
                    }
                });
            }
        });
        let client = AppConnectClient::new(&url, "sandbox", None).unwrap();
        client.set_jwt(Some(crate::sensitive::Sensitive::new("t0ken".to_owned())));
        Arc::new(client)
    }

    const ADA: &str = "+14155550100";
    const NOBODY: &str = "+14155550111";
    const BROKEN: &str = "+14155550122";

    /// Runs `lines` against a counting server: the results by line, the summary, and how many
    /// requests each number reached the server with.
    async fn run_lines(
        mode: Mode,
        lines: &[&str],
    ) -> (Vec<NumberResult>, BatchSummary, HashMap<String, usize>) {
        let seen = Arc::new(std::sync::Mutex::new(HashMap::new()));
        let client = counting_server(seen.clone()).await;
        let input = lines.join("\n");
        let options = BatchOptions {
            mode,
            ..BatchOptions::default()
        };
        let mut results = Vec::new();
        let summary = run(
            client,
            &Platform::default(),
            std::io::Cursor::new(input.into_bytes()),
            &options,
            |r| results.push(r.clone()),
        )
        .await
        .unwrap();
        results.sort_by_key(|r| r.line);
        let seen = seen.lock().unwrap().clone();
        (results, summary, seen)
    }

    async fn run_batch(mode: Mode) -> (Vec<NumberResult>, BatchSummary, HashMap<String, usize>) {
        run_lines(mode, &[ADA, NOBODY, ADA, BROKEN, NOBODY, BROKEN, ADA]).await
    }

    #[tokio::test]
    async fn mirror_mode_answers_repeated_matches_from_the_cache() {
        let (results, summary, seen) = run_batch(Mode::Mirror).await;
        assert_eq!(
            seen.get(ADA),
            Some(&1),
            "a number that matched is asked once, then served from the cache: {seen:?}"
        );
        assert_eq!(
            seen.get(NOBODY),
            Some(&2),
            "a number with only the create row is asked every time: {seen:?}"
        );
        assert_eq!(
            seen.get(BROKEN),
            Some(&2),
            "a failed number is asked every time: {seen:?}"
        );
        let cached: Vec<usize> = results
            .iter()
            .filter(|r| r.cached)
            .map(|r| r.line)
            .collect();
        assert_eq!(cached, vec![3, 7], "the repeats of Ada are the cached ones");
        let hit = &results[2];
        assert_eq!(hit.matches, Some(1), "the cache serves Ada's one contact");
        assert!(!hit.create_row, "the client does not cache the create row");
        assert_eq!(hit.ms, Some(0));
        assert_eq!(hit.status, None, "nothing was sent");
        assert!(hit.ok());
        assert!(!results[0].cached && results[0].ms.is_some());
        assert_eq!(summary.count, 7);
        assert_eq!(summary.cached, 2);
        assert_eq!(summary.sent, 5, "only the requests actually sent");
        assert_eq!(
            summary.latencies.count(),
            5,
            "cached numbers have no latency"
        );
        assert_eq!(summary.ok, 5, "cached numbers count as ok");
        assert_eq!(summary.errors, 2);
        let json = serde_json::to_value(hit).unwrap();
        assert_eq!(json["cached"], true, "{json}");
        assert!(
            serde_json::to_value(&results[0])
                .unwrap()
                .get("cached")
                .is_none(),
            "only cached rows say so"
        );
    }

    #[tokio::test]
    async fn invalid_numbers_are_reported_and_never_sent() {
        for mode in [Mode::Mirror, Mode::Concurrent(2)] {
            // Too few digits, not a number, a digit too many: refused, never sent.
            let lines = [ADA, "+12025018", "not a number", "+1 415 555 01000", NOBODY];
            let (results, summary, seen) = run_lines(mode, &lines).await;
            assert_eq!(
                seen.keys()
                    .map(String::as_str)
                    .collect::<std::collections::BTreeSet<_>>(),
                [ADA, NOBODY].into(),
                "only the valid numbers reach the server ({mode:?}): {seen:?}"
            );
            let kinds: Vec<Option<ErrorKind>> = results.iter().map(|r| r.error).collect();
            assert_eq!(
                kinds,
                [
                    None,
                    Some(ErrorKind::InvalidNumber),
                    Some(ErrorKind::Input),
                    Some(ErrorKind::InvalidNumber),
                    None
                ]
            );
            let invalid = &results[1];
            assert_eq!(
                (invalid.number.as_deref(), invalid.status, invalid.ms),
                (None, None, None)
            );
            let message = invalid.message.as_deref().unwrap_or_default();
            assert!(
                message.starts_with("Not a valid phone number for US: \"+12025018\"")
                    && message.contains("Nothing was sent"),
                "{message}"
            );
            assert_eq!(
                (summary.count, summary.sent, summary.ok, summary.errors),
                (5, 2, 2, 3)
            );
            assert_eq!(
                summary.errors_by_kind,
                BTreeMap::from([(ErrorKind::Input, 1), (ErrorKind::InvalidNumber, 2)])
            );
            assert_eq!(ErrorKind::InvalidNumber.label(), "invalid number");
            assert_eq!(
                serde_json::to_value(invalid).unwrap()["error"],
                "invalidNumber"
            );
        }
    }

    #[tokio::test]
    async fn stress_mode_sends_every_number() {
        let (results, summary, seen) = run_batch(Mode::Concurrent(1)).await;
        assert_eq!(seen.get(ADA), Some(&3), "no cache in stress mode: {seen:?}");
        assert!(results.iter().all(|r| !r.cached));
        assert_eq!((summary.sent, summary.cached), (7, 0));
    }

    #[test]
    fn quantiles_are_exact_per_millisecond() {
        let mut l = Latencies::default();
        assert_eq!(l.quantile(0.5), None);
        for ms in 1..=100 {
            l.add(ms);
        }
        assert_eq!(l.quantile(0.5), Some(50));
        assert_eq!(l.quantile(0.95), Some(95));
        assert_eq!(l.max(), Some(100));
        assert_eq!(l.quantile(1.0), Some(100));
        l.add(0);
        assert_eq!(l.buckets().next(), Some((0, 1)));
        assert_eq!(l.count(), 101);
    }
}
