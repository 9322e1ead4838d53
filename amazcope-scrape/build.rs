//! Generates one `#[test]` per page listed in the fixtures' `TRUTH.tsv`, so a new page with
//! truth rows gets its own test without editing code.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=AMAZCOPE_FIXTURES");
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var("AMAZCOPE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/pages"));
    let truth = dir.join("TRUTH.tsv");
    println!("cargo:rerun-if-changed={}", truth.display());
    let mut out = String::new();
    match std::fs::read_to_string(&truth) {
        Ok(text) => {
            let files: BTreeSet<&str> = text
                .lines()
                .filter_map(|l| l.split('\t').next())
                .filter(|f| !f.is_empty() && *f != "file")
                .collect();
            for f in files {
                let name: String = f
                    .trim_end_matches(".html")
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                    .collect();
                let _ = writeln!(out, "#[test]\nfn page_{name}() {{ check_page({f:?}); }}\n");
            }
        }
        Err(e) => {
            // Never skip: a missing fixture folder is a failing test with the reason.
            let msg = format!(
                "fixture truth {} not readable at build time: {e}; set AMAZCOPE_FIXTURES",
                truth.display()
            );
            let _ = writeln!(out, "#[test]\nfn fixtures_folder_exists() {{ panic!({msg:?}); }}");
        }
    }
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("fixture_tests.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
