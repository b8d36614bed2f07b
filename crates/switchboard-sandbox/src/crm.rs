//! The sandbox's fake CRM: a dozen varied contacts and the call logs made against them.
//!
//! Phone numbers are stored as the strings a careless CRM holds (`(650) 253-0000`, `650.555.0142`),
//! and lookups match them exactly, so overriding formats matter here as they do in strict CRMs.

use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_core::phone;
use switchboard_core::workbench::view::{SandboxNumber, SandboxNumberKind};

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub phones: Vec<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    /// Deals as `(const, title)`: the options of the contact-dependent "Deal" field.
    pub deals: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallLog {
    pub id: String,
    pub session_id: String,
    pub contact_id: String,
    pub subject: String,
    pub note: String,
    pub additional: Value,
}

/// Contact types the sandbox knows; the bundled manifest lists the same.
pub const CONTACT_TYPES: [&str; 3] = ["contact", "lead", "company"];

/// The seed file, shared with the conformance connector (tests/conformance).
pub const SEED: &str = include_str!("../seed/crm.json");

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    pub contacts: Vec<SeedContact>,
    /// Names createContact refuses, to show the failure path.
    pub reserved_names: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SeedContact {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub phones: Vec<String>,
    pub company: Option<String>,
    pub deals: Vec<SeedDeal>,
}

#[derive(Debug, Deserialize)]
pub struct SeedDeal {
    #[serde(rename = "const")]
    pub key: String,
    pub title: String,
}

/// The seed's numbers worth trying, found in its data (so the list cannot drift from it): one shared
/// by two contacts, one stored only in a local format (with the overriding format that finds it),
/// an extension, and a valid number no contact has.
pub fn interesting_numbers() -> Vec<SandboxNumber> {
    let contacts = seed().contacts;
    let mut out = Vec::new();
    let names_with = |phone: &str| -> Vec<String> {
        contacts
            .iter()
            .filter(|c| c.phones.iter().any(|p| p == phone))
            .map(|c| c.name.clone())
            .collect()
    };
    let all_phones: Vec<&String> = contacts.iter().flat_map(|c| c.phones.iter()).collect();
    if let Some(shared) = all_phones
        .iter()
        .find(|p| p.starts_with('+') && names_with(p).len() >= 2)
    {
        let names = names_with(shared);
        out.push(SandboxNumber {
            kind: SandboxNumberKind::Shared,
            number: (*shared).clone(),
            format: None,
            note: format!(
                "Shared by {} contacts: the client lists them all and asks which one.",
                names.len()
            ),
            contacts: names,
        });
    }
    let local = all_phones.iter().find_map(|p| {
        if p.starts_with('+') {
            return None;
        }
        let number = phone::parse_input(p, Some("US")).ok().filter(|n| n.valid)?;
        let format: String = p
            .chars()
            .map(|c| if c.is_ascii_digit() { '*' } else { c })
            .collect();
        let found = phone::expand(&number, std::slice::from_ref(&format))
            .iter()
            .any(|x| &x.result == *p);
        found.then(|| (number.e164, format, (*p).clone()))
    });
    if let Some((e164, format, stored)) = local {
        out.push(SandboxNumber {
            kind: SandboxNumberKind::FormatOnly,
            note: format!(
                "Stored as \"{stored}\": found only with the overriding format {format}."
            ),
            contacts: names_with(&stored),
            number: e164,
            format: Some(format),
        });
    }
    out.push(SandboxNumber {
        kind: SandboxNumberKind::Extension,
        number: "101".to_owned(),
        format: None,
        contacts: Vec::new(),
        note: "An extension: sent with isExtension=true, and the sandbox declines it with a warning, as connectors that log only external calls do.".to_owned(),
    });
    let unknown = (0..100)
        .map(|n| format!("+1415555{:04}", 100 + n))
        .find(|candidate| {
            let taken = all_phones.iter().any(|p| {
                p.chars().filter(char::is_ascii_digit).collect::<String>() == candidate[2..]
                    || *p == candidate
            });
            !taken && phone::parse_e164(candidate).is_ok_and(|n| n.valid)
        });
    if let Some(number) = unknown {
        out.push(SandboxNumber {
            kind: SandboxNumberKind::Unknown,
            number,
            format: None,
            contacts: Vec::new(),
            note: "No contact has it: the client offers \"Create new contact...\", the start of the placeholder flow.".to_owned(),
        });
    }
    out
}

/// The parsed seed. It is compiled in and checked by a test, so parsing cannot fail at run time.
pub fn seed() -> Seed {
    serde_json::from_str(SEED).unwrap_or_else(|e| panic!("seed/crm.json is checked by tests: {e}"))
}

impl From<SeedContact> for Contact {
    fn from(c: SeedContact) -> Self {
        Self {
            id: c.id,
            name: c.name,
            kind: c.kind,
            phones: c.phones,
            title: None,
            company: c.company,
            deals: c.deals.into_iter().map(|d| (d.key, d.title)).collect(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Crm {
    pub contacts: Vec<Contact>,
    pub logs: Vec<CallLog>,
    next_contact: u64,
    next_log: u64,
}

impl Crm {
    pub fn empty() -> Self {
        Self {
            next_contact: 1001,
            next_log: 5001,
            ..Self::default()
        }
    }

    /// The seeded CRM (`seed/crm.json`, shared with the conformance connector): several types, one
    /// number shared by two contacts, formatted-only numbers, and contacts with deals for the
    /// contact-dependent field.
    pub fn seeded() -> Self {
        let mut crm = Self::empty();
        crm.contacts = seed().contacts.into_iter().map(Contact::from).collect();
        crm
    }

    /// Contacts with a stored phone string equal to one of `candidates`.
    pub fn find(&self, candidates: &[String]) -> Vec<&Contact> {
        self.contacts
            .iter()
            .filter(|c| c.phones.iter().any(|p| candidates.iter().any(|k| k == p)))
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    pub fn create(&mut self, name: &str, kind: &str, phone: &str) -> Contact {
        let id = self.next_contact;
        self.next_contact += 1;
        let c = Contact {
            id: id.to_string(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            phones: vec![phone.to_owned()],
            title: None,
            company: None,
            deals: Vec::new(),
        };
        self.contacts.push(c.clone());
        c
    }

    pub fn add_log(
        &mut self,
        session_id: &str,
        contact_id: &str,
        subject: &str,
        note: &str,
        additional: Value,
    ) -> CallLog {
        let id = format!("log-{}", self.next_log);
        self.next_log += 1;
        let log = CallLog {
            id,
            session_id: session_id.to_owned(),
            contact_id: contact_id.to_owned(),
            subject: subject.to_owned(),
            note: note.to_owned(),
            additional,
        };
        self.logs.push(log.clone());
        log
    }

    pub fn log_for_session(&self, session_id: &str) -> Option<&CallLog> {
        self.logs.iter().find(|l| l.session_id == session_id)
    }
}

impl Contact {
    /// The contact as findContact returns it.
    pub fn to_wire(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "type": self.kind,
            "phone": self.phones.first(),
        });
        if let Some(c) = &self.company {
            v["company"] = json!(c);
        }
        if !self.deals.is_empty() {
            let deals: Vec<Value> = self
                .deals
                .iter()
                .map(|(c, t)| json!({"const": c, "title": t}))
                .collect();
            v["additionalInfo"] = json!({ "deals": deals });
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interesting_numbers_do_what_they_say_against_the_seed() {
        let crm = Crm::seeded();
        let list = interesting_numbers();
        let kinds: Vec<SandboxNumberKind> = list.iter().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            [
                SandboxNumberKind::Shared,
                SandboxNumberKind::FormatOnly,
                SandboxNumberKind::Extension,
                SandboxNumberKind::Unknown
            ],
            "the seed has each kind"
        );
        for n in &list {
            let found = crm.find(std::slice::from_ref(&n.number));
            match n.kind {
                SandboxNumberKind::Shared => {
                    assert!(found.len() >= 2, "{n:?}");
                    assert_eq!(n.contacts.len(), found.len());
                }
                SandboxNumberKind::FormatOnly => {
                    assert!(found.is_empty(), "not found as E.164: {n:?}");
                    let parsed = phone::parse_e164(&n.number).unwrap();
                    let formats = vec![n.format.clone().unwrap()];
                    let expanded: Vec<String> = phone::expand(&parsed, &formats)
                        .into_iter()
                        .map(|x| x.result)
                        .collect();
                    assert_eq!(crm.find(&expanded).len(), n.contacts.len(), "{n:?}");
                    assert!(!n.contacts.is_empty());
                }
                SandboxNumberKind::Extension => {
                    assert!(phone::parse_input(&n.number, None).unwrap().is_extension)
                }
                SandboxNumberKind::Unknown => {
                    let parsed = phone::parse_e164(&n.number).unwrap();
                    assert!(parsed.valid && found.is_empty(), "{n:?}");
                    let local: Vec<String> = ["(***) ***-****", "***.***.****", "***-***-****"]
                        .iter()
                        .map(|f| phone::fill_format(f, &parsed.significant))
                        .collect();
                    assert!(
                        crm.find(&local).is_empty(),
                        "not in any local format either"
                    );
                }
            }
        }
    }

    #[test]
    fn seed_has_a_shared_number_and_formatted_only_numbers() {
        let crm = Crm::seeded();
        assert_eq!(crm.contacts.len(), 12);
        assert_eq!(
            crm.find(&["+14155550123".into()]).len(),
            2,
            "two contacts share this number"
        );
        assert!(
            crm.find(&["+16502530000".into()]).is_empty(),
            "stored only as (650) 253-0000"
        );
        assert_eq!(crm.find(&["(650) 253-0000".into()]).len(), 1);
        let kinds: std::collections::BTreeSet<_> =
            crm.contacts.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds.len(), 3);
    }
}
