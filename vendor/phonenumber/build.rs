use std::env;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

#[path = "src/metadata/loader.rs"]
mod loader;

#[path = "src/error.rs"]
mod error;

// Switchboard patch (see ../README.md): each region's metadata is serialized on its own, with an
// index of where each one is, so that a process decodes only the regions it uses
// (src/metadata/database.rs) instead of all of them on the first parse.
fn main() {
    let pnm_path = "assets/PhoneNumberMetadata.xml";
    let metadata = loader::load(BufReader::new(
        File::open(pnm_path).expect("could not open metadata file"),
    ))
    .expect("failed to load metadata");
    println!("cargo:rerun-if-changed={pnm_path}");

    let out_dir = env::var("OUT_DIR").unwrap();
    let mut blob = Vec::new();
    let mut index: Vec<(String, u16, bool, u32, u32)> = Vec::with_capacity(metadata.len());
    for meta in &metadata {
        let start = blob.len();
        blob.extend(postcard::to_stdvec(meta).expect("failed to serialize metadata"));
        index.push((
            meta.id.clone().expect("every territory has an id"),
            meta.country_code.expect("every territory has a country code"),
            meta.main_country_for_code,
            u32::try_from(start).unwrap(),
            u32::try_from(blob.len()).unwrap(),
        ));
    }

    let mut out = BufWriter::new(
        File::create(Path::new(&out_dir).join("database.bin"))
            .expect("could not create database file"),
    );
    out.write_all(&blob).expect("failed to write database");
    let mut out = BufWriter::new(
        File::create(Path::new(&out_dir).join("index.bin")).expect("could not create index file"),
    );
    postcard::to_io(&index, &mut out).expect("failed to serialize the database index");
}
