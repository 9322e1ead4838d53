//! Parse throughput over the fixture product pages: pages/s (one iteration = every page
//! once) and MB/s (`Throughput::Bytes`). The Python baselines (BeautifulSoup + lxml,
//! selectolax) are timed over the same pages in the same run by `benches/parse_compare.sh`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;

fn pages() -> Vec<String> {
    let dir = std::env::var("AMAZCOPE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/pages"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!("fixtures folder {} is missing (set AMAZCOPE_FIXTURES): {e}", dir.display())
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    files.sort();
    let pages: Vec<String> = files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
        // Same selection as ../shared/bench/parse_anchor.py: pages naming `productTitle`.
        .filter(|s| s.contains("productTitle"))
        .collect();
    assert!(!pages.is_empty(), "no product page in {}", dir.display());
    pages
}

fn parse(c: &mut Criterion) {
    let pages = pages();
    let bytes: usize = pages.iter().map(String::len).sum();
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(format!("product_pages_x{}", pages.len()), |b| {
        b.iter(|| {
            for p in &pages {
                std::hint::black_box(amazcope_scrape::parse_page(std::hint::black_box(p), None).ok());
            }
        })
    });
    // One page on its own: the per-page figure (pages/s = 1 / time).
    let one = pages.iter().max_by_key(|p| p.len()).cloned().unwrap_or_default();
    g.throughput(Throughput::Elements(1));
    g.bench_function("largest_product_page", |b| {
        b.iter(|| std::hint::black_box(amazcope_scrape::parse_page(std::hint::black_box(&one), None).ok()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = parse
}
criterion_main!(benches);
