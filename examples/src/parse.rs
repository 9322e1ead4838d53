//! `amazcope parse FILE... [--marketplace M] [--json]`: parses saved Amazon pages without
//! network and prints what they hold, with the quality of each tracked field.
//! `amazcope parse --summary DIR [--json]`: per tracked field, how many pages of a folder gave
//! ok / absent / unparsed / blocked, so a layout change shows the day it happens.

use crate::common;
use amazcope_core::model::page::{Field, FieldQuality, ParsedPage, Quality, ScrapedProduct, TrackedField};
use amazcope_core::{Marketplace, Money};
use amazcope_scrape::parse_page;
use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `amazcope parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Saved pages to parse.
    #[arg(required_unless_present = "summary", conflicts_with = "summary")]
    pub files: Vec<PathBuf>,
    /// Parse every page of a folder and count, per tracked field, the pages that gave ok /
    /// absent / unparsed / blocked.
    #[arg(long, value_name = "DIR")]
    pub summary: Option<PathBuf>,
    /// The storefront the pages come from (`com`, `co.uk`, `de`...); detected when not given.
    #[arg(long)]
    pub marketplace: Option<String>,
    /// Print JSON (one object per file, an array for several).
    #[arg(long)]
    pub json: bool,
    /// Time the parser: parse every file N times and print pages/s and MB/s.
    #[arg(long, value_name = "N")]
    pub bench: Option<u32>,
}

/// Parses the files.
pub fn run(args: ParseArgs) -> anyhow::Result<()> {
    let hint = match &args.marketplace {
        Some(m) => Some(common::marketplace(m)?),
        None => None,
    };
    if let Some(dir) = &args.summary {
        return summary_of_folder(dir, hint, args.json);
    }
    let mut pages = Vec::with_capacity(args.files.len());
    for f in &args.files {
        pages.push((f.as_path(), read_page(f)?));
    }
    if let Some(n) = args.bench {
        return bench(&pages, hint, n.max(1));
    }
    let outputs: Vec<Value> = pages.iter().map(|(f, html)| to_json(f, html, hint)).collect();
    if args.json {
        let v = if outputs.len() == 1 {
            outputs.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(outputs)
        };
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for o in &outputs {
            outln!("{}", summary(o));
        }
    }
    Ok(())
}

fn read_page(f: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
    // Saved pages are UTF-8; a stray invalid byte must not lose the whole page.
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn bench(pages: &[(&Path, String)], hint: Option<Marketplace>, n: u32) -> anyhow::Result<()> {
    let bytes: usize = pages.iter().map(|(_, h)| h.len()).sum();
    let mut times = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        for (_, html) in pages {
            std::hint::black_box(parse_page(std::hint::black_box(html), hint).ok());
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let med = times[times.len() / 2];
    outln!(
        "amazcope {} pages {:.2} MB  median {:.4} s  {:.1} pages/s  {:.2} MB/s",
        pages.len(),
        bytes as f64 / 1e6,
        med,
        pages.len() as f64 / med,
        bytes as f64 / 1e6 / med
    );
    Ok(())
}

fn money(f: &Field<Money>) -> Value {
    f.value().map_or(Value::Null, |m| Value::String(m.amount.to_string()))
}

fn val<T: serde::Serialize>(f: &Field<T>) -> Value {
    f.value().map_or(Value::Null, |v| serde_json::to_value(v).unwrap_or(Value::Null))
}

fn problem<T>(out: &mut Vec<Value>, name: &str, f: &Field<T>) {
    if let Field::Unparseable { selector, text } = f {
        out.push(json!({"field": name, "selector": selector, "text": text}));
    }
}

fn product_json(p: &ScrapedProduct) -> Value {
    let mut problems = Vec::new();
    problem(&mut problems, "title", &p.title);
    problem(&mut problems, "brand", &p.brand);
    problem(&mut problems, "price", &p.price);
    problem(&mut problems, "list_price", &p.list_price);
    problem(&mut problems, "rating", &p.rating);
    problem(&mut problems, "review_count", &p.review_count);
    problem(&mut problems, "bsr", &p.ranks);
    problem(&mut problems, "availability", &p.availability);
    problem(&mut problems, "variations", &p.variations);
    let currency = p.price.value().or(p.list_price.value()).map(|m| m.currency.to_string());
    let bsr: Vec<Value> = p
        .ranks
        .value()
        .map(|r| r.iter().map(|r| json!({"rank": r.rank, "category": r.category})).collect())
        .unwrap_or_default();
    json!({
        "kind": "product",
        "marketplace": p.marketplace.code(),
        "asin": p.asin.as_str(),
        "url": p.url,
        "title": val(&p.title),
        "brand": val(&p.brand),
        "price": money(&p.price),
        "list_price": money(&p.list_price),
        "currency": currency,
        "rating": p.rating.value().map(|r| r.get()),
        "review_count": val(&p.review_count),
        "bsr": if p.ranks.is_read() { Value::Array(bsr) } else { Value::Null },
        "in_stock": p.availability.value().map(|a| a.status.in_stock()),
        "availability": p.availability.value().and_then(|a| a.text.clone()),
        "stock_status": p.availability.value().map(|a| a.status),
        "is_prime": val(&p.is_prime),
        "amazons_choice": val(&p.amazons_choice),
        "coupon": val(&p.coupon),
        "deal_badge": val(&p.deal_badge),
        "features": val(&p.features),
        "description": val(&p.description),
        "images": val(&p.images),
        "variations": val(&p.variations),
        "categories": val(&p.categories),
        "seller": val(&p.seller),
        "ships_from": val(&p.ships_from),
        "dimensions": val(&p.dimensions),
        "weight": val(&p.weight),
        "model_number": val(&p.model_number),
        "technical_details": val(&p.technical_details),
        "past_sales": val(&p.past_sales),
        "delivery_message": val(&p.delivery_message),
        "parent_asin": p.parent_asin.map(|a| a.to_string()),
        "variation_asins": p.variation_asins().iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "quality": quality_json(&p.quality),
        "problems": problems,
    })
}

fn to_json(file: &Path, html: &str, hint: Option<Marketplace>) -> Value {
    let page = match parse_page(html, hint) {
        Ok(p) => p,
        Err(e) => {
            return json!({"file": file.display().to_string(), "kind": "unknown", "error": e.to_string(), "problems": []});
        }
    };
    let mut v = match &page {
        ParsedPage::Product(p) => product_json(p),
        ParsedPage::Bestsellers(b) => {
            let items: Vec<Value> = b
                .items
                .iter()
                .map(|i| {
                    json!({"rank": i.rank, "asin": i.asin.as_str(), "title": val(&i.title), "price": money(&i.price),
                           "currency": i.price.value().map(|m| m.currency.to_string()),
                           "rating": i.rating.value().map(|r| r.get()), "review_count": val(&i.review_count)})
                })
                .collect();
            json!({"kind": "bestsellers", "marketplace": b.marketplace.code(), "category": val(&b.category),
                   "category_id": b.category_id, "items": items, "problems": []})
        }
        ParsedPage::Reviews(r) => {
            let items: Vec<Value> = r
                .items
                .iter()
                .map(|i| {
                    json!({"review_id": i.review_id, "rating": i.rating.value().map(|r| r.get()), "title": val(&i.title),
                           "text": val(&i.text), "author": val(&i.author), "date": val(&i.date),
                           "verified_purchase": i.verified_purchase, "helpful_votes": val(&i.helpful_votes),
                           "variant": val(&i.variant)})
                })
                .collect();
            json!({"kind": "reviews", "marketplace": r.marketplace.code(), "asin": r.asin.map(|a| a.to_string()),
                   "items": items, "problems": []})
        }
        ParsedPage::Offers(l) | ParsedPage::Search(l) | ParsedPage::Browse(l) => {
            let items: Vec<Value> = l
                .items
                .iter()
                .map(|i| {
                    json!({"asin": i.asin.as_str(), "title": val(&i.title), "price": money(&i.price),
                                "currency": i.price.value().map(|m| m.currency.to_string())})
                })
                .collect();
            json!({"kind": page.kind().as_str(), "marketplace": l.marketplace.code(),
                   "asin": l.asin.map(|a| a.to_string()), "items": items, "problems": []})
        }
        ParsedPage::Captcha { marketplace } | ParsedPage::ErrorPage { marketplace } => {
            json!({"kind": page.kind().as_str(), "marketplace": marketplace.map(|m| m.code()),
                   "quality": quality_json(&Quality::blocked()), "problems": []})
        }
        ParsedPage::NotFound { marketplace } => {
            json!({"kind": page.kind().as_str(), "marketplace": marketplace.map(|m| m.code()), "problems": []})
        }
    };
    if let Value::Object(o) = &mut v {
        o.insert("file".into(), Value::String(file.display().to_string()));
    }
    v
}

fn quality_json(q: &Quality) -> Value {
    serde_json::to_value(q).unwrap_or(Value::Null)
}

/// The quality a page gives each tracked field, if it counts for the report: products give
/// their own, captcha and error pages `blocked`, other pages none.
fn page_quality(page: &ParsedPage) -> Option<Quality> {
    match page {
        ParsedPage::Product(p) => Some(p.quality.clone()),
        ParsedPage::Captcha { .. } | ParsedPage::ErrorPage { .. } => Some(Quality::blocked()),
        _ => None,
    }
}

const STATES: [FieldQuality; 4] =
    [FieldQuality::Ok, FieldQuality::Absent, FieldQuality::Unparsed, FieldQuality::Blocked];

fn summary_of_folder(dir: &Path, hint: Option<Marketplace>, as_json: bool) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x.eq_ignore_ascii_case("html") || x.eq_ignore_ascii_case("htm"))
        })
        .collect();
    files.sort();
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut counts: BTreeMap<TrackedField, BTreeMap<FieldQuality, usize>> = BTreeMap::new();
    for f in &files {
        let html = read_page(f)?;
        let page = parse_page(&html, hint);
        let kind = page.as_ref().map_or("unknown", |p| p.kind().as_str());
        *kinds.entry(kind).or_default() += 1;
        if let Some(q) = page.ok().as_ref().and_then(page_quality) {
            for field in TrackedField::ALL {
                *counts.entry(field).or_default().entry(q.get(field)).or_default() += 1;
            }
        }
    }
    let n = |field: TrackedField, state: FieldQuality| {
        counts.get(&field).and_then(|c| c.get(&state)).copied().unwrap_or(0)
    };
    if as_json {
        let fields: serde_json::Map<String, Value> = TrackedField::ALL
            .iter()
            .map(|f| {
                let per: serde_json::Map<String, Value> =
                    STATES.iter().map(|s| (s.as_str().to_owned(), json!(n(*f, *s)))).collect();
                (f.as_str().to_owned(), Value::Object(per))
            })
            .collect();
        let v = json!({"folder": dir.display().to_string(), "pages": files.len(), "kinds": kinds, "fields": fields});
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let kinds_text: Vec<String> = kinds.iter().map(|(k, c)| format!("{k} {c}")).collect();
    outln!("{}: {} pages ({})", dir.display(), files.len(), kinds_text.join(", "));
    outln!("{:<14}{:>8}{:>8}{:>10}{:>9}", "field", "ok", "absent", "unparsed", "blocked");
    for f in TrackedField::ALL {
        outln!(
            "{:<14}{:>8}{:>8}{:>10}{:>9}",
            f.as_str(),
            n(f, FieldQuality::Ok),
            n(f, FieldQuality::Absent),
            n(f, FieldQuality::Unparsed),
            n(f, FieldQuality::Blocked)
        );
    }
    Ok(())
}

fn summary(v: &Value) -> String {
    let s = |k: &str| match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    };
    let mut out = format!("{}: {} ({})", s("file"), s("kind"), s("marketplace"));
    if s("kind") == "product" {
        out.push_str(&format!(
            "\n  asin {}  {}\n  brand {}  price {} {}  list {}  rating {} ({})  in stock {}\n  bsr {}",
            s("asin"),
            s("title"),
            s("brand"),
            s("price"),
            s("currency"),
            s("list_price"),
            s("rating"),
            s("review_count"),
            s("in_stock"),
            s("bsr")
        ));
    } else if let Some(Value::Array(items)) = v.get("items") {
        out.push_str(&format!("  {} items", items.len()));
    }
    if let Some(Value::Object(q)) = v.get("quality") {
        let flags: Vec<String> = TrackedField::ALL
            .iter()
            .filter_map(|f| q.get(f.as_str()).and_then(Value::as_str).map(|s| format!("{} {s}", f.as_str())))
            .collect();
        out.push_str(&format!("\n  quality: {}", flags.join(", ")));
        if let Some(Value::Object(r)) = q.get("readings") {
            for (field, list) in r {
                out.push_str(&format!("\n    {field} readings: {list}"));
            }
        }
    }
    if let Some(e) = v.get("error") {
        out.push_str(&format!("  error: {e}"));
    }
    if let Some(Value::Array(p)) = v.get("problems")
        && !p.is_empty()
    {
        out.push_str(&format!("\n  problems: {}", Value::Array(p.clone())));
    }
    out
}
