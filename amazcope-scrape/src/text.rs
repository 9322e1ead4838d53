//! Text of DOM elements as a shopper reads it: whitespace collapsed, script/style skipped,
//! and, where rows matter, one line per block element.

use scraper::{ElementRef, Html, Node};

/// Builds a DOM of a page region after dropping its scripts, styles and comments.
pub(crate) fn fragment(region: &str) -> Html {
    let clean = crate::region::strip_noise(region);
    // A bare row (`<tr id="SalesRank">` of the 2016 details table) is dropped by the HTML
    // fragment algorithm outside a table.
    if clean.starts_with("<tr") || clean.starts_with("<td") || clean.starts_with("<tbody") {
        return Html::parse_fragment(&format!("<table>{clean}</table>"));
    }
    Html::parse_fragment(&clean)
}

/// Collapses runs of whitespace (incl. NBSP and the bidi marks Amazon puts in labels).
pub(crate) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split(|c: char| c.is_whitespace() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{200b}')) {
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn skip(name: &str) -> bool {
    matches!(name, "script" | "style" | "noscript" | "template")
}

/// The element's visible text, whitespace collapsed.
pub(crate) fn text(el: ElementRef<'_>) -> String {
    let mut raw = String::new();
    push_text(el, &mut raw);
    collapse(&raw)
}

fn push_text(el: ElementRef<'_>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if !skip(e.name()) => {
                if let Some(c) = ElementRef::wrap(child) {
                    push_text(c, out);
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "li" | "ul" | "ol" | "br" | "tr" | "td" | "th" | "div" | "p" | "table" | "tbody" | "h1" | "h2" | "h3"
    )
}

/// The element's text split at block elements (`li`, `br`, `tr`, `td`, `div`...), each line
/// collapsed, empty lines dropped.
pub(crate) fn lines(el: ElementRef<'_>) -> Vec<String> {
    let mut raw = String::new();
    push_lines(el, &mut raw);
    raw.split('\n').map(collapse).filter(|l| !l.is_empty()).collect()
}

fn push_lines(el: ElementRef<'_>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(&t.replace('\n', " ")),
            Node::Element(e) if !skip(e.name()) => {
                let block = is_block(e.name());
                if block {
                    out.push('\n');
                }
                if let Some(c) = ElementRef::wrap(child) {
                    push_lines(c, out);
                }
                out.push(if block { '\n' } else { ' ' });
            }
            _ => {}
        }
    }
}

/// Text of the first match of `sel` under `el`, if non-empty.
pub(crate) fn first_text(el: ElementRef<'_>, sel: &scraper::Selector) -> Option<String> {
    el.select(sel).map(text).find(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_skips_scripts_and_collapses() {
        let h = Html::parse_fragment("<div> a\n <b>b</b><script>x</script>\u{a0}c </div>");
        let div = h.root_element().first_child().and_then(ElementRef::wrap).expect("div");
        assert_eq!(text(div), "a b c");
    }

    #[test]
    fn lines_break_at_blocks() {
        let h = Html::parse_fragment(
            "<div>#1 in A (x)<ul><li>#2 in <a>B</a></li></ul><span>#3</span><br>#4</div>",
        );
        let div = h.root_element().first_child().and_then(ElementRef::wrap).expect("div");
        assert_eq!(lines(div), ["#1 in A (x)", "#2 in B", "#3", "#4"]);
    }
}
