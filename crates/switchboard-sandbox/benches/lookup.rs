//! One findContact round trip, client → sandbox → client, over loopback: the floor of what a person
//! waits for per lookup. `cargo bench -p switchboard-sandbox`; figures in docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, Criterion};
use switchboard_core::client::AppConnectClient;
use switchboard_core::Sensitive;
use switchboard_sandbox::{Sandbox, SandboxConfig};

fn lookup(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sandbox, client) = rt.block_on(async {
        let sb = Sandbox::start("127.0.0.1:0".parse().unwrap(), SandboxConfig::default())
            .await
            .unwrap();
        let client = AppConnectClient::new(&sb.url(), "sandbox", None).unwrap();
        let key = Sensitive::from("demo");
        client.api_key_login(&key, "h", &[]).await.result.unwrap();
        (sb, client)
    });
    c.bench_function("findContact round trip, one match", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .find_contact("+14155550100", "", false)
                .await
                .result
                .unwrap()
        })
    });
    c.bench_function("findContact round trip, three formats, no match", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .find_contact(
                    "+12025550999",
                    "(***) ***-****,***.***.****,+1 *** *** ****",
                    false,
                )
                .await
                .result
                .unwrap()
        })
    });
    drop(sandbox);
}

criterion_group!(benches, lookup);
criterion_main!(benches);
