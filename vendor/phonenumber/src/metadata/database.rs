// Copyright (C) 2017 1aim GmbH
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

use crate::error;
use crate::metadata::loader;
use crate::Metadata;
use fnv::FnvHashMap;
use once_cell::sync::{Lazy, OnceCell};
use regex_cache::{CachedRegex, CachedRegexBuilder, RegexCache};
use std::borrow::Borrow;
use std::fs::File;
use std::hash::Hash;
use std::io::{BufReader, Cursor};
use std::path::Path;
use std::sync::{Arc, Mutex};

// Switchboard patch (see ../../README.md): the regions are serialized one by one (build.rs) and
// decoded on first use, instead of all ~250 of them on the first parse.
const DATABASE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/database.bin"));
/// Per region: id, country code, main country for its code, and its bytes in `DATABASE`.
const INDEX: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/index.bin"));

/// The Google provided metadata database, used as default.
pub static DEFAULT: Lazy<Database> = Lazy::new(Database::embedded);

/// Representation of a database of metadata for phone number.
#[derive(Clone, Debug)]
pub struct Database {
    cache: Arc<Mutex<RegexCache>>,
    entries: Vec<Entry>,
    by_id: FnvHashMap<String, usize>,
    by_code: FnvHashMap<u16, Vec<usize>>,
    regions: FnvHashMap<u16, Vec<String>>,
}

/// One region: its metadata, decoded from `encoded` when first asked for.
#[derive(Clone, Debug)]
struct Entry {
    encoded: &'static [u8],
    metadata: OnceCell<Arc<super::Metadata>>,
}

impl Database {
    /// Load a database from the given file.
    pub fn load<P: AsRef<Path>>(path: P) -> Result<Self, error::LoadMetadata> {
        Database::from(loader::load(BufReader::new(File::open(path)?))?)
    }

    /// Parse a database from the given string.
    pub fn parse<S: AsRef<str>>(content: S) -> Result<Self, error::LoadMetadata> {
        Database::from(loader::load(Cursor::new(content.as_ref()))?)
    }

    /// Create a database from a loaded database.
    pub fn from(meta: Vec<loader::Metadata>) -> Result<Self, error::LoadMetadata> {
        let cache = Arc::new(Mutex::new(RegexCache::new(100)));
        let mut entries = Vec::with_capacity(meta.len());
        for meta in meta {
            entries.push(Entry {
                encoded: &[],
                metadata: OnceCell::with_value(Arc::new(metadata(&cache, meta)?)),
            });
        }
        let keys = entries
            .iter()
            .map(|e| {
                let m = e.metadata.get().expect("decoded above");
                (m.id.clone(), m.country_code, m.main_country_for_code)
            })
            .collect::<Vec<_>>();
        Ok(Database::indexed(cache, entries, keys))
    }

    /// The database compiled into the crate, every region still encoded.
    fn embedded() -> Self {
        let index: Vec<(String, u16, bool, u32, u32)> =
            postcard::from_bytes(INDEX).expect("the embedded database index is valid");
        let mut entries = Vec::with_capacity(index.len());
        let mut keys = Vec::with_capacity(index.len());
        for (id, code, main, start, end) in index {
            entries.push(Entry {
                encoded: &DATABASE[start as usize..end as usize],
                metadata: OnceCell::new(),
            });
            keys.push((id, code, main));
        }
        Database::indexed(Arc::new(Mutex::new(RegexCache::new(100))), entries, keys)
    }

    /// The lookup tables, built exactly as the eager database built them (a later region with
    /// the same id replaces an earlier one; the main country of a code comes first).
    fn indexed(
        cache: Arc<Mutex<RegexCache>>,
        entries: Vec<Entry>,
        keys: Vec<(String, u16, bool)>,
    ) -> Self {
        let mut by_id = FnvHashMap::default();
        let mut by_code = FnvHashMap::default();
        let mut regions = FnvHashMap::default();

        for (i, (id, code, main)) in keys.into_iter().enumerate() {
            by_id.insert(id.clone(), i);

            let by_code = by_code.entry(code).or_insert_with(Vec::new);

            let regions = regions.entry(code).or_insert_with(Vec::new);

            if main {
                by_code.insert(0, i);
                regions.insert(0, id)
            } else {
                by_code.push(i);
                regions.push(id);
            }
        }

        Database {
            cache,
            entries,
            by_id,
            by_code,
            regions,
        }
    }

    /// The metadata of region `i`, decoded on first use.
    fn get(&self, i: usize) -> &super::Metadata {
        let entry = &self.entries[i];
        entry.metadata.get_or_init(|| {
            let meta = postcard::from_bytes(entry.encoded)
                .expect("the embedded database is valid");
            Arc::new(metadata(&self.cache, meta).expect("the embedded database is complete"))
        })
    }

    /// Get the regular expression cache.
    pub fn cache(&self) -> Arc<Mutex<RegexCache>> {
        self.cache.clone()
    }

    /// Get a metadata entry by country ID.
    pub fn by_id<Q>(&self, key: &Q) -> Option<&super::Metadata>
    where
        Q: ?Sized + Hash + Eq,
        String: Borrow<Q>,
    {
        self.by_id.get(key).map(|&i| self.get(i))
    }

    /// Get metadata entries by country code.
    pub fn by_code<Q>(&self, key: &Q) -> Option<Vec<&super::Metadata>>
    where
        Q: ?Sized + Hash + Eq,
        u16: Borrow<Q>,
    {
        self.by_code
            .get(key)
            .map(|m| m.iter().map(|&i| self.get(i)).collect())
    }

    /// Get all country IDs corresponding to the given country code.
    pub fn region<Q>(&self, code: &Q) -> Option<Vec<&str>>
    where
        Q: ?Sized + Hash + Eq,
        u16: Borrow<Q>,
    {
        self.regions
            .get(code)
            .map(|m| m.iter().map(AsRef::as_ref).collect())
    }

    /// Iterator over all `Metadata` entries in this database.
    pub fn iter(&self) -> impl Iterator<Item = &Metadata> {
        self.by_id.values().map(|&i| self.get(i))
    }
}

fn tranpose<T, E>(value: Option<Result<T, E>>) -> Result<Option<T>, E> {
    match value {
        None => Ok(None),

        Some(Ok(value)) => Ok(Some(value)),

        Some(Err(err)) => Err(err),
    }
}

// Switchboard patch: the patterns are neither syntax-checked up front (the check parsed every
// pattern of every region; a pattern is still parsed when first used) nor compiled with Unicode
// classes. They are only ever matched against numbers normalized to ASCII digits
// (parser::helper::normalize), where `\d` and `[0-9]` agree, and ASCII classes compile several
// times faster.
fn regex(
    cache: &Arc<Mutex<RegexCache>>,
    value: String,
) -> Result<CachedRegex, error::LoadMetadata> {
    Ok(CachedRegexBuilder::new(cache.clone(), &value)
        .ignore_whitespace(true)
        .unicode(false)
        .build_unchecked())
}

fn descriptor(
    cache: &Arc<Mutex<RegexCache>>,
    desc: loader::Descriptor,
) -> Result<super::Descriptor, error::LoadMetadata> {
    desc.national_number.as_ref().unwrap();
    desc.national_number.as_ref().unwrap();

    Ok(super::Descriptor {
        national_number: desc
            .national_number
            .ok_or_else(|| {
                error::LoadMetadata::from(error::Metadata::MissingValue {
                    phase: "descriptor".into(),
                    name: "national_number".into(),
                })
            })
            .and_then(|v| regex(cache, v))?,

        possible_length: desc.possible_length,
        possible_local_length: desc.possible_local_length,
        example: desc.example,
    })
}

fn format(
    cache: &Arc<Mutex<RegexCache>>,
    format: loader::Format,
) -> Result<super::Format, error::LoadMetadata> {
    Ok(super::Format {
        pattern: format
            .pattern
            .ok_or_else(|| {
                error::LoadMetadata::from(error::Metadata::MissingValue {
                    phase: "format".into(),
                    name: "pattern".into(),
                })
            })
            .and_then(|v| regex(cache, v))?,

        format: format.format.ok_or_else(|| {
            error::LoadMetadata::from(error::Metadata::MissingValue {
                phase: "format".into(),
                name: "format".into(),
            })
        })?,

        leading_digits: format
            .leading_digits
            .into_iter()
            .map(|v| regex(cache, v))
            .collect::<Result<_, _>>()?,

        national_prefix: format.national_prefix_formatting_rule,
        national_prefix_optional: format.national_prefix_optional_when_formatting,

        domestic_carrier: format.domestic_carrier,
    })
}

fn metadata(
    cache: &Arc<Mutex<RegexCache>>,
    meta: loader::Metadata,
) -> Result<super::Metadata, error::LoadMetadata> {
    let descriptor = |desc| descriptor(cache, desc);
    let regex = |value| regex(cache, value);
    let format = |f| format(cache, f);

    Ok(super::Metadata {
        descriptors: super::Descriptors {
            general: descriptor(meta.general.ok_or_else(|| {
                error::LoadMetadata::from(error::Metadata::MissingValue {
                    phase: "metadata".into(),
                    name: "generalDesc".into(),
                })
            })?)?,

            fixed_line: tranpose(meta.fixed_line.map(descriptor))?,
            mobile: tranpose(meta.mobile.map(descriptor))?,
            toll_free: tranpose(meta.toll_free.map(descriptor))?,
            premium_rate: tranpose(meta.premium_rate.map(descriptor))?,
            shared_cost: tranpose(meta.shared_cost.map(descriptor))?,
            personal_number: tranpose(meta.personal_number.map(descriptor))?,
            voip: tranpose(meta.voip.map(descriptor))?,
            pager: tranpose(meta.pager.map(descriptor))?,
            uan: tranpose(meta.uan.map(descriptor))?,
            emergency: tranpose(meta.emergency.map(descriptor))?,
            voicemail: tranpose(meta.voicemail.map(descriptor))?,
            short_code: tranpose(meta.short_code.map(descriptor))?,
            standard_rate: tranpose(meta.standard_rate.map(descriptor))?,
            carrier: tranpose(meta.carrier.map(descriptor))?,
            no_international: tranpose(meta.no_international.map(descriptor))?,
        },

        id: meta.id.ok_or_else(|| {
            error::LoadMetadata::from(error::Metadata::MissingValue {
                phase: "metadata".into(),
                name: "id".into(),
            })
        })?,

        country_code: meta.country_code.ok_or_else(|| {
            error::LoadMetadata::from(error::Metadata::MissingValue {
                phase: "metadata".into(),
                name: "countryCode".into(),
            })
        })?,

        international_prefix: tranpose(meta.international_prefix.map(regex))?,
        preferred_international_prefix: meta.preferred_international_prefix,
        national_prefix: meta.national_prefix,
        preferred_extension_prefix: meta.preferred_extension_prefix,
        national_prefix_for_parsing: tranpose(meta.national_prefix_for_parsing.map(regex))?,
        national_prefix_transform_rule: meta.national_prefix_transform_rule,

        formats: meta
            .formats
            .into_iter()
            .map(format)
            .collect::<Result<_, _>>()?,
        international_formats: meta
            .international_formats
            .into_iter()
            .map(format)
            .collect::<Result<_, _>>()?,

        main_country_for_code: meta.main_country_for_code,
        leading_digits: tranpose(meta.leading_digits.map(regex))?,
        mobile_number_portable: meta.mobile_number_portable,
    })
}
