//! Times `parse_page` over saved pages: `cargo run --release -p amazcope-scrape --example
//! parse_timing -- [--repeat N] [--product-only] [--dump] FILE_OR_DIR...`. Prints pages/s and
//! MB/s (median of the repeats), the figures `benches/parse_compare.sh` sets beside the
//! Python baselines. `--dump` prints each parsed page instead.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut repeat = 5usize;
    let mut product_only = false;
    let mut dump = false;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(5),
            "--product-only" => product_only = true,
            "--dump" => dump = true,
            _ => {
                let p = PathBuf::from(a);
                if p.is_dir() {
                    let mut v: Vec<PathBuf> = std::fs::read_dir(&p)
                        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                        .unwrap_or_default();
                    v.retain(|f| f.extension().is_some_and(|x| x == "html"));
                    v.sort();
                    files.extend(v);
                } else {
                    files.push(p);
                }
            }
        }
    }
    let mut pages = Vec::new();
    for f in &files {
        match std::fs::read(f) {
            Ok(b) => {
                let s = String::from_utf8_lossy(&b).into_owned();
                // Same selection as the Python baseline: pages that name `productTitle`.
                if !product_only || s.contains("productTitle") {
                    pages.push((f.clone(), s));
                }
            }
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                std::process::exit(1);
            }
        }
    }
    if pages.is_empty() {
        eprintln!("error: no pages");
        std::process::exit(1);
    }
    if dump {
        for (f, html) in &pages {
            println!("== {}\n{:#?}", f.display(), amazcope_scrape::parse_page(html, None));
        }
        return;
    }
    let bytes: usize = pages.iter().map(|(_, h)| h.len()).sum();
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        for (_, html) in &pages {
            std::hint::black_box(amazcope_scrape::parse_page(std::hint::black_box(html), None).ok());
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let med = times[times.len() / 2];
    println!(
        "{:20} {} pages {:.2} MB  median {:.4} s  {:.1} pages/s  {:.2} MB/s",
        "amazcope",
        pages.len(),
        bytes as f64 / 1e6,
        med,
        pages.len() as f64 / med,
        bytes as f64 / 1e6 / med
    );
}
