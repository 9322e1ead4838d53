//! The dashboard's charts as inline SVG: the product page's price/BSR chart and the list's
//! sparklines. Kept in this one module so the `plotters` renderer of the history work can
//! replace it without touching the pages.
//!
//! Each point is a `<circle>` with its day in `data-day` (one per stored day), so the
//! browser test can count them and people can hover for the value.

use chrono::NaiveDate;
use maud::{Markup, html};

/// One day's value.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// The UTC day.
    pub day: NaiveDate,
    /// The value (price in the product's currency, or rank).
    pub value: f64,
}

const W: f64 = 720.0;
const H: f64 = 260.0;
const PAD: f64 = 40.0;

fn scale(v: f64, lo: f64, hi: f64, out_lo: f64, out_hi: f64) -> f64 {
    if (hi - lo).abs() < f64::EPSILON {
        (out_lo + out_hi) / 2.0
    } else {
        out_lo + (v - lo) / (hi - lo) * (out_hi - out_lo)
    }
}

fn bounds(points: &[Point]) -> (f64, f64) {
    points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.value), hi.max(p.value)))
}

/// The price line (left axis) and the BSR line (right axis, lower rank drawn higher) over the
/// same days.
pub fn price_bsr_chart(price: &[Point], bsr: &[Point], currency: &str) -> Markup {
    let days: Vec<NaiveDate> = {
        let mut d: Vec<NaiveDate> = price.iter().chain(bsr).map(|p| p.day).collect();
        d.sort();
        d.dedup();
        d
    };
    let (first, last) = match (days.first(), days.last()) {
        (Some(f), Some(l)) => (*f, *l),
        _ => return html! { p.empty { "No history yet." } },
    };
    let span = (last - first).num_days() as f64;
    let x = |d: NaiveDate| scale((d - first).num_days() as f64, 0.0, span, PAD, W - PAD);
    let (plo, phi) = bounds(price);
    let (blo, bhi) = bounds(bsr);
    let py = |v: f64| scale(v, plo, phi, H - PAD, PAD);
    // Rank 1 is best: draw low ranks high.
    let by = |v: f64| scale(v, blo, bhi, PAD, H - PAD);
    let path = |pts: &[Point], y: &dyn Fn(f64) -> f64| {
        pts.iter().map(|p| format!("{:.1},{:.1}", x(p.day), y(p.value))).collect::<Vec<_>>().join(" ")
    };
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {W} {H}")) width="100%" role="img"
            aria-label="price and best-sellers rank by day" {
            rect x="0" y="0" width=(W) height=(H) fill="#fff" {}
            line x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) stroke="#999" {}
            text x=(PAD) y=(H - PAD + 16.0) font-size="11" { (first) }
            text x=(W - PAD) y=(H - PAD + 16.0) font-size="11" text-anchor="end" { (last) }
            @if !price.is_empty() {
                text x="4" y=(PAD - 8.0) font-size="11" fill="#1f5fbf" { "price " (currency) " " (format!("{plo:.2}–{phi:.2}")) }
                polyline.price-line points=(path(price, &py)) fill="none" stroke="#1f5fbf" stroke-width="2" {}
                @for p in price {
                    circle.price-point data-day=(p.day) cx=(format!("{:.1}", x(p.day))) cy=(format!("{:.1}", py(p.value))) r="3" fill="#1f5fbf" {
                        title { (p.day) ": " (format!("{:.2}", p.value)) }
                    }
                }
            }
            @if !bsr.is_empty() {
                text x=(W - 4.0) y=(PAD - 8.0) font-size="11" fill="#c0392b" text-anchor="end" { "BSR " (format!("#{blo:.0}–#{bhi:.0}")) }
                polyline.bsr-line points=(path(bsr, &by)) fill="none" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="4 3" {}
                @for p in bsr {
                    circle.bsr-point data-day=(p.day) cx=(format!("{:.1}", x(p.day))) cy=(format!("{:.1}", by(p.value))) r="2" fill="#c0392b" {
                        title { (p.day) ": #" (format!("{:.0}", p.value)) }
                    }
                }
            }
        }
    }
}

/// A small line of the last days' prices, for the product list.
pub fn sparkline(points: &[Point]) -> Markup {
    const SW: f64 = 120.0;
    const SH: f64 = 28.0;
    if points.len() < 2 {
        return html! { span.muted { "–" } };
    }
    let (lo, hi) = bounds(points);
    let n = (points.len() - 1) as f64;
    let pts = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{:.1},{:.1}",
                scale(i as f64, 0.0, n, 2.0, SW - 2.0),
                scale(p.value, lo, hi, SH - 2.0, 2.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.sparkline xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {SW} {SH}")) width=(SW) height=(SH) {
            polyline points=(pts) fill="none" stroke="#1f5fbf" stroke-width="1.5" {}
        }
    }
}
