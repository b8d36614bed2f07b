//! The client and manifest loader against servers that misbehave, over loopback: a manifest served
//! by URL (good, missing, broken), a body that is not JSON, a server that never answers. Each gives a
//! clear error naming the problem, never a panic or a hang.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use switchboard_core::client::{AppConnectClient, ClientError};
use switchboard_core::error::ErrorCode;
use switchboard_core::manifest::{self, ManifestError, ManifestSource};
use switchboard_core::Sensitive;
use switchboard_sandbox::{Sandbox, SandboxConfig};
use tokio::net::TcpListener;

async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn manifests_load_from_a_url_and_failures_say_why() {
    let base = serve(
        Router::new()
            .route("/m.json", get(|| async { manifest::SANDBOX_MANIFEST }))
            .route("/broken.json", get(|| async { "{\"platforms\": {" }))
            .route(
                "/gone.json",
                get(|| async { (StatusCode::NOT_FOUND, "no") }),
            ),
    )
    .await;
    let loaded = manifest::load(&ManifestSource::parse(&format!("{base}/m.json")))
        .await
        .unwrap();
    assert_eq!(loaded.manifest.platform_names(), ["sandbox"]);
    assert_eq!(loaded.source, format!("{base}/m.json"));

    let e = manifest::load(&ManifestSource::parse(&format!("{base}/gone.json")))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ManifestError::HttpStatus { status: 404, .. }),
        "{e}"
    );
    let e = manifest::load(&ManifestSource::parse(&format!("{base}/broken.json")))
        .await
        .unwrap_err();
    assert!(matches!(e, ManifestError::Json { line: 1, .. }), "{e}");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let e = manifest::load(&ManifestSource::parse(&format!("http://{closed}/m.json")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("connection refused"), "{e}");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_bad_response_with_the_body_kept() {
    let base = serve(Router::new().route(
        "/contact",
        get(|| async { "<html>Internal proxy page</html>" }),
    ))
    .await;
    let client = AppConnectClient::new(&base, "x", None).unwrap();
    client.set_jwt(Some(Sensitive::from("t0ken-value")));
    let called = client.find_contact("+14155550100", "", false).await;
    let e = called.result.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadResponse);
    assert!(e.to_string().contains("not JSON"), "{e}");
    assert_eq!(
        called.exchange.response_body.as_deref(),
        Some("<html>Internal proxy page</html>")
    );
    assert!(
        !format!("{:?}", called.exchange).contains("t0ken-value"),
        "the token is not recorded"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_instead_of_hanging() {
    // Accepts connections and reads nothing back: the worst kind of slow server.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = AppConnectClient::new(
        &format!("http://{addr}"),
        "x",
        Some(Duration::from_millis(400)),
    )
    .unwrap();
    let started = Instant::now();
    let e = client.is_alive().await.result.unwrap_err();
    assert!(matches!(e, ClientError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("requestConfig.timeout"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout bounds the wait"
    );
}

#[tokio::test]
async fn liveness_and_implemented_interfaces() {
    let sb = Sandbox::start("127.0.0.1:0".parse().unwrap(), SandboxConfig::default())
        .await
        .unwrap();
    let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
    assert!(client.is_alive().await.result.unwrap());
    let called = client.implemented_interfaces().await;
    assert!(
        called
            .exchange
            .url
            .ends_with("/implementedInterfaces?platform=sandbox"),
        "{}",
        called.exchange.url
    );
    let interfaces = called.result.unwrap();
    assert_eq!(interfaces["findContact"], true);
    assert_eq!(interfaces["createContact"], true);
    let other = AppConnectClient::new(&sb.url(), "nope", None).unwrap();
    assert_eq!(
        other.implemented_interfaces().await.result.unwrap()["findContact"],
        false
    );
}
