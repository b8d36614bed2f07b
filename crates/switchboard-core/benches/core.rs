//! What runs on every keystroke and every manifest load: phone parsing and format expansion, and
//! manifest parsing. `cargo bench -p switchboard-core`; figures in docs/PERFORMANCE.md.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use switchboard_core::{manifest, phone};

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

criterion_group!(benches, phone_benches, manifest_benches, profile_benches);
criterion_main!(benches);
