//! The words and bodies of a message: the e-mail subject, plain-text and HTML parts, the
//! versioned JSON body of webhooks and the Slack, Discord and ntfy shapes. Product text is
//! scraped, so untrusted: it is escaped for every markup it goes into (HTML, Slack mrkdwn),
//! Discord mentions are disabled, and header text loses its line breaks.

use super::{Message, WebhookFormat};
use crate::model::enums::{AlertType, NotificationPriority};
use serde_json::{Value, json};

/// The version of the JSON body ([`json_body`]); bumped on any incompatible change.
pub const BODY_VERSION: u32 = 1;

/// Characters of the product title kept in a subject before the ellipsis.
const SUBJECT_TITLE_CHARS: usize = 24;

/// `&`, `<`, `>`, `"` and `'` as entities.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Slack's mrkdwn escaping (`&`, `<`, `>`), so a title cannot make links or mentions.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One line: control characters (line breaks) become spaces, runs of spaces one.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` cut to at most `max` characters at a word boundary, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let text = one_line(text);
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max + 1).collect();
    let kept = match cut.rfind(' ') {
        Some(i) if i > 0 => &cut[..i],
        _ => &cut[..cut.char_indices().nth(max).map_or(cut.len(), |(i, _)| i)],
    };
    format!("{}…", kept.trim_end_matches([' ', ',', '-', ':']))
}

/// What changed, in a few words: `Price down 16.7%`, `Back in stock`.
pub fn change_label(message: &Message) -> String {
    let Some(alert) = &message.alert else {
        return one_line(&message.title);
    };
    let pct = alert.change_percent.filter(|p| p.is_finite());
    let moved = |noun: &str, up: &str, down: &str| match pct {
        Some(p) if p < 0.0 => format!("{noun} {down} {:.1}%", -p),
        Some(p) => format!("{noun} {up} {p:.1}%"),
        None => format!("{noun} changed"),
    };
    match alert.alert_type {
        AlertType::PriceChange => moved("Price", "up", "down"),
        AlertType::TargetPriceReached => "Target price reached".to_owned(),
        // A lower rank number is a better seller.
        AlertType::BsrChange => moved("Sales rank", "worse by", "better by"),
        AlertType::OutOfStock => "Out of stock".to_owned(),
        AlertType::BackInStock => "Back in stock".to_owned(),
        AlertType::Unlisted => "No longer listed".to_owned(),
        AlertType::RatingDrop => moved("Rating", "up", "down"),
        AlertType::ReviewSpike => "Review spike".to_owned(),
        AlertType::AmazonsChoiceLost => "Amazon's Choice lost".to_owned(),
        AlertType::AmazonsChoiceGained => "Amazon's Choice gained".to_owned(),
    }
}

/// `amazon.com` for the `com` marketplace.
fn store(message: &Message) -> Option<String> {
    message.product.as_ref().map(|p| format!("amazon.{}", p.marketplace.code()))
}

/// The subject: `Price down 16.7%: Instant Pot Duo 7-in-1… (B00FLYWNYQ, amazon.com)`.
pub fn subject(message: &Message) -> String {
    let label = change_label(message);
    match &message.product {
        Some(p) => {
            let title = p.title.as_deref().map(|t| shorten(t, SUBJECT_TITLE_CHARS));
            match title.filter(|t| !t.is_empty()) {
                Some(t) => format!("{label}: {t} ({}, {})", p.asin, store(message).unwrap_or_default()),
                None => format!("{label}: {} on {}", p.asin, store(message).unwrap_or_default()),
            }
        }
        None => label,
    }
}

/// A stored value for people: prices with their currency.
fn show_value(message: &Message, value: Option<&str>) -> String {
    let Some(v) = value else { return "-".to_owned() };
    match (&message.alert, &message.product) {
        (Some(a), Some(p))
            if matches!(a.alert_type, AlertType::PriceChange | AlertType::TargetPriceReached) =>
        {
            format!("{v} {}", p.marketplace.currency())
        }
        _ => v.to_owned(),
    }
}

/// The facts of a message as (label, value) lines, unescaped.
fn facts(message: &Message) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(p) = &message.product {
        out.push(("Product", p.title.as_deref().map(one_line).unwrap_or_else(|| p.asin.clone())));
        out.push(("ASIN", p.asin.clone()));
        out.push(("Marketplace", store(message).unwrap_or_default()));
    }
    if let Some(a) = &message.alert {
        out.push(("Before", show_value(message, a.old.as_deref())));
        out.push(("After", show_value(message, a.new.as_deref())));
        if let Some(p) = a.change_percent.filter(|p| p.is_finite()) {
            out.push(("Change", format!("{p:+.1}%")));
        }
    }
    out.push(("Time", message.created_at.format("%Y-%m-%d %H:%M UTC").to_string()));
    out
}

/// The plain-text part.
pub fn email_text(message: &Message) -> String {
    let mut out = format!("{}\n\n{}\n\n", subject(message), message.message);
    for (k, v) in facts(message) {
        out.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(p) = &message.product {
        out.push_str(&format!("Link: {}\n", p.url));
    }
    out.push_str(
        "\n-- \nAmazcope. Change what you receive with `amazcope settings` and `amazcope channels`.\n",
    );
    out
}

/// The HTML part; every text is escaped. The message keeps its line breaks (`pre-wrap`):
/// a digest's message is the report, one line per product.
pub fn email_html(message: &Message) -> String {
    let mut rows = String::new();
    for (k, v) in facts(message) {
        rows.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
            html_escape(k),
            html_escape(&v)
        ));
    }
    let link = message
        .product
        .as_ref()
        .map(|p| {
            format!(
                "<p><a href=\"{}\">View on {}</a></p>\n",
                html_escape(&p.url),
                html_escape(&store(message).unwrap_or_default())
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html><body>\n<h2>{}</h2>\n<p style=\"white-space: pre-wrap\">{}</p>\n<table>\n{rows}</table>\n{link}</body></html>\n",
        html_escape(&subject(message)),
        html_escape(&message.message),
    )
}

/// Amazcope's JSON body, version [`BODY_VERSION`]:
///
/// ```json
/// {"version": 1, "id": "<notification id>", "type": "price_change", "priority": "high",
///  "title": "Price down 16.7%: …", "message": "…",
///  "product": {"asin": "B00FLYWNYQ", "marketplace": "com", "title": "…", "url": "…"},
///  "alert": {"type": "price_change", "old": "99.95", "new": "83.29", "change_percent": -16.7},
///  "created_at": "2026-12-06T17:00:00Z"}
/// ```
///
/// `product` and `alert` are `null` for notifications without them.
pub fn json_body(message: &Message) -> Value {
    json!({
        "version": BODY_VERSION,
        "id": message.notification_id,
        "type": message.notification_type,
        "priority": message.priority,
        "title": subject(message),
        "message": message.message,
        "product": message.product,
        "alert": message.alert,
        "created_at": message.created_at,
    })
}

/// The body for a channel's format.
pub fn webhook_body(format: WebhookFormat, message: &Message, ntfy_topic: Option<&str>) -> Value {
    match format {
        WebhookFormat::Json => json_body(message),
        WebhookFormat::Slack => slack_body(message),
        WebhookFormat::Discord => discord_body(message),
        WebhookFormat::Ntfy => ntfy_body(message, ntfy_topic.unwrap_or("amazcope")),
    }
}

fn slack_body(message: &Message) -> Value {
    let subject = slack_escape(&subject(message));
    let mut lines = vec![match &message.product {
        Some(p) => format!("*<{}|{}>*", p.url, subject),
        None => format!("*{subject}*"),
    }];
    lines.push(slack_escape(&message.message));
    for (k, v) in facts(message) {
        lines.push(format!("*{k}:* {}", slack_escape(&v)));
    }
    json!({
        "text": subject,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}}],
    })
}

fn discord_body(message: &Message) -> Value {
    let fields: Vec<Value> = facts(message)
        .into_iter()
        .map(|(k, v)| json!({"name": k, "value": shorten(&v, 1000), "inline": true}))
        .collect();
    let color = match message.priority {
        NotificationPriority::Low | NotificationPriority::Normal => 0x3b82f6,
        NotificationPriority::High => 0xf59e0b,
        NotificationPriority::Urgent => 0xef4444,
    };
    json!({
        "content": Value::Null,
        // Product text may hold @everyone: no mention is ever resolved.
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": shorten(&subject(message), 250),
            "description": shorten(&message.message, 4000),
            "url": message.product.as_ref().map(|p| p.url.clone()),
            "color": color,
            "timestamp": message.created_at,
            "fields": fields,
        }],
    })
}

fn ntfy_body(message: &Message, topic: &str) -> Value {
    let priority = match message.priority {
        NotificationPriority::Low => 2,
        NotificationPriority::Normal => 3,
        NotificationPriority::High => 4,
        NotificationPriority::Urgent => 5,
    };
    let text = facts(message).into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n");
    json!({
        "topic": topic,
        "title": subject(message),
        "message": format!("{}\n{text}", message.message),
        "priority": priority,
        "tags": [message.notification_type.as_str()],
        "click": message.product.as_ref().map(|p| p.url.clone()),
    })
}

/// ntfy takes JSON at its root URL with the topic in the body: `https://ntfy.sh/alerts`
/// posts to `https://ntfy.sh/` with topic `alerts`.
pub fn ntfy_target(url: &str) -> (String, Option<String>) {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let trimmed = base.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((root, topic)) if !root.ends_with('/') && !topic.is_empty() => {
            let root = format!("{root}/");
            (query.map_or(root.clone(), |q| format!("{root}?{q}")), Some(topic.to_owned()))
        }
        _ => (url.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Marketplace;
    use crate::delivery::{MessageAlert, MessageProduct};
    use crate::model::enums::NotificationType;
    use chrono::TimeZone;

    fn message(title: &str) -> Message {
        Message {
            notification_id: uuid::Uuid::nil(),
            notification_type: NotificationType::PriceChange,
            priority: NotificationPriority::High,
            title: "Price decreased by 16.7%".into(),
            message: "Price went from 99.95 to 83.29".into(),
            product: Some(MessageProduct {
                asin: "B00FLYWNYQ".into(),
                marketplace: Marketplace::Com,
                title: Some(title.into()),
                url: "https://www.amazon.com/dp/B00FLYWNYQ".into(),
            }),
            alert: Some(MessageAlert {
                alert_type: AlertType::PriceChange,
                old: Some("99.95".into()),
                new: Some("83.29".into()),
                change_percent: Some(-16.66),
            }),
            created_at: chrono::Utc.with_ymd_and_hms(2026, 12, 6, 17, 0, 0).unwrap(),
        }
    }

    #[test]
    fn subject_names_change_and_product() {
        let m = message("Instant Pot Duo 7-in-1 Electric Pressure Cooker, 6 Quart");
        assert_eq!(subject(&m), "Price down 16.7%: Instant Pot Duo 7-in-1… (B00FLYWNYQ, amazon.com)");
    }

    #[test]
    fn html_of_untrusted_title_is_escaped() {
        let m = message("<script>alert(1)</script> Kettle & \"Co\"");
        let html = email_html(&m);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Kettle &amp; &quot;Co&quot;"), "{html}");
        let slack = slack_body(&m).to_string();
        assert!(!slack.contains("<script>"), "{slack}");
    }

    #[test]
    fn json_body_is_versioned_and_complete() {
        let b = json_body(&message("Kettle"));
        assert_eq!(b["version"], 1);
        assert_eq!(b["product"]["asin"], "B00FLYWNYQ");
        assert_eq!(b["alert"]["old"], "99.95");
        assert_eq!(b["alert"]["type"], "price_change");
        assert_eq!(b["priority"], "high");
    }

    #[test]
    fn ntfy_topic_is_split_from_url() {
        assert_eq!(ntfy_target("https://ntfy.sh/alerts"), ("https://ntfy.sh/".into(), Some("alerts".into())));
        assert_eq!(ntfy_target("http://127.0.0.1:80/"), ("http://127.0.0.1:80/".into(), None));
    }
}
