//! The dashboard: server-rendered pages (maud), no JavaScript. The login form turns an API
//! token into the session cookie; every page also takes the bearer header. Pages call the
//! same library methods as the API, as the signed-in user.

use super::AppState;
use super::auth::{SESSION_COOKIE, Viewer};
use super::chart::{self, Point};
use super::error::{ApiError, parse_id};
use amazcope_core::analytics::{AnalyticsRepository, FieldTrend, Granularity, TrendField, window_stats};
use amazcope_core::model::alert::AlertQuery;
use amazcope_core::model::user::User;
use amazcope_core::{
    AlertId, AlertRepository, ProductId, ProductRepository, ReviewDecision, SnapshotRepository, SuggestionId,
    SuggestionRepository, SuggestionStatus, TimeRange,
};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

type PageResult = Result<Markup, ApiError>;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}\
header{background:#232f3e;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}\
header a{color:#fff;text-decoration:none}header form{margin-left:auto}main{padding:20px;max-width:1000px}\
table{border-collapse:collapse;width:100%}td,th{padding:6px 8px;border-bottom:1px solid #ddd;text-align:left}\
.num{text-align:right}.up{color:#c0392b}.down{color:#1e8449}.muted{color:#888}.unread{font-weight:bold}\
button{cursor:pointer;padding:4px 10px}.approve{background:#1e8449;color:#fff;border:0}.reject{background:#c0392b;color:#fff;border:0}\
.status{padding:2px 6px;border-radius:3px;background:#eee}.stats td{padding:4px 12px}";

fn layout(user: Option<&User>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · Amazcope" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "Amazcope" }
                    @if let Some(u) = user {
                        a href="/" { "Products" }
                        a href="/alerts" { "Alerts" }
                        a href="/suggestions" { "Suggestions" }
                        form method="post" action="/logout" { span { (u.username) " " } button type="submit" { "Log out" } }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// The login form, with a note when a token was refused.
pub fn login_page(note: Option<&str>) -> Markup {
    layout(
        None,
        "Log in",
        html! {
            @if let Some(n) = note { p.up { (n) } }
            form method="post" action="/login" {
                label { "API token " input type="password" name="token" size="70" autocomplete="off" required; }
                " " button type="submit" { "Log in" }
            }
            p.muted { "Make a token with " code { "amazcope token create --user NAME" } "." }
        },
    )
}

/// `GET /login`.
pub async fn login_form() -> Markup {
    login_page(None)
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /login`: a valid token becomes the session cookie (HttpOnly, SameSite=Strict, so
/// other sites can neither read it nor post the dashboard's forms with it).
pub async fn login(State(s): State<AppState>, Form(form): Form<LoginForm>) -> Result<Response, ApiError> {
    let token = form.token.trim();
    if s.store.user_by_api_token(token).await?.is_none() {
        return Ok((
            StatusCode::UNAUTHORIZED,
            login_page(Some("That token is not valid (revoked, or mistyped).")),
        )
            .into_response());
    }
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
    let mut res = Redirect::to("/").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| ApiError::unauthorized())?);
    Ok(res)
}

/// `POST /logout`: forgets the cookie.
pub async fn logout() -> Response {
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("amazcope_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

fn day_points(trend: Option<&FieldTrend>) -> Vec<Point> {
    trend
        .map(|t| {
            t.series
                .buckets()
                .iter()
                .map(|b| Point { day: b.start.date_naive(), value: b.last.as_f64() })
                .collect()
        })
        .unwrap_or_default()
}

/// Page of the product list.
#[derive(Debug, Deserialize)]
pub struct ListPage {
    page: Option<usize>,
}

const PER_PAGE: usize = 50;

/// `GET /`: the user's products with their latest price, 30-day change and sparkline.
pub async fn products(
    State(s): State<AppState>,
    Viewer(user): Viewer,
    Query(q): Query<ListPage>,
) -> PageResult {
    let page = q.page.unwrap_or(1).max(1);
    let offset = u32::try_from((page - 1).saturating_mul(PER_PAGE)).unwrap_or(u32::MAX);
    let (total, shown) = s.store.tracked_products_page(user.id, false, PER_PAGE as u32, offset).await?;
    let pages = (total as usize).div_ceil(PER_PAGE).max(1);
    let range = TimeRange::last_days(Utc::now(), 30);
    let mut rows = Vec::with_capacity(shown.len());
    for t in &shown {
        let report = s
            .store
            .product_trends(user.id, t.product.id, &[TrendField::Price], range, Granularity::Day)
            .await?;
        rows.push((t, day_points(report.fields.first())));
    }
    Ok(layout(
        Some(&user),
        "Your products",
        html! {
            @if total == 0 { p { "You track no products yet (" code { "amazcope track add ASIN --user " (user.username) } ")." } }
            @else {
                table {
                    thead { tr { th { "Product" } th { "ASIN" } th.num { "Price" } th.num { "30 days" } th { "Trend" } th.num { "BSR" } } }
                    tbody {
                        @for (t, pts) in &rows {
                            @let p = &t.product;
                            tr {
                                td { a href=(format!("/products/{}", p.id)) { (if p.title.is_empty() { "(no data yet)" } else { &p.title }) } }
                                td { (p.asin) " " span.muted { (p.marketplace.code()) } }
                                td.num { @if let Some(price) = p.current_price { (price) " " (p.currency) } @else { "–" } }
                                td.num { (change(pts)) }
                                td { (chart::sparkline(pts)) }
                                td.num { @if let Some(b) = p.current_bsr { "#" (b) } @else { "–" } }
                            }
                        }
                    }
                }
                @if pages > 1 {
                    p { "Page " (page) " of " (pages) " "
                        @if page > 1 { a href=(format!("/?page={}", page - 1)) { "← newer" } " " }
                        @if page < pages { a href=(format!("/?page={}", page + 1)) { "older →" } } }
                }
            }
        },
    ))
}

fn change(points: &[Point]) -> Markup {
    match (points.first(), points.last()) {
        (Some(a), Some(b)) if points.len() > 1 && a.value != 0.0 => {
            let pct = (b.value - a.value) / a.value * 100.0;
            let class = if pct > 0.0 {
                "up"
            } else if pct < 0.0 {
                "down"
            } else {
                "muted"
            };
            html! { span class=(class) { (format!("{pct:+.1} %")) } }
        }
        _ => html! { span.muted { "–" } },
    }
}

/// `GET /products/{id}`: the price/BSR chart of every stored day, the statistics and the
/// product's alerts.
pub async fn product(State(s): State<AppState>, Viewer(user): Viewer, Path(id): Path<String>) -> PageResult {
    let product_id: ProductId = parse_id("product", &id)?;
    // The library's tenancy rule first: another user's product is a 404 like a missing one.
    let report = s
        .store
        .product_trends(
            user.id,
            product_id,
            &[TrendField::Price, TrendField::BsrMain],
            TimeRange::default(),
            Granularity::Day,
        )
        .await?;
    let product = s.store.product(product_id).await?.ok_or_else(|| ApiError::not_found("product", &id))?;
    let history = s.store.snapshot_history(user.id, product_id, TimeRange::default()).await?;
    let at = history.last().map_or_else(Utc::now, |h| h.data.scraped_at);
    let stats = window_stats(&history, at);
    let alerts = s
        .store
        .alerts(
            user.id,
            &AlertQuery { product_id: Some(product_id), limit: Some(20), ..AlertQuery::default() },
        )
        .await?;
    let price = day_points(report.fields.first());
    let bsr = day_points(report.fields.get(1));
    Ok(layout(
        Some(&user),
        if product.title.is_empty() { "Product" } else { &product.title },
        html! {
            p { (product.asin) " on amazon." (product.marketplace.code()) " · "
                @if let Some(pr) = product.current_price { "now " strong { (pr) " " (product.currency) } } @else { "no price yet" }
                @if let Some(b) = product.current_bsr { " · BSR #" (b) }
                " · " (report.snapshot_count) " snapshots over " (price.len().max(bsr.len())) " days" }
            (chart::price_bsr_chart(&price, &bsr, &product.currency))
            h2 { "Statistics" }
            table.stats {
                thead { tr { th.num { "Days" } th.num { "Snapshots" } th.num { "Min" } th.num { "Max" } th.num { "Average" } th.num { "Out of stock" } } }
                tbody { @for w in &stats.windows { tr {
                    td.num { (w.days) } td.num { (w.snapshot_count) }
                    td.num { (opt(w.min_price)) } td.num { (opt(w.max_price)) } td.num { (opt(w.avg_price)) }
                    td.num { (opt(w.out_of_stock_share.map(|x| format!("{:.0} %", x * 100.0)))) }
                } } }
            }
            h2 { "Alerts" }
            (alert_table(&alerts, false))
        },
    ))
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

fn alert_table(alerts: &[amazcope_core::model::alert::AlertView], with_product: bool) -> Markup {
    html! {
        @if alerts.is_empty() { p.muted { "No alerts." } }
        @else {
            table {
                tbody { @for v in alerts { @let a = &v.alert;
                    tr class=(if a.is_read { "" } else { "unread" }) {
                        td { (a.created_at.format("%Y-%m-%d %H:%M")) }
                        td { (a.severity) } td { (a.alert_type) }
                        @if with_product { td { a href=(format!("/products/{}", a.product_id)) { (v.asin) } } }
                        td { (a.title) }
                        td { (opt(a.old_value.as_deref())) " → " (opt(a.new_value.as_deref())) }
                        td { @if !a.is_read {
                            form method="post" action=(format!("/alerts/{}/read", a.id)) { button type="submit" { "Mark read" } }
                        } }
                    }
                } }
            }
        }
    }
}

/// `GET /alerts`: the inbox, newest first.
pub async fn alerts(State(s): State<AppState>, Viewer(user): Viewer) -> PageResult {
    let alerts = s.store.alerts(user.id, &AlertQuery { limit: Some(200), ..AlertQuery::default() }).await?;
    let unread = alerts.iter().filter(|a| !a.alert.is_read).count();
    Ok(layout(Some(&user), "Alerts", html! { p { (unread) " unread" } (alert_table(&alerts, true)) }))
}

/// `POST /alerts/{id}/read` from the inbox's button.
pub async fn read_alert(
    State(s): State<AppState>,
    Viewer(user): Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, ApiError> {
    let id: AlertId = parse_id("alert", &id)?;
    s.store.mark_alert_read(user.id, id).await?;
    Ok(Redirect::to("/alerts"))
}

/// `GET /suggestions`: the suggestions to review (pending first), with approve / reject.
pub async fn suggestions(State(s): State<AppState>, Viewer(user): Viewer) -> PageResult {
    let mut list = s.store.suggestions(user.id, None).await?;
    list.sort_by_key(|x| x.status != SuggestionStatus::Pending);
    Ok(layout(
        Some(&user),
        "Suggestions",
        html! {
            @if list.is_empty() { p.muted { "No suggestions (" code { "amazcope suggest --user " (user.username) } ")." } }
            @for sg in &list {
                section.suggestion id=(format!("s-{}", sg.id)) data-id=(sg.id) {
                    h3 { (sg.title) " " span.status data-status=(sg.status) { (sg.status) } }
                    p { (sg.description) }
                    p.muted { (sg.category) " · " (sg.priority) " priority" }
                    ul { @for a in &sg.actions { li { (a.action_type) " " (a.target_field) ": " (opt(a.current_value.as_deref())) " → " strong { (a.proposed_value) } " " span.muted { "(" (a.status) ")" } } } }
                    @if sg.status == SuggestionStatus::Pending {
                        form method="post" action=(format!("/suggestions/{}/review", sg.id)) {
                            button.approve type="submit" name="decision" value="approved" { "Approve" }
                            " "
                            button.reject type="submit" name="decision" value="rejected" { "Reject" }
                        }
                    }
                }
            }
        },
    ))
}

/// The review form's field.
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    decision: String,
}

/// `POST /suggestions/{id}/review` from the page's buttons.
pub async fn review(
    State(s): State<AppState>,
    Viewer(user): Viewer,
    Path(id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Result<Redirect, ApiError> {
    let id: SuggestionId = parse_id("suggestion", &id)?;
    let decision = match form.decision.as_str() {
        "approved" => ReviewDecision::Approve,
        "rejected" => ReviewDecision::Reject,
        other => return Err(ApiError::invalid("decision", format!("unknown decision {other:?}"))),
    };
    s.store.review_suggestion(user.id, id, &decision).await?;
    Ok(Redirect::to("/suggestions"))
}
