//! The sandbox as a test target: `--latency`, `--error-rate` and `--rate-limit` on the data
//! routes, seen through Switchboard's own client, with the rate limit's windows on a manual clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::client::{AppConnectClient, ClientError};
use switchboard_core::Sensitive;
use switchboard_sandbox::faults::parse_error_rate;
use switchboard_sandbox::{Faults, Latency, ManualClock, RateLimit, Sandbox, SandboxConfig};

const ADA: &str = "+14155550100";

async fn start(faults: Faults, clock: Option<Arc<ManualClock>>) -> (Sandbox, AppConnectClient) {
    let mut config = SandboxConfig {
        faults,
        ..SandboxConfig::default()
    };
    if let Some(c) = clock {
        config.clock = c;
    }
    let sb = Sandbox::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
    // Sign-in is never faulted, whatever the sandbox injects.
    client
        .api_key_login(&Sensitive::from("demo"), "h", &[])
        .await
        .result
        .expect("sign-in is not faulted");
    (sb, client)
}

#[test]
fn flags_parse_and_refuse_with_the_fix() {
    assert_eq!("100".parse::<Latency>().unwrap(), Latency::fixed(100));
    assert_eq!(
        "50..200".parse::<Latency>().unwrap(),
        Latency {
            min_ms: 50,
            max_ms: 200
        }
    );
    assert!("200..50"
        .parse::<Latency>()
        .unwrap_err()
        .contains("50..200"));
    assert!("fast"
        .parse::<Latency>()
        .unwrap_err()
        .contains("such as 100"));
    assert_eq!("20/s".parse::<RateLimit>().unwrap().per_sec, 20);
    assert_eq!("20".parse::<RateLimit>().unwrap().per_sec, 20);
    assert!("0/s".parse::<RateLimit>().is_err());
    assert_eq!(parse_error_rate("0.25").unwrap(), 0.25);
    assert!(parse_error_rate("1.5")
        .unwrap_err()
        .contains("between 0 and 1"));
    assert_eq!(Faults::default().describe(), "none");
}

#[tokio::test]
async fn latency_delays_data_routes_only() {
    let faults = Faults {
        latency: Some("120..160".parse().unwrap()),
        ..Faults::default()
    };
    let (_sb, client) = start(faults, None).await;
    for _ in 0..3 {
        let started = Instant::now();
        let called = client.find_contact(ADA, "", false).await;
        assert!(called.result.is_ok(), "{:?}", called.result);
        assert!(started.elapsed() >= Duration::from_millis(120));
        assert!(
            called.exchange.elapsed_ms >= 120,
            "{}",
            called.exchange.elapsed_ms
        );
    }
    let started = Instant::now();
    assert_eq!(client.is_alive().await.result, Ok(true));
    assert!(started.elapsed() < Duration::from_millis(120));
}

#[tokio::test]
async fn error_rate_fails_exactly_that_share_with_500_error() {
    let faults = Faults {
        error_rate: 0.25,
        ..Faults::default()
    };
    let (_sb, client) = start(faults, None).await;
    let mut failed = 0;
    for _ in 0..40 {
        let called = client.find_contact(ADA, "", false).await;
        match called.result {
            Ok(r) => assert_eq!(r.contact.len(), 2),
            Err(ClientError::ServerError { status, detail }) => {
                assert_eq!(status, 500);
                assert!(detail.contains("--error-rate"), "{detail}");
                failed += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(failed, 10);

    let (_sb, client) = start(
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
        None,
    )
    .await;
    for _ in 0..5 {
        let called = client.find_contact(ADA, "", false).await;
        assert_eq!(called.exchange.status, Some(500));
    }
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_past_n_per_second() {
    let clock = Arc::new(ManualClock::starting_now());
    let faults = Faults {
        rate_limit: Some("3/s".parse().unwrap()),
        ..Faults::default()
    };
    let (_sb, client) = start(faults, Some(clock.clone())).await;
    let mut counts = (0, 0);
    for _ in 0..10 {
        let called = client.find_contact(ADA, "", false).await;
        match called.result {
            Ok(_) => counts.0 += 1,
            Err(ClientError::RateLimited { retry_after }) => {
                assert_eq!(retry_after.as_deref(), Some("1 s"));
                assert!(called
                    .exchange
                    .response_headers
                    .iter()
                    .any(|(k, v)| k == "retry-after" && v == "1"));
                counts.1 += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(counts, (3, 7));
    // The next second is a new window.
    clock.advance(1);
    for _ in 0..3 {
        assert!(client.find_contact(ADA, "", false).await.result.is_ok());
    }
    assert!(matches!(
        client.find_contact(ADA, "", false).await.result,
        Err(ClientError::RateLimited { .. })
    ));
}
