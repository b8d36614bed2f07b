//! A small JSON file store for non-secret app data (profiles, the inspector's history). Writes are atomic: a
//! temporary file in the same folder is renamed over the old one, so a crash mid-write never loses
//! the previous file. A file that cannot be read is moved aside, not overwritten.

use std::path::{Path, PathBuf};

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

/// Writes a value atomically (pretty-printed, so a person can read it).
pub fn save<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), StoreError> {
    let err = |reason: String| StoreError::Write {
        path: path.display().to_string(),
        reason,
    };
    let dir = path
        .parent()
        .ok_or_else(|| err("no parent folder".into()))?;
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| err(e.to_string()))?;
    serde_json::to_writer_pretty(&mut tmp, value).map_err(|e| err(e.to_string()))?;
    tmp.as_file().sync_all().map_err(|e| err(e.to_string()))?;
    tmp.persist(path).map_err(|e| err(e.to_string()))?;
    Ok(())
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
