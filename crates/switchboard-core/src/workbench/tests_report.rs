//! The exported report through the engine: every flow of the session, each request under the
//! profile and server it was made with, bodies and lints, Markdown and HTML, and no secret in
//! either, against loopback servers that echo their secrets back.

use super::resend::tests::{phone, signed_in, Server};
use super::SignIn;
use crate::report::ReportFormat;

#[tokio::test]
async fn the_report_holds_every_flow_and_request_with_its_server_and_no_secret() {
    let a = Server::start("a").await;
    let b = Server::start("b").await;
    let (wb, _dir) = signed_in(&a, "a").await;
    wb.flow_start(&phone("+14155550100")).await.unwrap();
    wb.flow_start(&phone("+16505550123")).await.unwrap();
    wb.set_server_url(&b.url).await.unwrap();
    wb.sign_in(SignIn {
        fields: vec![("apiKey".into(), "sk-b-secret".into())],
        hostname: None,
        remember: true,
    })
    .await
    .unwrap();
    wb.find_contact(&phone("+14155550100")).await.unwrap();

    let (md, name) = wb.report(ReportFormat::Markdown).await;
    assert!(name.ends_with(".md"), "{name}");
    let (page, name) = wb.report(ReportFormat::Html).await;
    assert!(name.ends_with(".html"), "{name}");
    for (format, text) in [("markdown", &md), ("html", &page)] {
        for secret in ["sk-a-secret", "sk-b-secret", "token-of-a", "token-of-b"] {
            assert!(
                !text.contains(secret),
                "{format}: {secret} is in the report:\n{text}"
            );
        }
        assert!(
            text.contains("Flow 1 for +14155550100") && text.contains("Flow 2 for +16505550123"),
            "{format}: every flow of the session, not only the last:\n{text}"
        );
        for server in [&a.url, &b.url] {
            assert!(
                text.contains(&format!("server {server}")),
                "{format}: requests to {server} are under their own server:\n{text}"
            );
        }
        assert!(
            text.contains("Ada at a") && text.contains("Ada at b"),
            "{format}: response bodies are in the report:\n{text}"
        );
    }
    assert!(
        md.contains("5 request(s)"),
        "two sign-ins, two flow lookups and a lookup:\n{md}"
    );
    assert!(md.contains("Request body:\n\n```json"), "{md}");
    assert!(
        page.contains("<details><summary>Response body</summary><pre>"),
        "{page}"
    );
}
