//! Property tests: the manifest parser, the checker and the phone parser take whatever a person (or
//! a broken generator) gives them without panicking, and their answers are consistent: every
//! position the checker reports is inside the text and points at the value its path names.
//!
//! Case counts are kept modest so the file runs in a few seconds in a debug build; the `fuzz/`
//! target at the repository root explores the same entry points for as long as one likes.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use switchboard_core::check::{self, Finding, Severity, MAX_FINDINGS, MORE_FINDINGS_RULE};
use switchboard_core::{manifest, phone};

// ---------- generators ----------

/// Keys the manifest model and the checker look at, and some they don't.
const KEYS: &[&str] = &[
    "platforms",
    "serverUrl",
    "name",
    "displayName",
    "auth",
    "type",
    "apiKey",
    "oauth",
    "authUrl",
    "clientId",
    "page",
    "title",
    "content",
    "const",
    "required",
    "contactTypes",
    "display",
    "value",
    "environment",
    "selections",
    "url",
    "contactPageUrl",
    "logPageUrl",
    "callLog",
    "messageLog",
    "newContact",
    "additionalFields",
    "pattern",
    "options",
    "contactDependent",
    "contactTypeDependent",
    "accountDataKey",
    "requestConfig",
    "timeout",
    "version",
    "unknown",
];

/// Strings the rules react to, and some awkward ones.
const WORDS: &[&str] = &[
    "apiKey",
    "oauth",
    "basic",
    "selection",
    "checkbox",
    "inputField",
    "warning",
    "dropdown",
    "fixed",
    "dynamic",
    "selectable",
    "https://crm.example.com/{hostname}/c/{contactId}",
    "https://x/{nope}/{",
    "http://connector.example.com/",
    "not a url",
    "^[A-Z]+-\\d+$",
    "^[A-Z+$",
    "(?<=a)b",
    "5",
    "30000",
    "-1",
    "1e3",
    "",
    " ",
    "a.b",
    "x[0]",
    "ä田\u{1F600}",
    "\"quoted\\",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z.\\[\\]0-9]{0,6}",
        1 => "\\PC{0,4}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(30.0),
            Just(0.5),
            Just(0.0),
            Just(-1.0),
            Just(1e20),
            Just(30000.0),
            Just(1e-300),
            Just(f64::MAX),
            any::<f64>(),
        ]
        .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        proptest::sample::select(WORDS).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ]
}

/// Any JSON, with manifest-like keys.
fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Usually `good`, sometimes anything at all: wrong types are what the tolerant reading is for.
fn or_any<S: Strategy<Value = Value> + 'static>(good: S) -> BoxedStrategy<Value> {
    prop_oneof![4 => good, 1 => any_json()].boxed()
}

fn object(fields: Vec<(&'static str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v?)))
            .collect(),
    )
}

fn field() -> BoxedStrategy<Value> {
    or_any(
        (
            proptest::option::of(or_any(prop_oneof![
                Just(json!("a")),
                Just(json!("b")),
                scalar()
            ])),
            proptest::option::of(or_any(
                proptest::sample::select(WORDS).prop_map(Value::from),
            )),
            proptest::option::of(or_any(
                proptest::sample::select(WORDS).prop_map(Value::from),
            )),
            proptest::option::of(any::<bool>().prop_map(Value::Bool)),
            proptest::option::of(or_any(
                proptest::collection::vec(scalar(), 0..3).prop_map(Value::Array),
            )),
        )
            .prop_map(|(c, t, p, dep, opts)| {
                object(vec![
                    ("const", c),
                    ("type", t),
                    ("pattern", p),
                    ("contactDependent", dep),
                    ("options", opts),
                ])
            }),
    )
}

fn fields() -> BoxedStrategy<Value> {
    or_any(proptest::collection::vec(field(), 0..4).prop_map(Value::Array))
}

fn platform(name: String) -> BoxedStrategy<Value> {
    let auth = or_any(
        (
            proptest::option::of(or_any(
                prop_oneof![Just("apiKey"), Just("oauth"), Just("basic")].prop_map(Value::from),
            )),
            proptest::option::of(fields()),
            proptest::option::of(any_json()),
        )
            .prop_map(|(kind, content, oauth)| {
                object(vec![
                    ("type", kind),
                    (
                        "apiKey",
                        content.map(|c| json!({"page": {"title": "t", "content": c}})),
                    ),
                    ("oauth", oauth),
                ])
            }),
    );
    let contact_types = or_any(
        proptest::collection::vec(
            or_any(
                (
                    proptest::option::of(scalar()),
                    proptest::option::of(scalar()),
                )
                    .prop_map(|(d, v)| object(vec![("display", d), ("value", v)])),
            ),
            0..4,
        )
        .prop_map(Value::Array),
    );
    let timeout = or_any(scalar().prop_map(|t| json!({ "timeout": t })));
    (
        prop_oneof![3 => Just(Value::from(name)), 1 => scalar()],
        proptest::option::of(auth),
        proptest::option::of(contact_types),
        proptest::option::of(or_any(
            (
                proptest::option::of(fields()),
                proptest::option::of(fields()),
            )
                .prop_map(|(call, new)| {
                    object(vec![
                        ("callLog", call.map(|f| json!({ "additionalFields": f }))),
                        ("newContact", new.map(|f| json!({ "additionalFields": f }))),
                    ])
                }),
        )),
        proptest::option::of(timeout),
        proptest::option::of(scalar()),
        proptest::option::of(any_json()),
    )
        .prop_map(|(name, auth, types, page, config, url, env)| {
            object(vec![
                ("name", Some(name)),
                ("auth", auth),
                ("contactTypes", types),
                ("page", page),
                ("requestConfig", config),
                ("logPageUrl", url),
                ("environment", env),
            ])
        })
        .boxed()
}

/// Manifest-shaped JSON: a few platforms, each usually right and sometimes wrong in places.
fn manifest_json() -> impl Strategy<Value = Value> {
    let platforms = proptest::collection::vec(key(), 0..4).prop_flat_map(|names| {
        names
            .into_iter()
            .map(|n| (Just(n.clone()), or_any(platform(n))))
            .collect::<Vec<_>>()
    });
    (
        or_any(platforms.prop_map(|ps| Value::Object(ps.into_iter().collect()))),
        proptest::option::of(scalar()),
    )
        .prop_map(|(platforms, server)| {
            object(vec![("platforms", Some(platforms)), ("serverUrl", server)])
        })
}

/// The text of a JSON value, compact or pretty.
fn render(v: &Value, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(v).unwrap()
    } else {
        serde_json::to_string(v).unwrap()
    }
}

// ---------- consistency of findings ----------

/// Every finding's place is inside the text, and the list is ordered and capped as documented.
fn assert_findings_consistent(text: &str, findings: &[Finding]) -> Result<(), TestCaseError> {
    let lines: Vec<&str> = text.split('\n').collect();
    for f in findings {
        if f.line == 0 {
            prop_assert_eq!(f.column, 0, "{:?}", f);
            continue;
        }
        prop_assert!(f.line <= lines.len(), "line outside the text: {:?}", f);
        let width = lines[f.line - 1].chars().count();
        prop_assert!(
            f.column >= 1 && f.column <= width + 1,
            "column outside line {} ({} chars): {:?}",
            f.line,
            width,
            f
        );
    }
    let (listed, summary) = match findings.last() {
        Some(last) if last.rule == MORE_FINDINGS_RULE => {
            (&findings[..findings.len() - 1], Some(last))
        }
        _ => (findings, None),
    };
    prop_assert!(listed.len() <= MAX_FINDINGS);
    prop_assert!(listed.iter().all(|f| f.rule != MORE_FINDINGS_RULE));
    prop_assert!(
        listed
            .windows(2)
            .all(|w| (w[0].severity, w[0].line, w[0].column)
                <= (w[1].severity, w[1].line, w[1].column)),
        "not in report order"
    );
    if let Some(summary) = summary {
        prop_assert_eq!(listed.len(), MAX_FINDINGS);
        let more = check::omitted(findings).expect("a summary carries its counts");
        prop_assert!(more.total() > 0);
        prop_assert_eq!(summary.severity == Severity::Error, more.errors > 0);
    }
    Ok(())
}

/// Byte offset of a 1-based (line, character column).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split('\n').take(line - 1).map(|l| l.len() + 1).sum();
    line_start
        + text[line_start..]
            .char_indices()
            .nth(column - 1)
            .map_or(text.len() - line_start, |(i, _)| i)
}

/// The value at a checker path, when the path's keys hold no `.` or `[` (so it splits cleanly).
fn value_at<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = root;
    if path.is_empty() {
        return Some(v);
    }
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        v = v.as_object()?.get(key)?;
        for index in indexes.split('[').skip(1) {
            v = v
                .as_array()?
                .get(index.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
    }
    Some(v)
}

/// Equal, but for the last bits of floats (serde_json's default float parsing is not exact).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if x != y => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn plain_keys(v: &Value) -> bool {
    match v {
        Value::Object(o) => o
            .iter()
            .all(|(k, v)| !k.contains(['.', '[', ']']) && !k.is_empty() && plain_keys(v)),
        Value::Array(a) => a.iter().all(plain_keys),
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn check_takes_any_text(text in prop_oneof![
        "\\PC{0,64}",
        "[{}\\[\\]\":,0-9a-z \n\\\\]{0,64}",
        any_json().prop_map(|v| render(&v, true)),
    ]) {
        let findings = check::check(&text);
        assert_findings_consistent(&text, &findings)?;
        if serde_json::from_str::<Value>(&text).is_err() {
            prop_assert_eq!(findings.len(), 1);
            prop_assert_eq!(findings[0].rule, "json");
            prop_assert!(findings[0].line >= 1, "invalid JSON has a place: {:?}", findings[0]);
        }
    }

    #[test]
    fn check_points_each_finding_at_the_value_its_path_names(
        m in manifest_json(),
        pretty in any::<bool>(),
    ) {
        let text = render(&m, pretty);
        let findings = check::check(&text);
        assert_findings_consistent(&text, &findings)?;
        if plain_keys(&m) {
            for f in findings.iter().filter(|f| f.line > 0) {
                // A missing key is reported at its nearest parent: walk up until the path exists.
                let mut path = f.path.as_str();
                let expected = loop {
                    if let Some(v) = value_at(&m, path) {
                        break v;
                    }
                    path = &path[..path.rfind(['.', '[']).unwrap_or(0)];
                };
                let at = offset_of(&text, f.line, f.column);
                let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
                let found = stream.next();
                prop_assert!(
                    matches!(&found, Some(Ok(v)) if same(v, expected)),
                    "{} at {}:{} reads {:?}, expected {}",
                    f.path, f.line, f.column, found, expected
                );
            }
        }
    }

    #[test]
    fn check_finds_the_same_problems_however_the_json_is_laid_out(m in manifest_json()) {
        let compact = check::check(&render(&m, false));
        let pretty = check::check(&render(&m, true));
        prop_assume!(check::omitted(&compact).is_none() && check::omitted(&pretty).is_none());
        let key = |f: &Finding| (f.severity, f.rule, f.path.clone(), f.message.clone());
        let mut a: Vec<_> = compact.iter().map(key).collect();
        let mut b: Vec<_> = pretty.iter().map(key).collect();
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn parse_takes_any_text_and_any_manifest_shape(
        text in prop_oneof![
            "\\PC{0,64}",
            any_json().prop_map(|v| render(&v, false)),
            manifest_json().prop_map(|v| render(&v, false)),
        ],
    ) {
        match manifest::parse(&text) {
            Ok(m) => {
                prop_assert!(!m.platforms.is_empty());
                let raw: Value = serde_json::from_str(&text).unwrap();
                for (key, p) in &m.platforms {
                    prop_assert!(raw["platforms"].get(key).is_some(), "{} is not in the text", key);
                    // Whatever the manifest says, a usable timeout or the default: never a panic.
                    let (timeout, problem) = p.request_timeout();
                    prop_assert!(timeout > std::time::Duration::ZERO || problem.is_none());
                    prop_assert!(timeout <= std::time::Duration::from_secs(3600));
                    let _ = (p.auth_type(), p.api_key_fields(), p.call_log_fields());
                    let _ = (p.new_contact_fields(), p.usable_contact_types().count());
                }
                prop_assert!(m.platform(None).is_ok());
            }
            Err(manifest::ManifestError::Json { line, .. }) => {
                prop_assert!(serde_json::from_str::<Value>(&text).is_err());
                prop_assert!(line >= 1);
            }
            Err(e) => prop_assert!(
                matches!(e, manifest::ManifestError::NotAnObject { .. } | manifest::ManifestError::NoPlatforms),
                "{:?}", e
            ),
        }
    }
}

// ---------- phone numbers ----------

fn phone_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+]?[0-9 ()\\-.]{0,20}",
        "(tel:|TEL:)?[+]?[0-9\\-]{0,16}(;ext=[0-9]{0,4})?",
        "[+0-9a-zA-Z #*;=:,.()\\-]{0,24}",
        "\\PC{0,16}",
    ]
}

fn region() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(&["US", "GB", "DE", "IT", "us", " ", "ZZ", "XK", "001"][..])
            .prop_map(|r| Some(r.to_owned())),
        "\\PC{0,3}".prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn phone_parsing_takes_anything_and_its_answers_hold_together(
        input in phone_text(),
        region in region(),
        formats in proptest::collection::vec("\\PC{0,12}", 0..5),
    ) {
        let Ok(p) = phone::parse_input(&input, region.as_deref()) else {
            return Ok(());
        };
        let expansions = phone::expand(&p, &formats);
        if p.is_extension {
            prop_assert!(!p.e164.is_empty() && p.e164.len() <= 6);
            prop_assert!(p.e164.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(expansions.is_empty(), "extensions are never formatted");
            return Ok(());
        }
        prop_assert!(p.e164.starts_with('+'), "{:?}", p);
        if !p.valid {
            prop_assert!(p.significant.is_empty());
            prop_assert!(expansions.is_empty(), "invalid numbers are never formatted");
            return Ok(());
        }
        prop_assert!(!p.significant.is_empty());
        prop_assert!(p.significant.bytes().all(|b| b.is_ascii_digit()));
        prop_assert!(p.e164.ends_with(&p.significant), "{:?}", p);
        // E.164 is a fixed point: reading it again gives the same number.
        let again = phone::parse_e164(&p.e164);
        prop_assert!(matches!(&again, Ok(q) if q.e164 == p.e164 && q.valid), "{:?} -> {:?}", p, again);
        // One expansion per non-blank format, each the format with its placeholders filled.
        let kept: Vec<&str> = formats.iter().map(|f| f.trim()).filter(|f| !f.is_empty()).collect();
        prop_assert_eq!(expansions.len(), kept.len());
        for (e, f) in expansions.iter().zip(kept) {
            prop_assert_eq!(e.format.as_str(), f);
            prop_assert_eq!(e.result.chars().count(), f.chars().count());
            let placeholders = f.chars().filter(|c| matches!(c, '*' | '#')).count();
            let filled = e.result.chars().zip(f.chars())
                .filter(|(r, c)| matches!(c, '*' | '#') && r.is_ascii_digit())
                .count();
            prop_assert_eq!(filled, placeholders.min(p.significant.len()));
            prop_assert!(e.result.chars().zip(f.chars())
                .all(|(r, c)| r == c || matches!(c, '*' | '#')));
        }
    }

    #[test]
    fn fill_format_keeps_the_shape_of_any_format(format in "\\PC{0,24}", digits in "[0-9]{0,12}") {
        let filled = phone::fill_format(&format, &digits);
        prop_assert_eq!(filled.chars().count(), format.chars().count());
        let from_digits: String = filled.chars().zip(format.chars())
            .filter(|(_, c)| matches!(c, '*' | '#'))
            .map(|(r, _)| r)
            .take(digits.len())
            .collect();
        prop_assert!(digits.starts_with(&from_digits), "{} from {}", from_digits, digits);
    }
}
