//! Text of DOM elements as a shopper reads it: whitespace collapsed, script/style skipped,
//! and, where rows matter, one line per block element.

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

/// Builds a DOM of a page region after dropping its scripts, styles and comments. A region
/// nested deeper than [`crate::MAX_DEPTH`] gets no DOM (an empty one: html5ever's tree
/// building is quadratic in the depth) and is noted, so that [`crate::parse_page`] answers
/// [`crate::ParseError::TooDeep`]; only the regions that become DOMs are scanned.
pub(crate) fn fragment(region: &str) -> Html {
    let clean = crate::region::strip_noise(region);
    if let Err(depth) = crate::limits::check_depth(&clean, crate::limits::MAX_DEPTH) {
        crate::limits::note_too_deep(depth);
        return Html::parse_fragment("");
    }
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

/// Walks the subtree under `el` (not `el` itself) in document order without recursion: a
/// hostile page nests 100,000 elements, and one stack frame per level overflows a thread's
/// stack long before that. `visit` gets each node on entry (`true`) and on exit (`false`);
/// the subtrees of script-like elements are skipped whole.
fn walk<'a>(el: ElementRef<'a>, mut visit: impl FnMut(&'a Node, bool)) {
    let mut skipping = None;
    for edge in el.traverse() {
        let (node, open) = match edge {
            Edge::Open(n) => (n, true),
            Edge::Close(n) => (n, false),
        };
        if node.id() == el.id() {
            continue;
        }
        if let Some(id) = skipping {
            if !open && id == node.id() {
                skipping = None;
            }
            continue;
        }
        if let Node::Element(e) = node.value()
            && skip(e.name())
        {
            // A skipped leaf's close edge comes right after its open edge, as for any node.
            skipping = Some(node.id());
            continue;
        }
        visit(node.value(), open);
    }
}

fn push_text(el: ElementRef<'_>, out: &mut String) {
    walk(el, |node, open| match node {
        Node::Text(t) if open => out.push_str(t),
        Node::Element(_) if !open => out.push(' '),
        _ => {}
    });
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
    walk(el, |node, open| match node {
        Node::Text(t) if open => out.push_str(&t.replace('\n', " ")),
        Node::Element(e) if is_block(e.name()) => out.push('\n'),
        Node::Element(_) if !open => out.push(' '),
        _ => {}
    });
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

    #[test]
    fn text_of_deeply_nested_element_does_not_recurse() {
        // One stack frame per level overflowed the 2 MB test-thread stack near 10,000 levels.
        let n = 20_000;
        let h = Html::parse_fragment(&format!("<div>{}x{}</div>", "<b>".repeat(n), "</b>".repeat(n)));
        let div = h.root_element().first_child().and_then(ElementRef::wrap).expect("div");
        assert_eq!(text(div), "x");
        assert_eq!(lines(div), ["x"]);
    }
}
