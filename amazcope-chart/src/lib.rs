//! Keepa-style history charts: the price (and the list price) as step lines, the best-seller
//! rank on a second axis, out-of-stock spans shaded, axes labelled with the currency and the
//! dates (UTC). Pure: takes history points ([`HistoryPoint`], raw snapshots and daily
//! rollups alike), returns SVG text or PNG bytes; the command line, Python and a web
//! dashboard all draw through [`svg`] and [`png`].
//!
//! Text in a PNG is drawn with a font compiled into the crate (Ubuntu Light, registered with
//! plotters' `ab_glyph` backend), so no system font is looked up; an SVG names the
//! `sans-serif` family and leaves the glyphs to its viewer.

use amazcope_core::model::history::{HistoryPoint, Resolution};
use chrono::{DateTime, Duration, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::sync::OnceLock;

/// The font family every text of a chart uses.
const FAMILY: &str = "sans-serif";
/// Price line.
const PRICE: RGBColor = RGBColor(0xe8, 0x6a, 0x10);
/// List ("was") price line.
const LIST_PRICE: RGBColor = RGBColor(0x7a, 0x7a, 0x7a);
/// Sales-rank line.
const RANK: RGBColor = RGBColor(0x2e, 0x8b, 0x57);
/// Out-of-stock shading.
const OUT_OF_STOCK: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// The smallest and largest width or height accepted, in pixels.
pub const SIZE_LIMITS: (u32, u32) = (200, 8000);

/// Why a chart could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// No point to draw.
    #[error("there is no history to chart in that range")]
    Empty,
    /// A size outside [`SIZE_LIMITS`].
    #[error("a chart of {width}×{height} pixels cannot be drawn: width and height must be 200 to 8000")]
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// plotters failed (a backend error).
    #[error("the chart could not be drawn: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("the PNG could not be encoded: {0}")]
    Png(String),
}

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct Chart<'a> {
    /// The caption, e.g. `B00FLYWNYQ on amazon.com: Coffee grinder`.
    pub title: &'a str,
    /// The history, any order (sorted by time before drawing).
    pub points: &'a [HistoryPoint],
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl<'a> Chart<'a> {
    /// A chart of `points` at the default size (1200 × 600).
    pub fn new(title: &'a str, points: &'a [HistoryPoint]) -> Self {
        Chart { title, points, width: 1200, height: 600 }
    }
}

/// The chart as SVG text.
pub fn svg(chart: &Chart<'_>) -> Result<String, ChartError> {
    let series = Series::of(chart)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (chart.width, chart.height)).into_drawing_area();
        draw(&root, chart.title, &series)?;
    }
    Ok(out)
}

/// The chart as PNG bytes (RGB, 8 bits).
pub fn png(chart: &Chart<'_>) -> Result<Vec<u8>, ChartError> {
    let series = Series::of(chart)?;
    let (w, h) = (chart.width, chart.height);
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root, chart.title, &series)?;
    }
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, w, h);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| ChartError::Png(e.to_string()))?;
    writer.write_image_data(&rgb).map_err(|e| ChartError::Png(e.to_string()))?;
    writer.finish().map_err(|e| ChartError::Png(e.to_string()))?;
    Ok(out)
}

/// Registers the compiled-in font once (plotters keeps a process-wide font table).
fn register_font() -> Result<(), ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Draw("the compiled-in font could not be read".to_owned())) }
}

/// Seconds since the epoch: the x coordinate.
fn x(t: DateTime<Utc>) -> f64 {
    t.timestamp() as f64
}

fn money(d: Option<Decimal>) -> Option<f64> {
    d.and_then(|d| d.to_f64())
}

/// The lines and spans of a chart, in chart coordinates.
struct Series {
    currency: String,
    /// Step lines, each a run of points without a gap.
    price: Vec<Vec<(f64, f64)>>,
    list_price: Vec<Vec<(f64, f64)>>,
    rank: Vec<Vec<(f64, f64)>>,
    /// Out-of-stock spans `[from, to)`.
    out_of_stock: Vec<(f64, f64)>,
    x: (f64, f64),
    price_range: (f64, f64),
    rank_range: (f64, f64),
}

impl Series {
    fn of(chart: &Chart<'_>) -> Result<Series, ChartError> {
        let (lo, hi) = SIZE_LIMITS;
        if !(lo..=hi).contains(&chart.width) || !(lo..=hi).contains(&chart.height) {
            return Err(ChartError::Size { width: chart.width, height: chart.height });
        }
        let mut points: Vec<&HistoryPoint> = chart.points.iter().collect();
        points.sort_by_key(|p| p.at);
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return Err(ChartError::Empty);
        };
        // Each value holds until the next point; the last one to the end of its day when it
        // is a daily point, else for a fiftieth of the chart (at least an hour) so it shows.
        let end = match last.resolution {
            Resolution::Daily => last.at + Duration::days(1),
            Resolution::Raw => last.at + ((last.at - first.at) / 50).max(Duration::hours(1)),
        };
        let until: Vec<DateTime<Utc>> = points.iter().skip(1).map(|p| p.at).chain([end]).collect();
        let steps = |value: &dyn Fn(&HistoryPoint) -> Option<f64>| {
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            let mut open = false;
            for (p, to) in points.iter().zip(&until) {
                match value(p) {
                    Some(v) => {
                        if !open {
                            runs.push(Vec::new());
                        }
                        let run = runs.last_mut().expect("a run was just opened");
                        // Vertical to the new value, then flat until the next point.
                        run.push((x(p.at), v));
                        run.push((x(*to), v));
                        open = true;
                    }
                    None => open = false,
                }
            }
            runs
        };
        let price = steps(&|p| money(p.price));
        let list_price = steps(&|p| money(p.list_price));
        let rank = steps(&|p| p.bsr.map(f64::from));
        let mut out_of_stock: Vec<(f64, f64)> = Vec::new();
        for (p, to) in points.iter().zip(&until) {
            if p.in_stock {
                continue;
            }
            match out_of_stock.last_mut() {
                Some(span) if span.1 >= x(p.at) => span.1 = x(*to),
                _ => out_of_stock.push((x(p.at), x(*to))),
            }
        }
        let bounds = |runs: &[Vec<(f64, f64)>]| {
            runs.iter().flatten().map(|p| p.1).fold(None, |acc: Option<(f64, f64)>, v| {
                Some(acc.map_or((v, v), |(a, b)| (a.min(v), b.max(v))))
            })
        };
        let pad = |r: Option<(f64, f64)>, floor: f64| {
            let (a, b) = r.unwrap_or((floor, floor + 1.0));
            let margin = ((b - a) * 0.08).max(if b > 0.0 { b * 0.02 } else { 1.0 });
            ((a - margin).max(floor), b + margin)
        };
        let prices = match (bounds(&price), bounds(&list_price)) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        let (x0, mut x1) = (x(first.at), x(end));
        if x1 <= x0 {
            // One instant: a day around it so the axis has a width.
            x1 = x0 + 86_400.0;
        }
        let rank_range = pad(bounds(&rank), 0.0);
        Ok(Series {
            currency: last.currency.to_string(),
            price,
            list_price,
            rank,
            out_of_stock,
            x: (x0, x1),
            price_range: pad(prices, 0.0),
            rank_range,
        })
    }
}

fn date_label(x: &f64, span_days: f64) -> String {
    let t = DateTime::<Utc>::from_timestamp(*x as i64, 0).unwrap_or_default();
    if span_days <= 20.0 { t.format("%m-%d %H:%M").to_string() } else { t.format("%Y-%m-%d").to_string() }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    s: &Series,
) -> Result<(), ChartError> {
    register_font()?;
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| ChartError::Draw(e.to_string());
    root.fill(&WHITE).map_err(err)?;
    let span_days = (s.x.1 - s.x.0) / 86_400.0;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(78)
        .right_y_label_area_size(86)
        .build_cartesian_2d(s.x.0..s.x.1, s.price_range.0..s.price_range.1)
        .map_err(err)?
        .set_secondary_coord(s.x.0..s.x.1, s.rank_range.0..s.rank_range.1);
    let x_fmt = |x: &f64| date_label(x, span_days);
    let y_fmt = |y: &f64| format!("{y:.2}");
    let price_desc = format!("Price ({})", s.currency);
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc("Date (UTC)")
        .y_desc(price_desc.as_str())
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(err)?;
    let rank_fmt = |y: &f64| format!("{}", y.round() as i64);
    chart
        .configure_secondary_axes()
        .y_labels(8)
        .y_label_formatter(&rank_fmt)
        .y_desc("Sales rank (BSR)")
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(err)?;

    let (y0, y1) = s.price_range;
    let shade = OUT_OF_STOCK.mix(0.18).filled();
    chart
        .draw_series(s.out_of_stock.iter().map(|&(a, b)| Rectangle::new([(a, y0), (b, y1)], shade)))
        .map_err(err)?
        .label("Out of stock")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], shade));
    for (i, run) in s.list_price.iter().enumerate() {
        let series = chart
            .draw_series(LineSeries::new(run.iter().copied(), LIST_PRICE.stroke_width(1)))
            .map_err(err)?;
        if i == 0 {
            series.label("List price").legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], LIST_PRICE));
        }
    }
    for (i, run) in s.price.iter().enumerate() {
        let series =
            chart.draw_series(LineSeries::new(run.iter().copied(), PRICE.stroke_width(2))).map_err(err)?;
        if i == 0 {
            series
                .label(format!("Price ({})", s.currency))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], PRICE.stroke_width(2)));
        }
    }
    for (i, run) in s.rank.iter().enumerate() {
        let series = chart
            .draw_secondary_series(LineSeries::new(run.iter().copied(), RANK.stroke_width(1)))
            .map_err(err)?;
        if i == 0 {
            series.label("Sales rank").legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RANK));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use amazcope_core::Currency;
    use chrono::TimeZone;

    fn point(day: u32, price: Option<i64>, in_stock: bool, resolution: Resolution) -> HistoryPoint {
        let p = price.map(|c| Decimal::new(c, 2));
        HistoryPoint {
            at: Utc.with_ymd_and_hms(2025, 1, day, 0, 0, 0).unwrap(),
            resolution,
            currency: Currency::from_static("USD"),
            price: p,
            price_min: p,
            price_max: p,
            price_mean: p,
            list_price: Some(Decimal::new(2999, 2)),
            bsr: Some(1000 + i32::try_from(day).unwrap() * 10),
            bsr_min: None,
            bsr_max: None,
            bsr_category: None,
            rating: None,
            review_count: None,
            in_stock,
            in_stock_share: if in_stock { 1.0 } else { 0.0 },
            snapshots: 1,
        }
    }

    fn history() -> Vec<HistoryPoint> {
        vec![
            point(1, Some(1999), true, Resolution::Daily),
            point(2, Some(1799), true, Resolution::Daily),
            point(3, None, false, Resolution::Daily),
            point(4, None, false, Resolution::Raw),
            point(5, Some(2199), true, Resolution::Raw),
        ]
    }

    #[test]
    fn steps_gaps_and_out_of_stock_spans() {
        let h = history();
        let s = Series::of(&Chart::new("t", &h)).unwrap();
        let d = |n: u32| x(Utc.with_ymd_and_hms(2025, 1, n, 0, 0, 0).unwrap());
        // Two runs of price: days 1–3 (two steps), then day 5 alone (the last raw point).
        let end = d(5) + 4.0 * 86_400.0 / 50.0;
        assert_eq!(
            s.price,
            vec![
                vec![(d(1), 19.99), (d(2), 19.99), (d(2), 17.99), (d(3), 17.99)],
                vec![(d(5), 21.99), (end, 21.99)]
            ]
        );
        // Days 3 and 4 out of stock: one span up to day 5.
        assert_eq!(s.out_of_stock, vec![(d(3), d(5))]);
        assert_eq!(s.currency, "USD");
        assert!(s.price_range.0 < 17.99 && s.price_range.1 > 29.99, "{:?}", s.price_range);
    }

    #[test]
    fn svg_has_axes_in_currency_and_dates() {
        let h = history();
        let svg = svg(&Chart::new("B00TEST on amazon.com", &h)).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60]);
        for text in ["Price (USD)", "Sales rank (BSR)", "Date (UTC)", "01-02", "Out of stock", "B00TEST"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }

    #[test]
    fn png_is_a_png_of_the_asked_size() {
        let h = history();
        let chart = Chart { width: 640, height: 320, ..Chart::new("t", &h) };
        let bytes = png(&chart).unwrap();
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (640, 320));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(svg(&Chart::new("t", &[])), Err(ChartError::Empty)));
        let h = history();
        let e = png(&Chart { width: 10, ..Chart::new("t", &h) }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a chart of 10×600 pixels cannot be drawn: width and height must be 200 to 8000"
        );
    }
}
