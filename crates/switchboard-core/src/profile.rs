//! Profiles: one connector set-up a person switches to (manifest source, platform, server, CRM
//! environment, phone settings, a name and a colour). Non-secret only: secrets live in the OS
//! keychain under accounts derived from the profile's id (see `keychain::profile_account`).
//! The list is one JSON file in the app's config dir, written atomically by `store`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, UserError};
use crate::manifest::SANDBOX_SOURCE;
use crate::phone;
use crate::store::{self, StoreError};

/// Colours offered for profiles; a new profile takes the first one not in use.
pub const PALETTE: [&str; 8] = [
    "#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7ea4", "#d4721c", "#57606a",
];

const MAX_NAME: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub colour: String,
    /// A file path, an http(s) URL, or `bundled:sandbox`.
    pub manifest: String,
    /// The platform chosen in the manifest; none means the first one.
    pub platform: Option<String>,
    /// A server URL used in place of the manifest's `serverUrl` (e.g. `http://localhost:6066`).
    pub server_url: Option<String>,
    /// The CRM hostname / environment choice (SPEC §5 `environment`): a selectable's `const` or
    /// a dynamic URL the person typed. Fixed environments need none.
    pub hostname: Option<String>,
    /// Default region for numbers typed without a country code (ISO 3166 alpha-2).
    pub region: String,
    /// Up to three overriding formats, e.g. `(***) ***-****`.
    pub formats: Vec<String>,
    /// The agent's own number: the other end of a simulated call (`from` of an outbound call,
    /// `to` of an inbound one).
    pub agent_number: String,
    /// The largest connector answer read, in MiB; a larger one is refused with its size.
    pub max_body_mib: u32,
}

/// Far above any real connector answer, small enough that a runaway one cannot exhaust memory.
pub const DEFAULT_MAX_BODY_MIB: u32 = 5;
/// The most a person may allow.
pub const MAX_BODY_MIB_LIMIT: u32 = 1024;

/// A reserved fictional number (555-01xx), used until the person sets their own.
pub const DEFAULT_AGENT_NUMBER: &str = "+16505550199";

impl Default for Profile {
    fn default() -> Self {
        Self {
            id: String::new(),
            name: "Sandbox".to_owned(),
            colour: PALETTE[0].to_owned(),
            manifest: SANDBOX_SOURCE.to_owned(),
            platform: None,
            server_url: None,
            hostname: None,
            region: "US".to_owned(),
            formats: Vec::new(),
            agent_number: DEFAULT_AGENT_NUMBER.to_owned(),
            max_body_mib: DEFAULT_MAX_BODY_MIB,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    #[error(
        "No profile with id {0}. It may have been deleted in another window; reopen the list."
    )]
    NotFound(String),
    #[error("A profile needs a name (1 to {MAX_NAME} characters).")]
    BadName,
    #[error("\"{0}\" is not a colour; use #rrggbb, e.g. #1f6feb.")]
    BadColour(String),
    #[error("\"{0}\" is not a region code; use two letters such as US, GB or DE.")]
    BadRegion(String),
    #[error("{0}")]
    BadFormat(String),
    #[error("\"{0}\" is not a server URL; use http(s)://host[:port], e.g. http://localhost:6066.")]
    BadServer(String),
    #[error("{0}")]
    BadAgentNumber(String),
    #[error("The answer size limit must be 1 to {MAX_BODY_MIB_LIMIT} MiB; {0} is not.")]
    BadMaxBody(u32),
    #[error("Another profile is already called \"{0}\"; pick another name.")]
    DuplicateName(String),
    #[error("The last profile cannot be deleted; create another one first.")]
    LastOne,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ProfileError> for UserError {
    fn from(e: ProfileError) -> Self {
        let code = match e {
            ProfileError::Store(_) => ErrorCode::Storage,
            _ => ErrorCode::InvalidInput,
        };
        UserError::new(code, e.to_string())
    }
}

impl Profile {
    /// Trims what a person typed and checks it; the profile is unchanged on error.
    pub fn normalized(mut self) -> Result<Self, ProfileError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > MAX_NAME {
            return Err(ProfileError::BadName);
        }
        let c = self.colour.trim();
        if !(c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|h| h.is_ascii_hexdigit())) {
            return Err(ProfileError::BadColour(self.colour));
        }
        self.colour = c.to_ascii_lowercase();
        self.region = self.region.trim().to_ascii_uppercase();
        if !(self.region.is_empty()
            || (self.region.len() == 2 && self.region.chars().all(|r| r.is_ascii_uppercase())))
        {
            return Err(ProfileError::BadRegion(self.region));
        }
        self.formats = phone::clean_formats(&self.formats)
            .map_err(|e| ProfileError::BadFormat(e.to_string()))?;
        let agent = self.agent_number.trim();
        self.agent_number = if agent.is_empty() {
            DEFAULT_AGENT_NUMBER.to_owned()
        } else {
            phone::parse_input(agent, Some(&self.region))
                .ok()
                .filter(|n| n.valid)
                .map(|n| n.e164)
                .ok_or_else(|| {
                    ProfileError::BadAgentNumber(format!(
                        "\"{agent}\" is not a valid phone number for the agent; use E.164, e.g. +16505550199."
                    ))
                })?
        };
        if !(1..=MAX_BODY_MIB_LIMIT).contains(&self.max_body_mib) {
            return Err(ProfileError::BadMaxBody(self.max_body_mib));
        }
        self.server_url = trimmed(self.server_url.take());
        if let Some(s) = &self.server_url {
            let ok = url::Url::parse(s)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .unwrap_or(false);
            if !ok {
                return Err(ProfileError::BadServer(s.clone()));
            }
        }
        self.platform = trimmed(self.platform.take());
        self.hostname = trimmed(self.hostname.take());
        self.manifest = self.manifest.trim().to_owned();
        if self.manifest.is_empty() {
            self.manifest = SANDBOX_SOURCE.to_owned();
        }
        Ok(self)
    }
}

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ProfileFile {
    /// The profile that reopens on start.
    last: Option<String>,
    profiles: Vec<Profile>,
}

/// The profile list and its file. Every change is saved before it is reported done.
#[derive(Debug)]
pub struct Profiles {
    /// None: a list that lives in memory only (the CLI's one-off profile, tests).
    path: Option<PathBuf>,
    file: ProfileFile,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Profiles {
    /// Opens the list at `path`. A missing file starts with one "Sandbox" profile; an unreadable
    /// one is moved aside (never overwritten) and reported alongside a fresh list.
    pub fn open(path: &Path) -> (Self, Option<StoreError>) {
        let (file, problem) = match store::load_value::<ProfileFile>(path) {
            Ok(f) => (f, None),
            Err(e) => (ProfileFile::default(), Some(e)),
        };
        let mut me = Self {
            path: Some(path.to_owned()),
            file,
        };
        me.file
            .profiles
            .retain(|p| !p.id.is_empty() && !p.name.trim().is_empty());
        if me.file.profiles.is_empty() {
            me.file.profiles.push(Profile {
                id: new_id(),
                ..Profile::default()
            });
        }
        (me, problem)
    }

    /// A list of one profile that is never written to disk.
    pub fn in_memory(profile: Profile) -> Result<Self, ProfileError> {
        let profile = Profile {
            id: if profile.id.is_empty() {
                new_id()
            } else {
                profile.id.clone()
            },
            ..profile
        }
        .normalized()?;
        Ok(Self {
            path: None,
            file: ProfileFile {
                last: Some(profile.id.clone()),
                profiles: vec![profile],
            },
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn list(&self) -> &[Profile] {
        &self.file.profiles
    }

    /// The profile in use: the last one switched to, else the first.
    pub fn active(&self) -> &Profile {
        self.file
            .last
            .as_deref()
            .and_then(|id| self.get(id).ok())
            .unwrap_or(&self.file.profiles[0])
    }

    pub fn get(&self, id: &str) -> Result<&Profile, ProfileError> {
        self.file
            .profiles
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| ProfileError::NotFound(id.to_owned()))
    }

    fn index(&self, id: &str) -> Result<usize, ProfileError> {
        self.file
            .profiles
            .iter()
            .position(|p| p.id == id)
            .ok_or_else(|| ProfileError::NotFound(id.to_owned()))
    }

    fn save(&self) -> Result<(), ProfileError> {
        match &self.path {
            Some(path) => Ok(store::save(path, &self.file)?),
            None => Ok(()),
        }
    }

    fn name_taken(&self, name: &str, except: &str) -> bool {
        self.file
            .profiles
            .iter()
            .any(|p| p.id != except && p.name.eq_ignore_ascii_case(name.trim()))
    }

    /// Runs `change` on a copy, saves it, and keeps the old list when saving fails.
    fn commit(&mut self, change: impl FnOnce(&mut ProfileFile)) -> Result<(), ProfileError> {
        let before = self.file.clone();
        change(&mut self.file);
        if let Err(e) = self.save() {
            self.file = before;
            return Err(e);
        }
        Ok(())
    }

    fn unused_colour(&self) -> String {
        PALETTE
            .iter()
            .find(|c| !self.file.profiles.iter().any(|p| p.colour == **c))
            .unwrap_or(&PALETTE[self.file.profiles.len() % PALETTE.len()])
            .to_string()
    }

    /// Adds a profile (the given settings with a fresh id and, unless set, an unused colour) and
    /// makes it the active one.
    pub fn create(&mut self, template: Profile) -> Result<Profile, ProfileError> {
        let colour = if template.colour.is_empty() {
            self.unused_colour()
        } else {
            template.colour.clone()
        };
        let profile = Profile {
            id: new_id(),
            colour,
            ..template
        }
        .normalized()?;
        if self.name_taken(&profile.name, &profile.id) {
            return Err(ProfileError::DuplicateName(profile.name));
        }
        let added = profile.clone();
        self.commit(|f| {
            f.last = Some(added.id.clone());
            f.profiles.push(added);
        })?;
        Ok(profile)
    }

    /// A copy named "<name> copy" (or "copy 2", …), with its own id and no secrets.
    pub fn duplicate(&mut self, id: &str) -> Result<Profile, ProfileError> {
        let source = self.get(id)?.clone();
        let base = format!("{} copy", source.name);
        let mut name = base.clone();
        let mut n = 2;
        while self.name_taken(&name, "") {
            name = format!("{base} {n}");
            n += 1;
        }
        let colour = self.unused_colour();
        self.create(Profile {
            name,
            colour,
            ..source
        })
    }

    pub fn rename(&mut self, id: &str, name: &str) -> Result<Profile, ProfileError> {
        self.update(id, |p| p.name = name.to_owned())
    }

    /// Changes a profile's settings; the change is checked and saved, or nothing changes.
    pub fn update(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut Profile),
    ) -> Result<Profile, ProfileError> {
        let i = self.index(id)?;
        let mut edited = self.file.profiles[i].clone();
        change(&mut edited);
        edited.id = id.to_owned();
        let edited = edited.normalized()?;
        if self.name_taken(&edited.name, id) {
            return Err(ProfileError::DuplicateName(edited.name));
        }
        let stored = edited.clone();
        self.commit(|f| f.profiles[i] = stored)?;
        Ok(edited)
    }

    /// Removes a profile and returns it (its keychain entries are the caller's to delete). When
    /// it was the active one, the first remaining profile becomes active.
    pub fn delete(&mut self, id: &str) -> Result<Profile, ProfileError> {
        let i = self.index(id)?;
        if self.file.profiles.len() == 1 {
            return Err(ProfileError::LastOne);
        }
        let removed = self.file.profiles[i].clone();
        self.commit(|f| {
            f.profiles.remove(i);
            if f.last.as_deref() == Some(id) {
                f.last = f.profiles.first().map(|p| p.id.clone());
            }
        })?;
        Ok(removed)
    }

    /// Makes a profile the active one; it reopens on the next start.
    pub fn switch(&mut self, id: &str) -> Result<Profile, ProfileError> {
        let profile = self.get(id)?.clone();
        self.commit(|f| f.last = Some(profile.id.clone()))?;
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &tempfile::TempDir) -> Profiles {
        let (p, problem) = Profiles::open(&dir.path().join("profiles.json"));
        assert!(problem.is_none(), "{problem:?}");
        p
    }

    #[test]
    fn a_new_list_has_one_sandbox_profile() {
        let dir = tempfile::tempdir().unwrap();
        let p = open(&dir);
        assert_eq!(p.list().len(), 1);
        assert_eq!(p.active().manifest, SANDBOX_SOURCE);
        assert_eq!(p.active().region, "US");
    }

    #[test]
    fn create_rename_duplicate_switch_delete_and_the_last_one_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = open(&dir);
        let first = p.active().id.clone();
        let staging = p
            .create(Profile {
                name: "  Acme staging ".into(),
                colour: String::new(),
                manifest: "/tmp/acme.json".into(),
                server_url: Some("http://localhost:6066".into()),
                formats: vec!["(***) ***-****".into(), " ".into()],
                ..Profile::default()
            })
            .unwrap();
        assert_eq!(staging.name, "Acme staging");
        assert_eq!(staging.formats, ["(***) ***-****"], "blank formats dropped");
        assert_ne!(staging.colour, p.get(&first).unwrap().colour);
        assert_eq!(p.active().id, staging.id, "a new profile becomes active");

        let copy = p.duplicate(&staging.id).unwrap();
        assert_eq!(copy.name, "Acme staging copy");
        assert_eq!(copy.manifest, "/tmp/acme.json");
        assert_ne!(copy.id, staging.id);
        assert_eq!(
            p.duplicate(&staging.id).unwrap().name,
            "Acme staging copy 2"
        );
        p.rename(&copy.id, "Acme prod").unwrap();
        p.switch(&copy.id).unwrap();

        // A second start sees the same list and reopens the last profile.
        let again = open(&dir);
        assert_eq!(again.list().len(), 4);
        assert_eq!(again.active().name, "Acme prod");

        let removed = p.delete(&copy.id).unwrap();
        assert_eq!(removed.name, "Acme prod");
        assert_eq!(p.active().id, first, "deleting the active one falls back");
        assert_eq!(open(&dir).list().len(), 3);
    }

    #[test]
    fn bad_settings_are_refused_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = open(&dir);
        let id = p.active().id.clone();
        type Change = Box<dyn Fn(&mut Profile)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|x| x.name = "  ".into()), "needs a name"),
            (Box::new(|x| x.colour = "blue".into()), "#rrggbb"),
            (Box::new(|x| x.region = "USA".into()), "region code"),
            (
                Box::new(|x| x.server_url = Some("localhost:6066".into())),
                "http://localhost:6066",
            ),
            (
                Box::new(|x| x.formats = vec!["a".into(), "b".into(), "c".into(), "d".into()]),
                "At most 3",
            ),
        ];
        for (change, says) in cases {
            let e = p.update(&id, change).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
        assert_eq!(p.active().name, "Sandbox");
        assert!(matches!(p.delete(&id), Err(ProfileError::LastOne)));
        assert!(matches!(p.switch("nope"), Err(ProfileError::NotFound(_))));
    }

    #[test]
    fn two_profiles_never_share_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = open(&dir);
        let sandbox = p.active().id.clone();
        // Case and surrounding spaces do not make another name.
        let e = p
            .create(Profile {
                name: " SANDBOX ".into(),
                ..Profile::default()
            })
            .unwrap_err();
        assert!(matches!(e, ProfileError::DuplicateName(_)), "{e}");
        assert!(e.to_string().contains("already called"), "{e}");
        assert_eq!(p.list().len(), 1, "nothing was added");
        let other = p
            .create(Profile {
                name: "Acme".into(),
                ..Profile::default()
            })
            .unwrap();
        let e = p
            .update(&other.id, |x| x.name = "sandbox".into())
            .unwrap_err();
        assert!(matches!(e, ProfileError::DuplicateName(_)), "{e}");
        assert_eq!(
            p.get(&other.id).unwrap().name,
            "Acme",
            "the rename was not kept"
        );
        // Keeping its own name (in another case) is not a clash.
        p.update(&sandbox, |x| x.name = "SANDBOX".into()).unwrap();
        // A duplicate is named apart from every existing profile.
        let copy = p.duplicate(&other.id).unwrap();
        assert_eq!(copy.name, "Acme copy");
        assert_eq!(p.duplicate(&other.id).unwrap().name, "Acme copy 2");
        // And the names on disk are what a reopen sees.
        let names: Vec<String> = open(&dir).list().iter().map(|x| x.name.clone()).collect();
        assert_eq!(names, ["SANDBOX", "Acme", "Acme copy", "Acme copy 2"]);
    }

    #[test]
    fn a_failed_save_keeps_the_previous_list() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-dir");
        std::fs::write(&blocker, "x").unwrap();
        let (mut p, _) = Profiles::open(&blocker.join("profiles.json"));
        let e = p
            .create(Profile {
                name: "B".into(),
                ..Profile::default()
            })
            .unwrap_err();
        assert!(matches!(e, ProfileError::Store(_)), "{e}");
        assert_eq!(
            p.list().len(),
            1,
            "the failed profile is not kept in memory"
        );
    }

    #[test]
    fn a_corrupt_file_is_reported_and_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profiles.json");
        std::fs::write(&path, "{\"profiles\": [").unwrap();
        let (p, problem) = Profiles::open(&path);
        assert!(problem.unwrap().to_string().contains("moved to"));
        assert_eq!(p.list().len(), 1);
        assert!(path.with_extension("corrupt").exists());
    }
}
