//! Core against the shared reference data: every phone-format vector and every real manifest.

use std::path::PathBuf;

use switchboard_core::manifest::{self, AuthType};
use switchboard_core::phone;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

#[test]
fn every_phone_format_vector_matches_the_reference_library() {
    let path = shared().join("phone-format-vectors.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = 0;
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let col = |n: usize| cols.get(n).copied().unwrap_or("");
        let (e164, valid, significant, formats, expanded) =
            (col(0), col(1), col(3), col(4), col(5));
        let formats: Vec<String> = formats
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        let parsed = phone::parse_e164(e164).unwrap_or_else(|e| panic!("row {i} {e164}: {e}"));
        assert_eq!(
            parsed.valid.to_string(),
            valid,
            "row {i}: validity of {e164}"
        );
        assert_eq!(
            parsed.significant, significant,
            "row {i}: significant number of {e164}"
        );
        let got: Vec<String> = phone::expand(&parsed, &formats)
            .into_iter()
            .map(|x| x.result)
            .collect();
        let want: Vec<String> = expanded
            .split(" | ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(got, want, "row {i}: {e164} with formats {formats:?}");
        rows += 1;
    }
    assert!(
        rows >= 16,
        "the vector file must not be silently empty (read {rows} rows)"
    );
}

#[tokio::test]
async fn every_reference_manifest_loads_with_its_platforms_and_forms() {
    let dir = shared().join("manifests");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let loaded = manifest::load(&manifest::ManifestSource::File(path.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (name, platform) = loaded.manifest.platform(None).unwrap();
        assert_eq!(
            platform.name.as_deref(),
            Some(name),
            "{}: name equals key",
            path.display()
        );
        assert_ne!(platform.auth_type(), AuthType::Unknown, "{name}: auth type");
        seen.push((name.to_owned(), platform.clone()));
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["bullhorn", "clio", "insightly", "pipedrive", "testCRM"]
    );
    let get = |n: &str| &seen.iter().find(|(k, _)| k == n).unwrap().1;
    // Facts read from the files, each a form Switchboard previews.
    assert_eq!(
        get("bullhorn")
            .usable_contact_types()
            .map(|t| t.1)
            .collect::<Vec<_>>(),
        ["Candidate", "Contact", "Lead"]
    );
    assert!(
        get("pipedrive").contact_types.is_empty(),
        "pipedrive has no contactTypes"
    );
    assert_eq!(get("clio").auth_type(), AuthType::OAuth);
    assert_eq!(
        get("insightly")
            .api_key_fields()
            .iter()
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>(),
        ["insightlyGetApiKey", "apiKey", "apiUrl"]
    );
    assert!(get("insightly").api_key_fields()[0].is_button());
    assert_eq!(get("clio").call_log_fields()[0].key, "matters");
    assert!(get("bullhorn").new_contact_fields()[0].contact_type_dependent);
    assert_eq!(
        get("testCRM").environment,
        None,
        "testCRM has no environment block"
    );
}
