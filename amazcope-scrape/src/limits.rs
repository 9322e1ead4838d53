//! Bounds on what the parser accepts, checked by byte scans before any DOM is built.
//!
//! html5ever has no depth limit, and several of its tree-construction steps walk the stack
//! of open elements (a `<div>` start tag looks for an open `<p>` in button scope), so `n`
//! nested elements cost O(n²): 100,000 nested `<div>`s took 83 s in a debug build. Browsers
//! cap the depth for the same reason (Blink's parser stops nesting at 512). We refuse such a
//! page with [`crate::ParseError::TooDeep`] instead of guessing what it meant.

use memchr::{memchr, memmem};

/// Largest page accepted: 16 MiB, five times the largest saved Amazon page (3.1 MB). Every
/// scan is linear, but search and list pages become one DOM, whose memory grows with the page.
pub const MAX_PAGE_BYTES: usize = 16 << 20;

/// Deepest element nesting accepted. Saved Amazon pages nest at most 42 elements deep by
/// this scan's count (see the fixture test); 1,024 leaves room and keeps html5ever's
/// per-tag stack walks short.
pub const MAX_DEPTH: usize = 1024;

/// Whether `name`, compared without case, is one of `names` (all lower case, at most 12 bytes).
fn named(name: &[u8], names: &[&[u8]]) -> bool {
    let mut buf = [0u8; 12];
    let Some(lower) = buf.get_mut(..name.len()) else { return false };
    lower.iter_mut().zip(name).for_each(|(d, s)| *d = s.to_ascii_lowercase());
    names.contains(&&*lower)
}

/// Elements with no end tag, or whose end tag html5ever implies when a sibling opens (`<li>`
/// after `<li>`, `<p>` before a block, table parts outside a table are dropped): counting
/// them would call a long flat list deep.
const NOT_NESTED: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"source",
    b"track",
    b"wbr",
    b"param",
    b"keygen",
    b"basefont",
    b"bgsound",
    b"frame",
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"option",
    b"tr",
    b"td",
    b"th",
    b"tbody",
    b"thead",
    b"tfoot",
    b"caption",
    b"colgroup",
    b"html",
    b"head",
    b"body",
];

/// html5ever's "special" elements: an end tag of any other name does not close past them.
const SPECIAL: &[&[u8]] = &[
    b"address",
    b"applet",
    b"article",
    b"aside",
    b"blockquote",
    b"button",
    b"center",
    b"details",
    b"dialog",
    b"dir",
    b"div",
    b"dl",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"form",
    b"frameset",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"header",
    b"hgroup",
    b"iframe",
    b"listing",
    b"main",
    b"marquee",
    b"menu",
    b"nav",
    b"noembed",
    b"noframes",
    b"object",
    b"ol",
    b"plaintext",
    b"pre",
    b"search",
    b"section",
    b"select",
    b"summary",
    b"table",
    b"template",
    b"textarea",
    b"title",
    b"ul",
    b"xmp",
];

/// Elements an end tag of a special element does not close past (html5ever's default scope).
const SCOPE_BOUNDARY: &[&[u8]] = &[b"applet", b"marquee", b"object", b"table", b"template", b"svg", b"math"];

/// Elements whose content [`crate::region::strip_noise`] drops before any DOM is built.
const RAW: &[&[u8]] = &[b"script", b"style", b"noscript"];

/// Elements that open foreign content, where `/>` does close an element.
const FOREIGN: &[&[u8]] = &[b"svg", b"math"];

fn bucket(name: &[u8]) -> usize {
    name.iter().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b.to_ascii_lowercase())))
        & 255
}

/// The element nesting of `html`, as a tree builder would see it, up to `limit`: `Err(depth)`
/// as soon as it passes `limit`.
///
/// This is a conservative model of html5ever's stack of open elements: start tags push
/// (except [`NOT_NESTED`] ones, and `/>` inside `<svg>`/`<math>`), an end tag pops down to
/// the nearest open element of its name unless a special element (or, for a special end tag,
/// a scope boundary) is in the way, in which case it is ignored as html5ever ignores it.
/// Comments, `<script>`, `<style>` and `<noscript>` are skipped, as [`crate::region::strip_noise`]
/// drops them before any DOM is built. Time: one pass, and at most `limit` stack entries
/// looked at per end tag.
pub(crate) fn check_depth(html: &str, limit: usize) -> Result<(), usize> {
    let bytes = html.as_bytes();
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut open_names = [0u32; 256];
    let mut foreign = 0usize;
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let lt = i + off;
        let rest = &bytes[lt + 1..];
        if rest.starts_with(b"!--") {
            i = memmem::find(&bytes[lt + 4..], b"-->").map_or(bytes.len(), |e| lt + 4 + e + 3);
            continue;
        }
        let (close, name_at) = if rest.first() == Some(&b'/') { (true, lt + 2) } else { (false, lt + 1) };
        let name_len = bytes[name_at.min(bytes.len())..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'_')))
            .unwrap_or(bytes.len() - name_at.min(bytes.len()));
        if name_len == 0 || !bytes[name_at].is_ascii_alphabetic() {
            i = lt + 1;
            continue;
        }
        let name = &bytes[name_at..name_at + name_len];
        let tag_end = crate::region::open_tag_end(bytes, name_at + name_len).unwrap_or(bytes.len());
        i = tag_end;
        if close {
            close_tag(&mut stack, &mut open_names, &mut foreign, name);
            continue;
        }
        if named(name, RAW) {
            i = crate::region::after_close_of(bytes, lt, name);
        }
        if i != tag_end || named(name, NOT_NESTED) {
            continue;
        }
        let self_closing = tag_end >= 2 && bytes[tag_end - 2] == b'/';
        if self_closing && foreign > 0 {
            continue;
        }
        if named(name, FOREIGN) {
            foreign += 1;
        }
        stack.push(name);
        open_names[bucket(name)] += 1;
        if stack.len() > limit {
            return Err(stack.len());
        }
    }
    Ok(())
}

fn close_tag(stack: &mut Vec<&[u8]>, open_names: &mut [u32; 256], foreign: &mut usize, name: &[u8]) {
    if open_names[bucket(name)] == 0 {
        return;
    }
    let is_special = named(name, SPECIAL);
    let Some(at) = stack.iter().rposition(|open| {
        open.eq_ignore_ascii_case(name) || named(open, if is_special { SCOPE_BOUNDARY } else { SPECIAL })
    }) else {
        return;
    };
    if !stack[at].eq_ignore_ascii_case(name) {
        return;
    }
    for open in stack.drain(at..) {
        open_names[bucket(open)] -= 1;
        if named(open, FOREIGN) {
            *foreign -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(html: &str) -> usize {
        (1..).find(|l| check_depth(html, *l).is_ok()).unwrap_or(0)
    }

    #[test]
    fn counts_nesting_like_the_tree_builder() {
        assert_eq!(depth("<div><span>a</span><span>b</span></div>"), 2);
        assert_eq!(depth("<ul><li>a<li>b<li>c</ul><p>x<p>y<br><img src=a>"), 1);
        assert_eq!(depth("<div><!-- <div><div> --><script>'<div><div>'</script></div>"), 1);
        assert_eq!(depth("<svg><path/><path/><g><path/></g></svg>"), 2);
        // `/>` on an HTML element opens it, as html5ever does.
        assert_eq!(depth("<div/><div/><div/>"), 3);
    }

    #[test]
    fn ignored_end_tags_do_not_hide_depth() {
        // html5ever ignores `</span>` here (the `<div>` is special) and so keeps every span.
        let n = 50;
        assert!(depth(&"<span><div></span></div>".repeat(n)) >= n);
        assert!(depth(&"<div></x>".repeat(n)) >= n);
        assert_eq!(check_depth(&"<div>".repeat(2000), 1024), Err(1025));
    }
}
