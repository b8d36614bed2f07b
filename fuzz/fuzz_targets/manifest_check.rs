//! Arbitrary UTF-8 through the manifest checker and the manifest parser: no panic, and every
//! position the checker reports lies inside the text (the same properties as
//! crates/switchboard-core/tests/properties.rs, for as long as the fuzzer runs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_core::check::{self, MAX_FINDINGS, MORE_FINDINGS_RULE};
use switchboard_core::manifest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    let findings = check::check(text);
    let lines: Vec<&str> = text.split('\n').collect();
    for f in &findings {
        if f.line == 0 {
            assert_eq!(f.column, 0, "{f:?}");
            continue;
        }
        assert!(f.line <= lines.len(), "line outside the text: {f:?}");
        let width = lines[f.line - 1].chars().count();
        assert!(
            (1..=width + 1).contains(&f.column),
            "column outside the line: {f:?}"
        );
    }
    let listed = findings
        .iter()
        .filter(|f| f.rule != MORE_FINDINGS_RULE)
        .count();
    assert!(listed <= MAX_FINDINGS);
    if serde_json::from_str::<serde_json::Value>(text).is_err() {
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "json");
    }

    if let Ok(m) = manifest::parse(text) {
        assert!(!m.platforms.is_empty());
        for p in m.platforms.values() {
            let _ = p.request_timeout();
            let _ = (p.auth_type(), p.api_key_fields(), p.call_log_fields());
            let _ = p.usable_contact_types().count();
        }
    }
});
