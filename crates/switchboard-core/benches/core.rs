//! What runs on every keystroke and every manifest load: phone parsing and format expansion,
//! manifest parsing, and the manifest checker on large files. `cargo bench -p switchboard-core`;
//! figures in docs/PERFORMANCE.md.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use switchboard_core::{check, manifest, phone};

fn phone_benches(c: &mut Criterion) {
    let formats: Vec<String> = ["(***) ***-****", "***.***.****", "+1 *** *** ****"]
        .map(String::from)
        .to_vec();
    c.bench_function("phone/parse_input national with region", |b| {
        b.iter(|| phone::parse_input(black_box("(415) 555-0100"), Some("US")).unwrap())
    });
    c.bench_function("phone/parse_input tel URI", |b| {
        b.iter(|| phone::parse_input(black_box("tel:+44-20-7183-8750;ext=1"), None).unwrap())
    });
    let parsed = phone::parse_e164("+14155550100").unwrap();
    c.bench_function("phone/expand three formats", |b| {
        b.iter(|| phone::expand(black_box(&parsed), black_box(&formats)))
    });
}

fn manifest_benches(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/manifests");
    c.bench_function("manifest/parse bundled sandbox", |b| {
        b.iter(|| manifest::parse(black_box(manifest::SANDBOX_MANIFEST)).unwrap())
    });
    for name in ["pipedrive", "bullhorn"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        c.bench_function(
            &format!("manifest/parse {name} ({} KB)", text.len() / 1024),
            |b| b.iter(|| manifest::parse(black_box(&text)).unwrap()),
        );
    }
}

/// A one-line (minified) manifest of about `bytes` whose one platform has a call-log field of an
/// unknown type every 50 bytes: one error each, all on line 1.
fn one_line_manifest(bytes: usize) -> String {
    let mut s = String::from(
        r#"{"serverUrl":"https://x.example.com","platforms":{"p":{"name":"p","auth":{"type":"apiKey","apiKey":{"page":{"title":"t","content":[{"const":"apiKey","title":"Key","type":"string","required":true}]}}},"page":{"callLog":{"additionalFields":["#,
    );
    let mut i = 0;
    while s.len() < bytes {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"const":"f{i}","title":"Field {i}","type":"dropdown"}}"#
        ));
        i += 1;
    }
    s.push_str("]}}}}}");
    s
}

/// A pretty-printed manifest of about `bytes` with one small OAuth platform every 300 bytes, each
/// with a malformed contact type, an unknown URL placeholder and no call-log fields.
fn many_platforms_manifest(bytes: usize) -> String {
    let mut s =
        String::from("{\n  \"serverUrl\": \"https://x.example.com\",\n  \"platforms\": {\n");
    let mut i = 0;
    while s.len() < bytes {
        if i > 0 {
            s.push_str(",\n");
        }
        s.push_str(&format!("    \"crm{i}\": {{\n      \"name\": \"crm{i}\",\n      \"auth\": {{ \"type\": \"oauth\", \"oauth\": {{ \"authUrl\": \"https://crm.example.com/auth\", \"clientId\": \"c{i}\" }} }},\n      \"contactTypes\": [{{ \"id\": 1, \"name\": \"Lead\" }}],\n      \"contactPageUrl\": \"https://{{hostname}}/c/{{id}}\"\n    }}"));
        i += 1;
    }
    s.push_str("\n  }\n}\n");
    s
}

/// `manifest check` on what a generator or a bad merge produces: large, minified, with tens of
/// thousands of findings (of which 200 are reported).
fn check_benches(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/manifests");
    let bullhorn = std::fs::read_to_string(dir.join("bullhorn.json")).unwrap();
    c.bench_function("check/bullhorn (10 KB)", |b| {
        b.iter(|| check::check(black_box(&bullhorn)))
    });
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    let one_line = one_line_manifest(5_000_000);
    group.bench_function("one-line manifest (5 MB, 85k findings)", |b| {
        b.iter(|| check::check(black_box(&one_line)))
    });
    let many = many_platforms_manifest(6_000_000);
    group.bench_function("20k platforms (6 MB, 67k findings)", |b| {
        b.iter(|| check::check(black_box(&many)))
    });
    group.finish();
}

/// Saving a profile change: validate, write a temporary file, fsync, rename. Runs on every edit.
fn profile_benches(c: &mut Criterion) {
    use switchboard_core::profile::{Profile, Profiles};
    let dir = tempfile::tempdir().unwrap();
    let (mut profiles, _) = Profiles::open(&dir.path().join("profiles.json"));
    for i in 0..9 {
        profiles
            .create(Profile {
                name: format!("Profile {i}"),
                colour: String::new(),
                ..Profile::default()
            })
            .unwrap();
    }
    let id = profiles.active().id.clone();
    let mut n = 0u32;
    c.bench_function("profile/update + atomic save (10 profiles)", |b| {
        b.iter(|| {
            n += 1;
            profiles
                .update(&id, |p| {
                    p.region = if n.is_multiple_of(2) { "US" } else { "GB" }.into()
                })
                .unwrap()
        })
    });
}

criterion_group!(
    benches,
    phone_benches,
    manifest_benches,
    check_benches,
    profile_benches
);
criterion_main!(benches);
