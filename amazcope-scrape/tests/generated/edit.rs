//! Edits of a saved page's HTML by element id, for the generated pages.

/// Renames every `id="from"` (either quote) to `id="to"`.
pub(crate) fn rename_id(html: &str, from: &str, to: &str) -> String {
    html.replace(&format!("id=\"{from}\""), &format!("id=\"{to}\""))
        .replace(&format!("id='{from}'"), &format!("id='{to}'"))
}

/// Byte range of the element whose start tag holds `id="id"` (first one), nesting counted.
pub(crate) fn element_range(html: &str, id: &str) -> Option<(usize, usize)> {
    let at = html.find(&format!("id=\"{id}\"")).or_else(|| html.find(&format!("id='{id}'")))?;
    let start = html[..at].rfind('<')?;
    let name: String = html[start + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let open_end = start + html[start..].find('>')? + 1;
    if html[..open_end].ends_with("/>") || name.eq_ignore_ascii_case("input") {
        return Some((start, open_end));
    }
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut depth = 1usize;
    let mut i = open_end;
    while depth > 0 {
        let next_close = i + html[i..].find(&close)?;
        let next_open = html[i..next_close].find(&open).map(|o| i + o);
        match next_open {
            Some(o) if html[o + open.len()..].starts_with([' ', '>', '\n', '\t']) => {
                depth += 1;
                i = o + open.len();
            }
            Some(o) => i = o + open.len(),
            None => {
                depth -= 1;
                i = next_close + close.len();
            }
        }
    }
    Some((start, i))
}

/// Puts `new` in place of the element with `id`.
pub(crate) fn replace_element(html: &str, id: &str, new: &str) -> Option<String> {
    let (a, b) = element_range(html, id)?;
    Some(format!("{}{new}{}", &html[..a], &html[b..]))
}

/// Puts `new` at the start of the element with `id` (just after its start tag).
pub(crate) fn prepend_into(html: &str, id: &str, new: &str) -> Option<String> {
    let (a, _) = element_range(html, id)?;
    let open_end = a + html[a..].find('>')? + 1;
    Some(format!("{}{new}{}", &html[..open_end], &html[open_end..]))
}

/// Renames every element id for which `hit` holds to `gone-<id>`.
pub(crate) fn rename_ids_where(html: &str, hit: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("id=\"") {
        let (head, tail) = rest.split_at(at + 4);
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        if hit(&tail[..end]) {
            out.push_str("gone-");
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Add to Cart, Buy Now, 1-Click and Kindle's instant order, described by Amazon's own id
/// wording rather than the parser's list.
pub(crate) fn without_buy_actions(html: &str) -> String {
    rename_ids_where(html, |id| {
        let l = id.to_ascii_lowercase();
        ["add-to-cart", "addtocart", "buy-now", "one-click", "buyoneclick", "instantorder"]
            .iter()
            .any(|w| l.contains(w))
    })
}

/// The buy-box price blocks of every layout (core price, price block table, Kindle, mobile,
/// accordion, books formats' swatches).
pub(crate) fn without_price_regions(html: &str) -> String {
    rename_ids_where(html, |id| {
        id.starts_with("corePrice")
            || id.starts_with("priceblock_")
            || id.starts_with("price_inside")
            || id.starts_with("newBuyBox")
            || id.starts_with("newOfferAccordion")
            || id.starts_with("buyNewSection")
            || id.starts_with("kindle-price")
            || id.starts_with("ebooksPrice")
            || id == "tmmSwatches"
    })
}
