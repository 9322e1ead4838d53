//! The fetcher's quick captcha check over every saved page: robot checks and WAF challenges
//! are caught, and no product, list, review, search or error page is mistaken for one.

use amazcope_scrape::fetch::looks_like_captcha;
use std::path::PathBuf;

fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("AMAZCOPE_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("shared/fixtures/pages")
    });
    assert!(
        dir.is_dir(),
        "fixture pages not found at {} (set AMAZCOPE_FIXTURES to the shared/fixtures/pages folder)",
        dir.display()
    );
    dir
}

#[test]
fn captcha_check_agrees_with_every_fixture_name() {
    let mut pages = 0;
    let mut captchas = 0;
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixture folder readable") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let body = String::from_utf8_lossy(&bytes);
        let expected = name.contains("_captcha_");
        pages += 1;
        captchas += usize::from(expected);
        if looks_like_captcha(&body) != expected {
            wrong.push(format!("{name}: expected captcha={expected}"));
        }
    }
    assert!(pages >= 10, "only {pages} fixture pages found");
    assert!(captchas >= 3, "only {captchas} captcha fixtures found");
    assert!(wrong.is_empty(), "misclassified pages:\n{}", wrong.join("\n"));
}
