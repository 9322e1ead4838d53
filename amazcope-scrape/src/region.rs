//! Cheap location of the few regions of a page that hold the fields.
//!
//! A full html5ever DOM of a 1 MB product page costs ~12 ms; the fields live in a few
//! elements that make up a small part of it. We index every `id="..."` attribute in one
//! byte scan, cut out the element that carries a wanted id by counting the nesting of its
//! tag name, drop `<script>`/`<style>`/comments from the cut, and only then build a DOM
//! (`Html::parse_fragment`) of that small piece.

use memchr::{memchr, memmem, memrchr};
use std::collections::HashMap;

/// Largest region we cut out; a larger one means the end tag was not found where expected.
const MAX_REGION: usize = 400_000;

/// Tags that never have an end tag.
const VOID: &[&str] =
    &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"];

/// Every element id of a page, with the byte offset of its tag's `<`.
#[derive(Debug)]
pub(crate) struct IdIndex<'a> {
    html: &'a str,
    ids: HashMap<&'a str, usize>,
}

impl<'a> IdIndex<'a> {
    /// Scans `html` once for `id="..."` attributes (first occurrence of each id wins).
    pub(crate) fn new(html: &'a str) -> Self {
        let bytes = html.as_bytes();
        let mut ids = HashMap::with_capacity(1024);
        let scripts = script_ranges(bytes);
        let mut s = 0;
        for pos in memmem::find_iter(bytes, b"id=\"") {
            // `data-id="` or `asin-id="` are other attributes: an id attribute follows
            // whitespace inside a tag.
            if pos == 0 || !bytes[pos - 1].is_ascii_whitespace() {
                continue;
            }
            // Markup inside a script's string literals is not part of the page.
            while s < scripts.len() && scripts[s].1 <= pos {
                s += 1;
            }
            if s < scripts.len() && scripts[s].0 < pos {
                continue;
            }
            let start = pos + 4;
            let Some(len) = memchr(b'"', &bytes[start..bytes.len().min(start + 200)]) else {
                continue;
            };
            let Some(lt) = tag_start(bytes, pos) else { continue };
            if let Some(id) = html.get(start..start + len) {
                ids.entry(id).or_insert(lt);
            }
        }
        Self { html, ids }
    }

    /// The outer HTML of the element with this id, if the page has one.
    pub(crate) fn element(&self, id: &str) -> Option<&'a str> {
        let lt = *self.ids.get(id)?;
        element_at(self.html, lt)
    }

    /// Whether the page has an element with this id.
    pub(crate) fn has(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }
}

/// Byte ranges of the contents of `<script>` elements, in order.
fn script_ranges(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let open = memmem::Finder::new(b"<script");
    let close = memmem::Finder::new(b"</script");
    let mut i = 0;
    while let Some(a) = open.find(&bytes[i..]) {
        let start = i + a + 7;
        let end = close.find(&bytes[start..]).map_or(bytes.len(), |e| start + e);
        out.push((start, end));
        i = end;
        if i >= bytes.len() {
            break;
        }
    }
    out
}

/// The `<` of the tag that contains the attribute at `pos`, when `pos` is inside a tag.
fn tag_start(bytes: &[u8], pos: usize) -> Option<usize> {
    let from = pos.saturating_sub(4000);
    let lt = memrchr(b'<', &bytes[from..pos])? + from;
    if memchr(b'>', &bytes[lt..pos]).is_some() {
        return None;
    }
    let next = *bytes.get(lt + 1)?;
    next.is_ascii_alphabetic().then_some(lt)
}

/// The outer HTML of the element whose start tag begins at `lt`.
pub(crate) fn element_at(html: &str, lt: usize) -> Option<&str> {
    let bytes = html.as_bytes();
    let name_end = lt + 1 + bytes[lt + 1..].iter().take(20).position(|b| !b.is_ascii_alphanumeric())?;
    let name = html.get(lt + 1..name_end)?.to_ascii_lowercase();
    let open_end = open_tag_end(bytes, name_end)?;
    if VOID.contains(&name.as_str()) || bytes[open_end - 2] == b'/' {
        return html.get(lt..open_end);
    }
    let end = matching_end(bytes, open_end, name.as_bytes())
        .unwrap_or_else(|| bytes.len().min(open_end + MAX_REGION));
    let mut end = end.min(open_end + MAX_REGION).min(bytes.len());
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    html.get(lt..end)
}

/// Index just past the `>` closing the start tag, honouring quoted attribute values.
pub(crate) fn open_tag_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut quote = 0u8;
    while i < bytes.len() {
        let b = bytes[i];
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
        } else if b == b'"' || b == b'\'' {
            quote = b;
        } else if b == b'>' {
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn starts_with_tag(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    let end = at + name.len();
    end < bytes.len()
        && bytes[at..end].eq_ignore_ascii_case(name)
        && matches!(bytes[end], b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/')
}

/// Index just past the end tag matching an open `name` element whose content starts at `from`.
fn matching_end(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    let limit = bytes.len().min(from + MAX_REGION);
    while i < limit {
        let lt = memchr(b'<', &bytes[i..limit])? + i;
        let rest = &bytes[lt + 1..];
        if rest.starts_with(b"!--") {
            i = memmem::find(&bytes[lt..limit], b"-->").map_or(limit, |e| lt + e + 3);
            continue;
        }
        if starts_with_tag(bytes, lt + 1, b"script") {
            i = skip_raw(bytes, lt, b"</script", limit);
            continue;
        }
        if starts_with_tag(bytes, lt + 1, b"style") {
            i = skip_raw(bytes, lt, b"</style", limit);
            continue;
        }
        if rest.first() == Some(&b'/') && starts_with_tag(bytes, lt + 2, name) {
            depth -= 1;
            let close = memchr(b'>', &bytes[lt..limit]).map_or(limit, |e| lt + e + 1);
            if depth == 0 {
                return Some(close);
            }
            i = close;
            continue;
        }
        if starts_with_tag(bytes, lt + 1, name) {
            let end = open_tag_end(bytes, lt + 1 + name.len()).unwrap_or(limit);
            if bytes[end - 2] != b'/' {
                depth += 1;
            }
            i = end;
            continue;
        }
        i = lt + 1;
    }
    None
}

fn skip_raw(bytes: &[u8], lt: usize, close: &[u8], limit: usize) -> usize {
    // Amazon writes lower-case tags; an upper-case close tag is only looked for before the
    // lower-case one, so a region with many scripts is not rescanned to its end each time.
    let lower = memmem::find(&bytes[lt..limit], close).map_or(limit, |a| lt + a);
    let upper: Vec<u8> = close.to_ascii_uppercase();
    let first = memmem::find(&bytes[lt..lower], &upper).map_or(lower, |b| lt + b);
    if first == limit { limit } else { first + close.len() }
}

/// `html` without `<script>`, `<style>` and `<noscript>` elements and comments: they hold no
/// field we read, and html5ever would otherwise build text nodes for them.
pub(crate) fn strip_noise(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    let mut copied = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let lt = i + off;
        let skip_to = if bytes[lt + 1..].starts_with(b"!--") {
            Some(memmem::find(&bytes[lt..], b"-->").map_or(bytes.len(), |e| lt + e + 3))
        } else if starts_with_tag(bytes, lt + 1, b"script") {
            Some(after_close(bytes, lt, b"</script"))
        } else if starts_with_tag(bytes, lt + 1, b"style") {
            Some(after_close(bytes, lt, b"</style"))
        } else if starts_with_tag(bytes, lt + 1, b"noscript") {
            Some(after_close(bytes, lt, b"</noscript"))
        } else {
            None
        };
        match skip_to {
            Some(end) => {
                out.push_str(&html[copied..lt]);
                let mut end = end.min(bytes.len());
                while !html.is_char_boundary(end) {
                    end += 1;
                }
                copied = end;
                i = end;
            }
            None => i = lt + 1,
        }
        if i >= bytes.len() {
            break;
        }
    }
    out.push_str(&html[copied.min(html.len())..]);
    out
}

/// Index just past the end tag `</name>` of the raw-text element whose start tag is at `lt`.
pub(crate) fn after_close_of(bytes: &[u8], lt: usize, name: &[u8]) -> usize {
    let mut close = b"</".to_vec();
    close.extend(name.iter().map(u8::to_ascii_lowercase));
    after_close(bytes, lt, &close)
}

fn after_close(bytes: &[u8], lt: usize, close: &[u8]) -> usize {
    let end = skip_raw(bytes, lt, close, bytes.len());
    memchr(b'>', &bytes[end.min(bytes.len())..]).map_or(bytes.len(), |e| end + e + 1)
}

/// The value of attribute `attr` in the tag that starts at `lt`.
pub(crate) fn attr_in_tag<'a>(html: &'a str, lt: usize, attr: &str) -> Option<&'a str> {
    let bytes = html.as_bytes();
    let end = open_tag_end(bytes, lt + 1)?;
    let tag = &html[lt..end];
    let pat = format!("{attr}=\"");
    let mut from = 0;
    while let Some(p) = tag[from..].find(&pat) {
        let at = from + p;
        if at > 0 && tag.as_bytes()[at - 1].is_ascii_whitespace() {
            let vstart = at + pat.len();
            let vlen = tag[vstart..].find('"')?;
            return Some(&tag[vstart..vstart + vlen]);
        }
        from = at + pat.len();
    }
    None
}

/// Start of every tag containing the byte pattern `needle` inside its `<...>`.
pub(crate) fn tags_containing<'a>(html: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = html.as_bytes();
    memmem::find_iter(bytes, needle.as_bytes()).filter_map(move |pos| tag_start(bytes, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_nested_element_by_id() {
        let html = r#"<body><div id="a"><div>x</div><div id="b">y<div>z</div></div></div><p>after</p>"#;
        let idx = IdIndex::new(html);
        assert_eq!(idx.element("b"), Some(r#"<div id="b">y<div>z</div></div>"#));
        assert_eq!(
            idx.element("a"),
            Some(r#"<div id="a"><div>x</div><div id="b">y<div>z</div></div></div>"#)
        );
        assert_eq!(idx.element("c"), None);
    }

    #[test]
    fn ignores_lookalike_attributes_and_scripts() {
        let html = r#"<div data-id="t">no</div><script>var s='<div id="t">';</script><span id="t">yes<script>"</span>"</script></span>"#;
        let idx = IdIndex::new(html);
        assert_eq!(idx.element("t"), Some(r#"<span id="t">yes<script>"</span>"</script></span>"#));
    }

    #[test]
    fn unclosed_element_runs_to_the_end() {
        let html = r#"<div id="x"><div>open"#;
        assert_eq!(IdIndex::new(html).element("x"), Some(html));
    }

    #[test]
    fn strip_noise_drops_script_style_comments() {
        let s = strip_noise("a<script>x<y</script>b<style>z</style>c<!-- d -->e<noscript>n</noscript>f");
        assert_eq!(s, "abcef");
    }

    #[test]
    fn attribute_in_tag_reads_value() {
        let html = r#"<input type="hidden" name="ASIN" value="B00004YS4O">"#;
        assert_eq!(attr_in_tag(html, 0, "value"), Some("B00004YS4O"));
        assert_eq!(attr_in_tag(html, 0, "id"), None);
    }
}
