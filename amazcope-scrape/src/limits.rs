//! Bounds on what the parser accepts, checked by byte scans before any DOM is built.
//!
//! html5ever has no depth limit, and several of its tree-construction steps walk the stack
//! of open elements (a `<div>` start tag looks for an open `<p>` in button scope), so `n`
//! nested elements cost O(n²): 100,000 nested `<div>`s took 83 s in a debug build. Browsers
//! cap the depth for the same reason (Blink's parser stops nesting at 512). We refuse such a
//! page with [`crate::ParseError::TooDeep`] instead of guessing what it meant.

use memchr::{memchr, memmem};

thread_local! {
    /// The depth of the deepest region refused during the current [`crate::parse_page`] call
    /// on this thread (parsing is synchronous: one call at a time per thread).
    static TOO_DEEP: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Notes that a region nested `depth` deep got no DOM.
pub(crate) fn note_too_deep(depth: usize) {
    TOO_DEEP.with(|c| c.set(Some(c.get().map_or(depth, |d| d.max(depth)))));
}

/// Takes what [`note_too_deep`] noted since the last call (clearing it).
pub(crate) fn take_too_deep() -> Option<usize> {
    TOO_DEEP.with(std::cell::Cell::take)
}

/// Largest page accepted: 16 MiB, five times the largest saved Amazon page (3.1 MB). Every
/// scan is linear, but search and list pages become one DOM, whose memory grows with the page.
pub const MAX_PAGE_BYTES: usize = 16 << 20;

/// Deepest element nesting accepted. Saved Amazon pages nest at most 42 elements deep by
/// this scan's count (see the fixture test); 1,024 leaves room and keeps html5ever's
/// per-tag stack walks short.
pub const MAX_DEPTH: usize = 1024;

/// What an element is to the depth model, as bit flags.
const NOT_NESTED: u8 = 1;
const SPECIAL: u8 = 2;
const SCOPE_BOUNDARY: u8 = 4;
const RAW: u8 = 8;
const FOREIGN: u8 = 16;

/// The flags of an element name, compared without case: one `match` (a length switch and a
/// few comparisons) per tag rather than a search of each list.
fn class(name: &[u8]) -> u8 {
    let mut buf = [0u8; 12];
    let Some(lower) = buf.get_mut(..name.len()) else { return 0 };
    lower.iter_mut().zip(name).for_each(|(d, s)| *d = s.to_ascii_lowercase());
    match &*lower {
        b"area" | b"base" | b"basefont" | b"bgsound" | b"body" | b"br" | b"caption" | b"col"
        | b"colgroup" | b"dd" | b"dt" | b"embed" | b"frame" | b"head" | b"hr" | b"html" | b"img"
        | b"input" | b"keygen" | b"li" | b"link" | b"meta" | b"option" | b"p" | b"param" | b"source"
        | b"tbody" | b"td" | b"tfoot" | b"th" | b"thead" | b"tr" | b"track" | b"wbr" => NOT_NESTED,
        b"address" | b"article" | b"aside" | b"blockquote" | b"button" | b"center" | b"details"
        | b"dialog" | b"dir" | b"div" | b"dl" | b"fieldset" | b"figcaption" | b"figure" | b"footer"
        | b"form" | b"frameset" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"header" | b"hgroup"
        | b"iframe" | b"listing" | b"main" | b"menu" | b"nav" | b"noembed" | b"noframes" | b"ol"
        | b"plaintext" | b"pre" | b"search" | b"section" | b"select" | b"summary" | b"textarea"
        | b"title" | b"ul" | b"xmp" => SPECIAL,
        b"applet" | b"marquee" | b"object" | b"table" | b"template" => SPECIAL | SCOPE_BOUNDARY,
        b"noscript" | b"script" | b"style" => RAW,
        b"math" | b"svg" => SCOPE_BOUNDARY | FOREIGN,
        _ => 0,
    }
}

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
    let mut stack: Vec<(&[u8], u8)> = Vec::new();
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
        let flags = class(name);
        if flags & RAW != 0 {
            i = crate::region::after_close_of(bytes, lt, name);
        }
        if i != tag_end || flags & NOT_NESTED != 0 {
            continue;
        }
        let self_closing = tag_end >= 2 && bytes[tag_end - 2] == b'/';
        if self_closing && foreign > 0 {
            continue;
        }
        if flags & FOREIGN != 0 {
            foreign += 1;
        }
        stack.push((name, flags));
        open_names[bucket(name)] += 1;
        if stack.len() > limit {
            return Err(stack.len());
        }
    }
    Ok(())
}

fn close_tag(stack: &mut Vec<(&[u8], u8)>, open_names: &mut [u32; 256], foreign: &mut usize, name: &[u8]) {
    if open_names[bucket(name)] == 0 {
        return;
    }
    let barrier = if class(name) & SPECIAL != 0 { SCOPE_BOUNDARY } else { SPECIAL };
    let Some(at) =
        stack.iter().rposition(|(open, flags)| open.eq_ignore_ascii_case(name) || flags & barrier != 0)
    else {
        return;
    };
    if !stack[at].0.eq_ignore_ascii_case(name) {
        return;
    }
    for (open, flags) in stack.drain(at..) {
        open_names[bucket(open)] -= 1;
        if flags & FOREIGN != 0 {
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
