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

/// Extension 1.6.6 applies a platform's `override` list on load: Clio's regional hosts get their
/// own authorize URL and client id; other hosts (and no host) keep the manifest's.
#[test]
fn clios_regional_overrides_apply_for_their_hostname_only() {
    let text = std::fs::read_to_string(shared().join("manifests/clio.json")).unwrap();
    let m = manifest::parse(&text).unwrap();
    let oauth = |m: &manifest::Manifest| {
        let o = m.platforms["clio"].auth.clone().unwrap().oauth.unwrap();
        (
            o.auth_url.unwrap_or_default(),
            o.client_id.unwrap_or_default(),
        )
    };
    let base = oauth(&m);
    let (au, applied) = m.with_overrides("clio", Some("au.app.clio.com"));
    assert_eq!(oauth(&au).0, "https://au.app.clio.com/oauth/authorize");
    assert_ne!(oauth(&au).1, base.1, "the AU client id replaces the US one");
    assert_eq!(
        applied,
        [
            "platforms.clio.auth.oauth.authUrl",
            "platforms.clio.auth.oauth.clientId"
        ]
    );
    for host in [None, Some("app.clio.com"), Some("AU.app.clio.com")] {
        let (same, applied) = m.with_overrides("clio", host);
        assert_eq!(oauth(&same), base, "{host:?}");
        assert!(applied.is_empty());
    }
    // Everything else survives the round trip the overrides take.
    let (au, _) = m.with_overrides("clio", Some("eu.app.clio.com"));
    let mut expected = m.platforms["clio"].clone();
    let got = au.platforms["clio"].clone();
    expected.auth = got.auth.clone();
    assert_eq!(got, expected);
    assert_eq!(au.server_url, m.server_url);
}

/// A `meta` item applies to the whole manifest, whatever the hostname.
#[test]
fn meta_overrides_apply_to_the_whole_manifest() {
    let m = manifest::parse(
        r#"{"serverUrl":"https://a.test","platforms":{"p":{"name":"p","override":[
            {"triggerType":"meta","overrideObjects":[{"path":"serverUrl","value":"https://b.test"},
             {"path":"platforms.p.requestConfig.timeout","value":9}]}]}}}"#,
    )
    .unwrap();
    let (o, applied) = m.with_overrides("p", None);
    assert_eq!(o.server_url.as_deref(), Some("https://b.test"));
    assert_eq!(applied.len(), 2);
    assert_eq!(o.platforms["p"].request_timeout().0.as_secs(), 9);
}
