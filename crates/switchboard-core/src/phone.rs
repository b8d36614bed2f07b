//! Phone numbers as App Connect sees them (SPEC §4): whatever a person types becomes E.164, and the
//! user's overriding formats are expanded into the exact strings a connector will search for.

use phonenumber::country;
use serde::Serialize;
use ts_rs::TS;

use crate::error::{ErrorCode, UserError};

/// App Connect lets a user set at most this many overriding formats.
pub const MAX_FORMATS: usize = 3;
/// Internal extension numbers are short digit strings with no country code.
const MAX_EXTENSION_DIGITS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ParsedNumber {
    /// What the person typed.
    pub input: String,
    /// `+14155550100`, or the bare digits of an extension.
    pub e164: String,
    pub valid: bool,
    /// ISO region of the number, when known.
    pub region: Option<String>,
    /// National significant number (country code removed, Italian leading 0 kept); empty when invalid.
    pub significant: String,
    /// True for a short internal extension such as `101`; sent as `isExtension=true`.
    pub is_extension: bool,
}

/// One overriding format and the string it produces for a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Expansion {
    pub format: String,
    pub result: String,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("Type a phone number, such as +1 415-555-0100.")]
    Empty,
    #[error("\"{input}\" has no country code. Start it with + and the country code (e.g. +1 415-555-0100), or set a default region.")]
    NoCountry { input: String },
    #[error("\"{input}\" is not a phone number: {reason}. Use digits, spaces, dashes, parentheses and an optional leading +.")]
    Unparsable { input: String, reason: String },
    #[error("\"{region}\" is not a region code. Use a two-letter ISO code such as US, GB or DE.")]
    BadRegion { region: String },
    #[error("At most {MAX_FORMATS} overriding formats are allowed (App Connect's limit); {count} were given.")]
    TooManyFormats { count: usize },
    #[error("The overriding format \"{format}\" contains a comma; formats are sent comma-joined, so a comma would split it in two.")]
    CommaInFormat { format: String },
    /// Read as a number, but with a digit count no number of its country has (nor a short
    /// extension): never sent.
    #[error("Not a valid phone number{}: \"{input}\" has the wrong number of digits. Nothing was sent; fix the number first.", region.as_deref().map(|r| format!(" for {r}")).unwrap_or_default())]
    NotValid {
        input: String,
        region: Option<String>,
    },
}

impl From<PhoneError> for UserError {
    fn from(e: PhoneError) -> Self {
        UserError::new(ErrorCode::PhoneInvalid, e.to_string())
    }
}

/// Reads what a person typed: `+1 415-555-0100`, `(415) 555-0100` with a default region,
/// `tel:+1-415-555-0100`, or a short extension such as `101`.
pub fn parse_input(input: &str, default_region: Option<&str>) -> Result<ParsedNumber, PhoneError> {
    let raw = input.trim();
    Ok(match parse(input, default_region)? {
        Parsed::Extension(digits) => ParsedNumber {
            input: raw.to_owned(),
            e164: digits,
            valid: true,
            region: None,
            significant: String::new(),
            is_extension: true,
        },
        Parsed::Number(number) => describe(raw, &number),
    })
}

impl ParsedNumber {
    /// Whether the number may be sent, the rule every action that reaches a connector applies
    /// (lookup, flow, create, log, verify, batch): a valid number, a short extension, or a number
    /// with a digit count its country's numbers can have. The last are numbers in no plan yet
    /// (`+1 999 555 0000`: no such area code), which a phone system can still hand the client and
    /// connector tests use as "nobody"; they are sent, and previewed as not valid. A number with
    /// too few or too many digits (`+1 202 5018`) is previewed but never sent.
    pub fn sendable(&self) -> Result<(), PhoneError> {
        if self.valid || self.is_extension || possible_length(&self.e164) {
            return Ok(());
        }
        Err(PhoneError::NotValid {
            input: self.input.clone(),
            region: self
                .region
                .clone()
                .or_else(|| main_region_of_code(&self.e164)),
        })
    }
}

/// [`parse_input`], refusing a number that is neither valid, nor of a possible length, nor a short extension
/// ([`ParsedNumber::sendable`]).
pub fn parse_sendable(
    input: &str,
    default_region: Option<&str>,
) -> Result<ParsedNumber, PhoneError> {
    let number = parse_input(input, default_region)?;
    number.sendable()?;
    Ok(number)
}

/// What a lookup sends for a typed number: its E.164 form (or an extension's digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupNumber {
    pub e164: String,
    pub is_extension: bool,
}

/// [`parse_sendable`] for a batch, which sends the number without reporting its region or national
/// significant number: it checks validity only for a number of impossible length, and looks the
/// region up only to explain a refusal.
/// The same input gives the same E.164 and the same errors, an invalid number's included.
pub fn lookup_number(
    input: &str,
    default_region: Option<&str>,
) -> Result<LookupNumber, PhoneError> {
    Ok(match parse(input, default_region)? {
        Parsed::Extension(digits) => LookupNumber {
            e164: digits,
            is_extension: true,
        },
        Parsed::Number(number) => {
            let e164 = e164_of(&number);
            // The same rule as `sendable`, its cheap half first: a possible length is a table
            // look-up, validity runs the region's patterns (for +1, each of 25 regions' in turn).
            if !possible_length(&e164) && !phonenumber::is_valid(&number) {
                return Err(PhoneError::NotValid {
                    input: input.trim().to_owned(),
                    region: region_of(&number).or_else(|| main_region_of_code(&e164)),
                });
            }
            LookupNumber {
                e164,
                is_extension: false,
            }
        }
    })
}

enum Parsed {
    /// A short run of digits: an extension, sent as typed.
    Extension(String),
    Number(phonenumber::PhoneNumber),
}

fn parse(input: &str, default_region: Option<&str>) -> Result<Parsed, PhoneError> {
    let raw = input.trim();
    let mut text = raw;
    if let Some(rest) = text
        .strip_prefix("tel:")
        .or_else(|| text.strip_prefix("TEL:"))
    {
        // RFC 3966: parameters such as `;ext=` or `;phone-context=` follow a semicolon.
        text = rest.split(';').next().unwrap_or("");
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(PhoneError::Empty);
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let only_digits = text
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    if !text.starts_with('+')
        && only_digits
        && !digits.is_empty()
        && digits.len() <= MAX_EXTENSION_DIGITS
    {
        return Ok(Parsed::Extension(digits));
    }
    let region = match default_region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(r.to_ascii_uppercase().parse::<country::Id>().map_err(|_| {
            PhoneError::BadRegion {
                region: r.to_owned(),
            }
        })?),
        None => None,
    };
    if !text.starts_with('+') && region.is_none() {
        return Err(PhoneError::NoCountry {
            input: raw.to_owned(),
        });
    }
    let number = phonenumber::parse(region, text).map_err(|e| PhoneError::Unparsable {
        input: raw.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Parsed::Number(number))
}

/// Describes an E.164 string; used for numbers that arrive from a server or a test vector.
pub fn parse_e164(e164: &str) -> Result<ParsedNumber, PhoneError> {
    let number = phonenumber::parse(None, e164).map_err(|e| PhoneError::Unparsable {
        input: e164.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(describe(e164, &number))
}

fn describe(input: &str, number: &phonenumber::PhoneNumber) -> ParsedNumber {
    let valid = phonenumber::is_valid(number);
    let national = number.national();
    let significant = if valid {
        format!(
            "{}{}",
            "0".repeat(usize::from(national.zeros())),
            national.value()
        )
    } else {
        String::new()
    };
    ParsedNumber {
        input: input.to_owned(),
        e164: e164_of(number),
        valid,
        region: region_of(number),
        significant,
        is_extension: false,
    }
}

fn region_of(number: &phonenumber::PhoneNumber) -> Option<String> {
    number.country().id().map(|id| format!("{id:?}"))
}

/// The main region of an E.164 number's country code (US for +1), to say where an invalid number
/// was read: an invalid number has no region of its own. Country codes are prefix-free, so the
/// first of the leading one to three digits that is a code is the code.
fn main_region_of_code(e164: &str) -> Option<String> {
    let digits = e164.strip_prefix('+')?;
    (1..=3)
        .filter_map(|n| digits.get(..n)?.parse::<u16>().ok())
        .find_map(|code| phonenumber::metadata::DATABASE.region(&code))
        .and_then(|regions| regions.first().map(|r| r.to_string()))
        .filter(|r| r != "001")
}

/// Whether an E.164 number's digit count (after its country code) is one its country's numbers
/// can have, by the metadata's possible lengths. Country codes are prefix-free, so the first of
/// the leading one to three digits that is a code is the code.
fn possible_length(e164: &str) -> bool {
    let Some(digits) = e164.strip_prefix('+') else {
        return false;
    };
    (1..=3)
        .find_map(|n| {
            let code = digits.get(..n)?.parse::<u16>().ok()?;
            Some((n, phonenumber::metadata::DATABASE.by_code(&code)?))
        })
        .is_some_and(|(n, metas)| {
            let Ok(len) = u16::try_from(digits.len() - n) else {
                return false;
            };
            // As libphonenumber's possible-number check: the lengths of the code's main country
            // (US for +1; a 7-digit Canadian service number does not make +1 202 5018 a number),
            // not counting local-only ones (a number without its area code). The general
            // description's lengths are often left out of the metadata (they are the union of the
            // types'), so every type's are read.
            let main = metas
                .iter()
                .find(|m| m.is_main_country_for_code())
                .or(metas.first());
            main.is_some_and(|m| {
                let d = m.descriptors();
                std::iter::once(Some(d.general()))
                    .chain([
                        d.fixed_line(),
                        d.mobile(),
                        d.toll_free(),
                        d.premium_rate(),
                        d.shared_cost(),
                        d.personal_number(),
                        d.voip(),
                        d.pager(),
                        d.uan(),
                        d.voicemail(),
                    ])
                    .flatten()
                    .any(|t| t.possible_length().contains(&len))
            })
        })
}

/// What `number.format().mode(Mode::E164)` writes, without the formatter first choosing a national
/// format for the number (compiling that region's format patterns: ~0.4 ms).
fn e164_of(number: &phonenumber::PhoneNumber) -> String {
    format!("+{}{}", number.code().value(), number.national())
}

/// A user's overriding formats as the client uses them: trimmed, blanks dropped, then checked.
pub fn clean_formats(formats: &[String]) -> Result<Vec<String>, PhoneError> {
    let cleaned: Vec<String> = formats
        .iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    validate_formats(&cleaned)?;
    Ok(cleaned)
}

/// Checks a user's overriding formats against App Connect's rules.
pub fn validate_formats(formats: &[String]) -> Result<(), PhoneError> {
    if formats.len() > MAX_FORMATS {
        return Err(PhoneError::TooManyFormats {
            count: formats.len(),
        });
    }
    if let Some(f) = formats.iter().find(|f| f.contains(',')) {
        return Err(PhoneError::CommaInFormat { format: f.clone() });
    }
    Ok(())
}

/// Fills each `*` or `#` of `format`, left to right, with the digits of `significant`. Extra digits
/// are dropped; placeholders left over stay as they are.
pub fn fill_format(format: &str, significant: &str) -> String {
    let mut digits = significant.chars();
    format
        .chars()
        .map(|c| match c {
            '*' | '#' => digits.next().unwrap_or(c),
            other => other,
        })
        .collect()
}

/// Expands every non-empty format for a number. Invalid numbers and extensions produce none.
pub fn expand(number: &ParsedNumber, formats: &[String]) -> Vec<Expansion> {
    if !number.valid || number.is_extension {
        return Vec::new();
    }
    formats
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .map(|f| Expansion {
            format: f.to_owned(),
            result: fill_format(f, &number.significant),
        })
        .collect()
}

/// The `overridingFormat` query value: formats joined by commas, empty when there are none.
pub fn overriding_format_param(formats: &[String]) -> String {
    formats
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_lookup_sends_what_a_typed_lookup_sends() {
        let cases = [
            ("+1 415-555-0100", None),
            ("(415) 555-0100", Some("US")),
            ("tel:+1-415-555-0100;ext=7", None),
            ("020 7946 0018", Some("gb")),
            ("+44 20 7946 0018", Some("US")),
            ("+12025018", None),
            ("101", None),
            ("12-34", None),
            ("415 555 0100", None),
            ("abc", Some("US")),
            ("", None),
            ("+1 415 555 0100", Some("XX")),
        ];
        for (input, region) in cases {
            let full = parse_sendable(input, region);
            let lean = lookup_number(input, region);
            match (full, lean) {
                (Ok(f), Ok(l)) => {
                    assert_eq!(
                        (f.e164, f.is_extension),
                        (l.e164, l.is_extension),
                        "{input}"
                    )
                }
                (Err(f), Err(l)) => assert_eq!(f.to_string(), l.to_string(), "{input}"),
                (f, l) => panic!("{input}: typed {f:?}, batch {l:?}"),
            }
        }
    }

    #[test]
    fn an_invalid_number_is_previewed_but_never_sendable() {
        // Issue 13: +12025018 reads as a +1 number, but has too few digits to be one.
        let p = parse_input("+12025018", None).unwrap();
        assert!(!p.valid && !p.is_extension);
        let e = p.sendable().unwrap_err();
        assert_eq!(
            e.to_string(),
            "Not a valid phone number for US: \"+12025018\" has the wrong number of digits. Nothing was sent; fix the number first."
        );
        assert_eq!(parse_sendable(" +12025018 ", None), Err(e.clone()));
        assert_eq!(lookup_number("+12025018", None), Err(e));
        assert_eq!(
            UserError::from(parse_sendable("+1 415 555 01000", None).unwrap_err()).code,
            ErrorCode::PhoneInvalid,
            "too many digits"
        );
        assert!(
            parse_sendable("+44 20 7946", None).is_err(),
            "too few for GB"
        );
        // No such area code, but ten digits as every +1 number has: not valid, still sent (issue
        // 12's scenario uses +19995550000 as the number nobody has).
        let nobody = parse_sendable("+19995550000", None).unwrap();
        assert!(!nobody.valid);
        assert_eq!(
            lookup_number("+19995550000", None).unwrap().e164,
            "+19995550000"
        );
        // Valid numbers and short extensions pass; parse errors stay what they were.
        for ok in ["+14155550100", "(415) 555-0100", "101"] {
            assert!(parse_sendable(ok, Some("US")).is_ok(), "{ok}");
            assert!(lookup_number(ok, Some("US")).is_ok(), "{ok}");
        }
        assert_eq!(parse_sendable("  ", None), Err(PhoneError::Empty));
    }

    #[test]
    fn typed_forms_become_e164() {
        for (input, region) in [
            ("+1 415-555-0100", None),
            ("(415) 555-0100", Some("US")),
            ("415.555.0100", Some("us")),
            ("tel:+1-415-555-0100", None),
            ("tel:+1-415-555-0100;ext=7", None),
            ("  +14155550100 ", None),
        ] {
            let p = parse_input(input, region).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(p.e164, "+14155550100", "{input} with {region:?}");
            assert!(p.valid && !p.is_extension);
            assert_eq!(p.significant, "4155550100");
        }
    }

    #[test]
    fn short_digit_strings_are_extensions() {
        let p = parse_input("101", None).unwrap();
        assert!(p.is_extension);
        assert_eq!(p.e164, "101");
        assert!(
            expand(&p, &["***".into()]).is_empty(),
            "extensions are never formatted"
        );
    }

    #[test]
    fn wrong_input_names_the_problem_and_the_fix() {
        assert_eq!(parse_input("  ", None), Err(PhoneError::Empty));
        let e = parse_input("(415) 555-0100", None).unwrap_err();
        assert!(matches!(e, PhoneError::NoCountry { .. }));
        assert!(e.to_string().contains("default region"));
        assert!(matches!(
            parse_input("(415) 555-0100", Some("ZZZ")),
            Err(PhoneError::BadRegion { .. })
        ));
        assert!(matches!(
            parse_input("+1 hello", None),
            Err(PhoneError::Unparsable { .. })
        ));
    }

    #[test]
    fn e164_is_what_the_library_formats() {
        for e164 in [
            "+14155550100",
            "+390612345678",
            "+442079460000",
            "+8613800138000",
        ] {
            let number = phonenumber::parse(None, e164).unwrap();
            assert_eq!(
                parse_e164(e164).unwrap().e164,
                number.format().mode(phonenumber::Mode::E164).to_string(),
                "describe writes E.164 itself instead of through the formatter"
            );
        }
    }

    /// vendor/phonenumber compiles the metadata patterns lazily and with ASCII classes (see
    /// vendor/README.md): a pattern that did not compile so would only fail when first used, so
    /// every pattern of every region is compiled here.
    #[test]
    fn every_metadata_pattern_compiles_as_shipped() {
        let mut count = 0;
        // By country code: `iter()` skips all but one of the non-geographic entities ("001").
        let regions =
            (1..1000u16).filter_map(|code| phonenumber::metadata::DATABASE.by_code(&code));
        for meta in regions.flatten() {
            let d = meta.descriptors();
            let descriptors = [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.emergency(),
                d.voicemail(),
                d.short_code(),
                d.standard_rate(),
                d.carrier(),
                d.no_international(),
            ];
            // Each `is_match` compiles its pattern (a bad one panics); the answer does not matter.
            for d in descriptors.into_iter().flatten() {
                let _ = d.national_number().is_match("0");
                count += 1;
            }
            for f in meta.formats().iter().chain(meta.international_formats()) {
                let _ = f.pattern().is_match("0");
                count += 1;
                for leading in f.leading_digits() {
                    let _ = leading.is_match("0");
                    count += 1;
                }
            }
            let others = [
                meta.international_prefix(),
                meta.national_prefix_for_parsing(),
                meta.leading_digits(),
            ];
            for p in others.into_iter().flatten() {
                let _ = p.is_match("0");
                count += 1;
            }
        }
        assert!(
            count > 4000,
            "every region's patterns were checked ({count})"
        );
    }

    #[test]
    fn italian_numbers_keep_their_leading_zero() {
        let p = parse_e164("+390612345678").unwrap();
        assert_eq!(p.significant, "0612345678");
    }

    #[test]
    fn fill_drops_extra_digits_and_keeps_unfilled_placeholders() {
        assert_eq!(fill_format("(***) ***-***", "4155550100"), "(415) 555-010");
        assert_eq!(
            fill_format("***-***-******", "4155550100"),
            "415-555-0100**"
        );
        assert_eq!(
            fill_format("no placeholders", "4155550100"),
            "no placeholders"
        );
    }

    #[test]
    fn format_rules() {
        assert!(validate_formats(&["a".into(), "b".into(), "c".into()]).is_ok());
        assert_eq!(
            validate_formats(&["a".into(), "b".into(), "c".into(), "d".into()]),
            Err(PhoneError::TooManyFormats { count: 4 })
        );
        assert!(matches!(
            validate_formats(&["***,***".into()]),
            Err(PhoneError::CommaInFormat { .. })
        ));
        assert_eq!(overriding_format_param(&[]), "");
        assert_eq!(
            overriding_format_param(&["(***) ***-****".into(), " ".into(), "+1 ***".into()]),
            "(***) ***-****,+1 ***"
        );
    }

    #[test]
    fn formats_are_trimmed_blanks_dropped_then_checked() {
        let f = |v: &[&str]| clean_formats(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            f(&[" (***) ***-**** ", "", "  "]).unwrap(),
            ["(***) ***-****"]
        );
        // Four written, one blank: three count, as the client keeps at most three.
        assert!(f(&["a", "b", "", "c"]).is_ok());
        assert!(matches!(
            f(&["a", "b", "c", "d"]),
            Err(PhoneError::TooManyFormats { count: 4 })
        ));
        assert!(matches!(f(&["a,b"]), Err(PhoneError::CommaInFormat { .. })));
    }
}
