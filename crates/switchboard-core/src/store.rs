//! A small JSON file store for non-secret app data (profiles, the inspector's history). Writes are atomic: a
//! temporary file in the same folder is renamed over the old one, so a crash mid-write never loses
//! the previous file. A file that cannot be read is moved aside, not overwritten.
//!
//! A crash between creating the temporary file and the rename leaves it behind. Its name says
//! whose it is (`.history.json.a1B2c3.tmp` for `history.json`), the save holds a lock on it while
//! writing, and the next load or save of the same store removes those that are stale: older than
//! [`STALE_TEMP_AGE`] and locked by nobody.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("Could not write {path}: {reason}. Check that the folder exists and is writable.")]
    Write { path: String, reason: String },
    #[error(
        "{path} could not be read ({reason}); it was moved to {moved_to} and a new one started."
    )]
    Corrupt {
        path: String,
        reason: String,
        moved_to: String,
    },
}

/// Reads a list; a missing file is an empty list. An unreadable one is moved aside (`.corrupt`)
/// and reported, so nothing is silently lost.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, StoreError> {
    load_value(path)
}

/// Reads a value; a missing file is the default value. An unreadable one is moved aside.
pub fn load_value<T: DeserializeOwned + Default>(path: &Path) -> Result<T, StoreError> {
    remove_stale_temps(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => return Err(set_aside(path, &e.to_string())),
    };
    serde_json::from_str(&text).map_err(|e| set_aside(path, &e.to_string()))
}

fn set_aside(path: &Path, reason: &str) -> StoreError {
    let moved: PathBuf = path.with_extension("corrupt");
    let moved_to = match std::fs::rename(path, &moved) {
        Ok(()) => moved.display().to_string(),
        Err(e) => format!("(could not move it: {e})"),
    };
    StoreError::Corrupt {
        path: path.display().to_string(),
        reason: reason.to_owned(),
        moved_to,
    }
}

/// Writes a value atomically (pretty-printed, so a person can read it): a locked temporary file
/// beside it, fsynced, renamed over it, then the folder fsynced so the rename itself survives a
/// power cut (on Unix).
pub fn save<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), StoreError> {
    let err = |reason: String| StoreError::Write {
        path: path.display().to_string(),
        reason,
    };
    let dir = path
        .parent()
        .ok_or_else(|| err("no parent folder".into()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| err("no file name".into()))?;
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    remove_stale_temps(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(name))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM_LEN)
        .tempfile_in(dir)
        .map_err(|e| err(e.to_string()))?;
    // Tells a concurrent cleanup that this one is alive (best effort: some file systems cannot
    // lock, and then the age alone protects it).
    let _ = tmp.as_file().lock();
    serde_json::to_writer_pretty(&mut tmp, value).map_err(|e| err(e.to_string()))?;
    tmp.as_file().sync_all().map_err(|e| err(e.to_string()))?;
    tmp.persist(path).map_err(|e| err(e.to_string()))?;
    sync_dir(dir);
    Ok(())
}

/// A temporary file older than this, that no save holds locked, was left by a save that died.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(60);
const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RANDOM_LEN: usize = 6;

fn temp_prefix(file_name: &str) -> String {
    format!(".{file_name}.")
}

/// Whose temporary file a name is.
#[derive(Debug, PartialEq, Eq)]
enum Temp {
    /// `.{file_name}.{6 letters or digits}.tmp`: this store's.
    Own,
    /// `.tmp{6 letters or digits}`: what every store in the folder left before names said whose
    /// they were (tempfile's default name).
    Legacy,
}

fn temp_kind(candidate: &str, file_name: &str) -> Option<Temp> {
    let random =
        |s: &str| s.len() == TEMP_RANDOM_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if candidate
        .strip_prefix(&temp_prefix(file_name))
        .and_then(|r| r.strip_suffix(TEMP_SUFFIX))
        .is_some_and(random)
    {
        return Some(Temp::Own);
    }
    candidate
        .strip_prefix(".tmp")
        .is_some_and(random)
        .then_some(Temp::Legacy)
}

/// True when a file starts like what `save` writes (pretty JSON), or is empty: a legacy temporary
/// name alone is too common to delete on.
fn looks_like_ours(file: &mut File) -> bool {
    use std::io::Read;
    let mut first = [0u8; 1];
    match file.read(&mut first) {
        Ok(0) => true,
        Ok(_) => matches!(first[0], b'{' | b'['),
        Err(_) => false,
    }
}

/// Removes the stale temporary files of the store at `path` (best effort: a file that cannot be
/// inspected or removed is left alone).
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(candidate) = file_name.to_str() else {
            continue;
        };
        let Some(kind) = temp_kind(candidate, name) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if !meta.is_file() || !old {
            continue;
        }
        let candidate_path = entry.path();
        let Ok(mut file) = File::open(&candidate_path) else {
            continue;
        };
        if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
            continue; // a save is writing it right now
        }
        if kind == Temp::Legacy && !looks_like_ours(&mut file) {
            continue;
        }
        drop(file);
        match std::fs::remove_file(&candidate_path) {
            Ok(()) => {
                tracing::debug!(path = %candidate_path.display(), "removed a stale temporary file")
            }
            Err(e) => {
                tracing::debug!(path = %candidate_path.display(), error = %e, "could not remove a stale temporary file")
            }
        }
    }
}

/// Makes a rename in `dir` durable. Best effort: some file systems refuse to fsync a folder, and
/// the new file is already in place.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(dir = %dir.display(), error = %e, "could not fsync the folder");
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history.json");
        assert_eq!(load::<String>(&path).unwrap(), Vec::<String>::new());
        save(&path, &["a".to_owned(), "b".to_owned()][..]).unwrap();
        assert_eq!(load::<String>(&path).unwrap(), ["a", "b"]);
        save(&path, &["c".to_owned()][..]).unwrap();
        assert_eq!(
            load::<String>(&path).unwrap(),
            ["c"],
            "a save replaces the whole list"
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }

    /// Writes `content` to `dir/name`, last modified `age` ago.
    fn temp_file(dir: &Path, name: &str, content: &str, age: Duration) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let file = File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
        path
    }

    #[test]
    fn stale_temporary_files_of_this_store_are_removed_on_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        let hour = Duration::from_secs(3600);
        // What a save killed mid-write leaves: this store's, and the unnamed ones of old versions.
        let stale = [
            temp_file(dir.path(), ".history.json.aB3dE9.tmp", "[\n  \"half", hour),
            temp_file(dir.path(), ".history.json.000000.tmp", "", hour),
            temp_file(dir.path(), ".tmpXyZ123", "{\n  \"profiles\": [", hour),
        ];
        // Not stale, or not this store's: kept.
        let kept = [
            temp_file(dir.path(), ".history.json.fresh1.tmp", "[", Duration::ZERO),
            temp_file(dir.path(), ".profiles.json.aB3dE9.tmp", "[", hour),
            temp_file(dir.path(), ".history.json.toolong7.tmp", "[", hour),
            temp_file(dir.path(), "history.json.aB3dE9.tmp", "[", hour),
            temp_file(dir.path(), "notes.tmp", "mine", hour),
            temp_file(dir.path(), ".tmpQwErTy", "not JSON: someone else's", hour),
            temp_file(dir.path(), ".history.json.lOcKed.tmp", "[", hour),
        ];
        let writing = File::open(kept.last().unwrap()).unwrap();
        writing.lock().unwrap(); // a save still writing it, however old it looks

        save(&path, &["x".to_owned()][..]).unwrap();
        for p in &stale {
            assert!(!p.exists(), "{} should be gone", p.display());
        }
        for p in &kept {
            assert!(p.exists(), "{} should be kept", p.display());
        }
        assert_eq!(
            load::<String>(&path).unwrap(),
            ["x"],
            "the saved file is intact"
        );
        assert_eq!(
            serde_json::from_str::<Vec<String>>(&std::fs::read_to_string(&path).unwrap()).unwrap(),
            ["x"]
        );

        // The next load cleans up too (a crash after this save, before any other).
        let again = temp_file(dir.path(), ".history.json.zZ9zZ9.tmp", "[", hour);
        assert_eq!(load::<String>(&path).unwrap(), ["x"]);
        assert!(!again.exists());
        drop(writing);
    }

    #[test]
    fn temporary_names_say_whose_they_are() {
        assert_eq!(
            temp_kind(".history.json.aB3dE9.tmp", "history.json"),
            Some(Temp::Own)
        );
        assert_eq!(temp_kind(".tmpaB3dE9", "history.json"), Some(Temp::Legacy));
        for other in [
            ".profiles.json.aB3dE9.tmp",
            ".history.json.aB3dE.tmp",
            ".history.json.aB3-E9.tmp",
            ".history.json.aB3dE9.tmp.bak",
            ".tmpaB3dE9x",
            "history.json",
        ] {
            assert_eq!(temp_kind(other, "history.json"), None, "{other}");
        }
        // Names a save makes are recognised by the cleanup.
        let dir = tempfile::tempdir().unwrap();
        let tmp = tempfile::Builder::new()
            .prefix(&temp_prefix("history.json"))
            .suffix(TEMP_SUFFIX)
            .rand_bytes(TEMP_RANDOM_LEN)
            .tempfile_in(dir.path())
            .unwrap();
        let name = tmp.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(temp_kind(name, "history.json"), Some(Temp::Own), "{name}");
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        std::fs::write(&path, "{not json").unwrap();
        let e = load::<String>(&path).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(path.with_extension("corrupt")).unwrap(),
            "{not json"
        );
        assert!(e.to_string().contains("moved to"), "{e}");
    }
}
