//! Our own HTML templates, in the structure of Amazon's pages: the element ids and classes a
//! parser reads (`#productTitle`, `#corePriceDisplay_desktop_feature_div .a-price
//! .a-offscreen`, `#acrPopover[title]`, `#detailBullets_feature_div`, `#gridItemRoot`,
//! `[data-hook=review]`, ...) are where the real pages have them; everything else is left out
//! so a page stays a few KB.
//!
//! Layout variants follow the real storefronts: `com` and `co.jp` write the ranks in the
//! detail bullets, `co.uk` and `de` in the product-details table; `co.jp` puts the price in
//! `#corePrice_feature_div`, the others in `#corePriceDisplay_desktop_feature_div`.

use super::catalogue::{Catalogue, CatalogueProduct, DayState, ReviewTruth};
use super::locale::Locale;
use amazcope_core::Marketplace;
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

fn head(l: &Locale, title: &str, canonical: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\" class=\"a-no-js\" data-19ax5a9jf=\"dingo\"><head>\n\
         <meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <link rel=\"canonical\" href=\"{canonical}\">\n</head>\n<body class=\"a-m-{lang} a-aui_72554-c\">\n\
         <div id=\"navbar\" role=\"navigation\"><a href=\"/ref=nav_logo\" id=\"nav-logo-sprites\" class=\"nav-logo-link\" \
         aria-label=\"{site}\"><span class=\"nav-sprite nav-logo-base\"></span></a></div>\n",
        lang = l.lang,
        site = l.site,
        title = esc(title),
        canonical = esc(canonical),
    )
}

const FOOT: &str = "<div id=\"navFooter\" class=\"navLeftFooter nav-sprite-v1\"></div>\n</body></html>\n";

fn price_span(l: &Locale, amount: rust_decimal::Decimal, classes: &str) -> String {
    let (whole, frac) = l.price_parts(amount);
    let text = l.money(amount);
    let fraction = match frac {
        Some(f) => format!(
            "<span class=\"a-price-whole\">{whole}<span class=\"a-price-decimal\">{}</span></span>\
             <span class=\"a-price-fraction\">{f}</span>",
            l.decimal_sep()
        ),
        None => format!("<span class=\"a-price-whole\">{whole}</span>"),
    };
    let symbol = format!("<span class=\"a-price-symbol\">{}</span>", l.symbol());
    let visible =
        if l.symbol_after() { format!("{fraction}{symbol}") } else { format!("{symbol}{fraction}") };
    format!(
        "<span class=\"a-price {classes}\" data-a-size=\"xl\" data-a-color=\"base\">\
         <span class=\"a-offscreen\">{}</span><span aria-hidden=\"true\">{visible}</span></span>",
        esc(&text)
    )
}

fn list_price_block(l: &Locale, state: &DayState) -> String {
    let Some(list) = state.list_price else { return String::new() };
    let text = esc(&l.money(list));
    format!(
        "<div class=\"a-section a-spacing-small aok-align-center\"><span><span class=\"aok-relative\">\
         <span class=\"a-size-small aok-offscreen\">{label} {text}</span>\
         <span aria-hidden=\"true\" class=\"a-size-small a-color-secondary aok-align-center basisPrice\">{label} \
         <span class=\"a-price a-text-price\" data-a-size=\"s\" data-a-strike=\"true\" data-a-color=\"secondary\">\
         <span class=\"a-offscreen\">{text}</span><span aria-hidden=\"true\">{text}</span></span></span>\
         </span></span></div>",
        label = esc(l.list_price_label),
    )
}

fn price_block(l: &Locale, state: &DayState) -> String {
    let Some(price) = state.price else {
        // An unavailable offer has no price widget at all (co.uk_dp_B07CMTXCCP shows none).
        return String::new();
    };
    let prime = if state.is_prime {
        "<span id=\"prime-badge\"><i class=\"a-icon a-icon-prime a-icon-medium\" role=\"img\" \
         aria-label=\"Amazon Prime\"></i></span>"
    } else {
        ""
    };
    let inner = format!(
        "<div class=\"a-section a-spacing-none aok-align-center aok-relative\">\
         <span class=\"aok-offscreen\"> {} </span>{} \
         <span id=\"taxInclusiveMessage\" class=\"a-size-mini a-color-base aok-align-center aok-nowrap\"></span>{prime}\
         </div>{}",
        esc(&l.money(price)),
        price_span(l, price, "aok-align-center reinventPricePriceToPayMargin priceToPay"),
        list_price_block(l, state)
    );
    if l.marketplace == Marketplace::CoJp {
        format!(
            "<div id=\"corePrice_feature_div\" class=\"celwidget\" data-feature-name=\"corePrice\">\
             <div class=\"a-section a-spacing-micro\">{inner}</div></div>"
        )
    } else {
        format!(
            "<div id=\"corePriceDisplay_desktop_feature_div\" class=\"celwidget\" \
             data-feature-name=\"corePriceDisplay_desktop\">{inner}</div>"
        )
    }
}

fn breadcrumbs(p: &CatalogueProduct) -> String {
    let mut s = String::from(
        "<div id=\"wayfinding-breadcrumbs_feature_div\" class=\"a-subheader a-breadcrumb feature\" \
         data-feature-name=\"wayfinding-breadcrumbs\"><ul class=\"a-unordered-list a-horizontal a-size-small\">",
    );
    for (i, name) in p.category.path().iter().enumerate() {
        if i > 0 {
            s.push_str(
                "<li class=\"a-breadcrumb-divider\"><span class=\"a-list-item a-color-tertiary\">›</span></li>",
            );
        }
        let _ = write!(
            s,
            "<li><span class=\"a-list-item\"><a class=\"a-link-normal a-color-tertiary\" \
             href=\"/b/ref=dp_bc_{}?ie=UTF8&amp;node={}\">{}</a></span></li>",
            i + 1,
            p.category.leaf_node + i as u64,
            esc(name)
        );
    }
    s.push_str("</ul></div>");
    s
}

fn ratings_block(l: &Locale, p: &CatalogueProduct, state: &DayState) -> String {
    let alt = l.rating_alt(state.rating_tenths);
    let star_class =
        format!("a-star-{}-{}", state.rating_tenths / 10, if state.rating_tenths % 10 >= 5 { 5 } else { 0 });
    format!(
        "<div id=\"averageCustomerReviews_feature_div\" class=\"celwidget\"><div id=\"averageCustomerReviews\" \
         data-asin=\"{asin}\"><span class=\"a-declarative\"><span id=\"acrPopover\" \
         class=\"reviewCountTextLinkedHistogram noUnderline\" title=\"{alt}\"><span class=\"a-declarative\">\
         <a href=\"javascript:void(0)\" role=\"button\" class=\"a-popover-trigger a-declarative\">\
         <span aria-hidden=\"true\" class=\"a-size-base a-color-base\"> {num} </span>\
         <i class=\"a-icon a-icon-star {star_class}\"><span class=\"a-icon-alt\">{alt}</span></i></a></span></span></span>\
         <span class=\"a-letter-space\"></span><a id=\"acrCustomerReviewLink\" class=\"a-link-normal\" \
         href=\"/product-reviews/{asin}/ref=acr_dp_hist\"><span id=\"acrCustomerReviewText\" class=\"a-size-base\">{count}</span>\
         </a></div></div>",
        asin = p.asin,
        num = l.rating_number(state.rating_tenths),
        count = esc(&l.ratings_count(state.review_count)),
    )
}

fn choice_badge(state: &DayState) -> String {
    let inner = if state.amazons_choice {
        "<div class=\"mvt-ac-badge-wrapper\"><span class=\"a-declarative\" data-action=\"a-popover\">\
         <span class=\"aok-float-left mvt-ac-badge-rectangle\"><span class=\"a-size-small\"> Amazon's Choice </span>\
         </span></span><span class=\"mvt-ac-for-text mvt-desc-space\"> </span></div>"
    } else {
        ""
    };
    format!("<div id=\"acBadge_feature_div\" class=\"celwidget\" data-feature-name=\"acBadge\">{inner}</div>")
}

fn bsr_html(l: &Locale, p: &CatalogueProduct, state: &DayState) -> String {
    let c = &p.category;
    let slug = c.slug;
    match l.marketplace {
        Marketplace::CoJp => format!(
            " - {main} (<a href='/gp/bestsellers/{slug}/ref=pd_zg_ts_{slug}'>{see}</a>) \
             <ul class=\"a-unordered-list a-nostyle a-vertical zg_hrsr\"><li><span class=\"a-list-item\"> {sub}\
             <a href='/gp/bestsellers/{slug}/{node}/ref=pd_zg_hrsr_{slug}'>{leaf}</a></span></li></ul>",
            main = esc(&l.rank(state.bsr, c.root)),
            see = esc(&l.see_top(c.root)),
            sub = esc(&l.rank_prefix(state.sub_bsr)),
            node = c.leaf_node,
            leaf = esc(c.leaf),
        ),
        _ => format!(
            " {main} (<a href='/gp/bestsellers/{slug}/ref=pd_zg_ts_{slug}'>{see}</a>) \
             <ul class=\"a-unordered-list a-nostyle a-vertical zg_hrsr\"><li><span class=\"a-list-item\"> {sub}\
             <a href='/gp/bestsellers/{slug}/{node}/ref=pd_zg_hrsr_{slug}'>{leaf}</a></span></li></ul>",
            main = esc(&l.rank(state.bsr, c.root)),
            see = esc(&l.see_top(c.root)),
            sub = esc(&l.rank_prefix(state.sub_bsr)),
            node = c.leaf_node,
            leaf = esc(c.leaf),
        ),
    }
}

fn details(l: &Locale, p: &CatalogueProduct, state: &DayState, first_available: &str) -> String {
    match l.marketplace {
        // com_dp_B07FNW9FGJ / co.jp_dp_B07WXL5YPW: detail bullets with the rank as a bullet.
        Marketplace::Com | Marketplace::CoJp | Marketplace::De => format!(
            "<div id=\"detailBulletsWrapper_feature_div\" class=\"a-section feature detail-bullets-wrapper bucket\">\
             <h2>Product details</h2><div id=\"detailBullets_feature_div\">\
             <ul class=\"a-unordered-list a-nostyle a-vertical a-spacing-none detail-bullet-list\">\
             <li><span class=\"a-list-item\"><span class=\"a-text-bold\">ASIN &rlm; : &lrm; </span><span>{asin}</span></span></li>\
             <li><span class=\"a-list-item\"><span class=\"a-text-bold\">Date First Available &rlm; : &lrm; </span>\
             <span>{first_available}</span></span></li>\
             <li><span class=\"a-list-item\"><span class=\"a-text-bold\">Manufacturer &rlm; : &lrm; </span>\
             <span>{brand}</span></span></li></ul></div>\
             <ul class=\"a-unordered-list a-nostyle a-vertical a-spacing-none detail-bullet-list\">\
             <li><span class=\"a-list-item\"><span class=\"a-text-bold\"> {label}: </span>{ranks}</span></li></ul></div>",
            asin = p.asin,
            brand = esc(&p.brand),
            label = esc(l.bsr_label),
            ranks = bsr_html(l, p, state),
        ),
        // com_dp_B07G2L3JMM: the product-details table with one span per rank.
        _ => {
            let c = &p.category;
            format!(
                "<div id=\"prodDetails\" class=\"a-section\"><h2>Product information</h2>\
                 <table id=\"productDetails_detailBullets_sections1\" class=\"a-keyvalue prodDetTable\" role=\"presentation\">\
                 <tr><th class=\"a-color-secondary a-size-base prodDetSectionEntry\"> ASIN </th>\
                 <td class=\"a-size-base prodDetAttrValue\"> {asin} </td></tr>\
                 <tr><th class=\"a-color-secondary a-size-base prodDetSectionEntry\"> {label} </th><td><span>\
                 <span>{main} (<a href='/gp/bestsellers/{slug}/ref=pd_zg_ts_{slug}'>{see}</a>)</span><br>\
                 <span>{sub}<a href='/gp/bestsellers/{slug}/{node}/ref=pd_zg_hrsr_{slug}'>{leaf}</a></span><br>\
                 </span></td></tr>\
                 <tr><th class=\"a-color-secondary a-size-base prodDetSectionEntry\"> Date First Available </th>\
                 <td class=\"a-size-base prodDetAttrValue\"> {first_available} </td></tr></table></div>",
                asin = p.asin,
                label = esc(l.bsr_label),
                main = esc(&l.rank(state.bsr, c.root)),
                slug = c.slug,
                see = esc(&l.see_top(c.root)),
                sub = esc(&l.rank_prefix(state.sub_bsr)),
                node = c.leaf_node,
                leaf = esc(c.leaf),
            )
        }
    }
}

fn buybox(l: &Locale, p: &CatalogueProduct, state: &DayState) -> String {
    let availability = if state.in_stock {
        format!(
            "<span class=\"a-size-medium a-color-success primary-availability-message\"> {} </span>",
            l.in_stock
        )
    } else {
        format!("<span class=\"a-size-medium a-color-price\"> {} </span>", esc(l.unavailable))
    };
    let mut s = format!(
        "<div id=\"rightCol\"><div id=\"buybox\"><div id=\"availability_feature_div\">\
         <div id=\"availability\" class=\"a-section a-spacing-base a-spacing-top-micro\">{availability}<br></div></div>"
    );
    if state.in_stock {
        let _ = write!(
            s,
            "<div id=\"tabular-buybox\" class=\"a-section a-spacing-base tabular-buybox\"><div class=\"tabular-buybox-container\">\
             <div class=\"tabular-buybox-label\" tabular-attribute-name=\"Ships from\"><span class=\"a-size-small a-color-tertiary\">{sf_label}</span></div>\
             <div class=\"tabular-buybox-text\" tabular-attribute-name=\"Ships from\"><span class=\"a-size-small\">{ships}</span></div>\
             <div class=\"tabular-buybox-label\" tabular-attribute-name=\"Sold by\"><span class=\"a-size-small a-color-tertiary\">{sb_label}</span></div>\
             <div class=\"tabular-buybox-text\" tabular-attribute-name=\"Sold by\"><span class=\"a-size-small\">\
             <a id=\"sellerProfileTriggerId\" href=\"/gp/help/seller/at-a-glance.html/ref=dp_merchant_link?ie=UTF8&amp;seller=A1{idx:08}\">{seller}</a></span></div>\
             </div></div>\
             <span id=\"submit.add-to-cart\" class=\"a-button a-spacing-small a-button-primary a-button-icon\"><span class=\"a-button-inner\">\
             <input id=\"add-to-cart-button\" name=\"submit.add-to-cart\" title=\"{atc}\" class=\"a-button-input\" type=\"submit\" value=\"{atc}\">\
             <span class=\"a-button-text\" aria-hidden=\"true\">{atc}</span></span></span>",
            sf_label = esc(l.ships_from),
            sb_label = esc(l.sold_by),
            ships = esc(&p.ships_from),
            seller = esc(&p.seller),
            idx = p.index,
            atc = esc(l.add_to_cart),
        );
    }
    s.push_str("</div></div>");
    s
}

fn images(p: &CatalogueProduct) -> (String, String) {
    let main = &p.images[0];
    let landing = format!(
        "<div id=\"imgTagWrapperId\" class=\"imgTagWrapper\"><img alt=\"{alt}\" src=\"{small}\" data-old-hires=\"{main}\" \
         class=\"a-dynamic-image a-stretch-vertical\" id=\"landingImage\" \
         data-a-dynamic-image=\"{{&quot;{small}&quot;:[355,355],&quot;{main}&quot;:[1500,1500]}}\"></div>",
        alt = esc(&p.title),
        small = main.replace("_AC_SL1500_", "_AC_SX355_"),
    );
    let entries: Vec<String> = p
        .images
        .iter()
        .map(|u| {
            format!(
                "{{\"hiRes\":\"{u}\",\"thumb\":\"{t}\",\"large\":\"{l}\",\"main\":{{\"{l}\":[500,500]}},\"variant\":\"MAIN\"}}",
                t = u.replace("_AC_SL1500_", "_AC_US40_"),
                l = u.replace("_AC_SL1500_", "_AC_SX500_"),
            )
        })
        .collect();
    let script = format!(
        "<script type=\"text/javascript\">P.when('A').register(\"ImageBlockATF\", function(A){{\n\
         var data = {{ 'colorImages': {{ 'initial': [{}]}}, 'colorToAsin': {{'initial': {{}}}} }};\n\
         return data; }});</script>",
        entries.join(",")
    );
    (landing, script)
}

/// The product page of `p` on the state of one day.
pub fn product_page(cat: &Catalogue, p: &CatalogueProduct, state: &DayState) -> String {
    let l = Locale::of(p.marketplace);
    let canonical = format!("https://{}/{}/dp/{}", p.marketplace.host(), p.slug(), p.asin);
    let title = format!("{}: {} : {}", l.site, p.title, p.category.root);
    let first_available = cat.start_date().format("%B %-d, %Y").to_string();
    let (landing, image_script) = images(p);
    let mut s = head(&l, &title, &canonical);
    let _ = write!(
        s,
        "<div id=\"dp\" class=\"{slug} {lang}\"><div id=\"dp-container\" class=\"a-container\">{crumbs}\
         <div id=\"ppd\"><div id=\"leftCol\" class=\"imageBlock\">{landing}</div>\
         <div id=\"centerCol\" class=\"centerColAlign\"><div id=\"titleSection\" class=\"a-section a-spacing-none\">\
         <h1 id=\"title\" class=\"a-size-large a-spacing-none\"><span id=\"productTitle\" \
         class=\"a-size-large product-title-word-break\">        {title}       </span></h1></div>\
         <div id=\"bylineInfo_feature_div\" class=\"celwidget\" data-feature-name=\"bylineInfo\"><div class=\"a-section a-spacing-none\">\
         <a id=\"bylineInfo\" class=\"a-link-normal\" href=\"/stores/{brand_slug}/page/{idx:08X}?ref_=ast_bln\">{byline}</a></div></div>\
         {ratings}{badge}{price}\
         <div id=\"featurebullets_feature_div\" class=\"celwidget\"><div id=\"feature-bullets\" class=\"a-section a-spacing-medium a-spacing-top-small\">\
         <h1 class=\"a-size-base-plus a-text-bold\"> {about} </h1><ul class=\"a-unordered-list a-vertical a-spacing-mini\">",
        slug = p.category.slug,
        lang = l.lang,
        crumbs = breadcrumbs(p),
        title = esc(&p.title),
        brand_slug = esc(&p.brand),
        idx = p.index,
        byline = esc(&l.byline(&p.brand)),
        ratings = ratings_block(&l, p, state),
        badge = choice_badge(state),
        price = price_block(&l, state),
        about = esc(l.about),
    );
    for b in &p.bullets {
        let _ =
            write!(s, "<li class=\"a-spacing-mini\"><span class=\"a-list-item\"> {} </span></li>", esc(b));
    }
    s.push_str("</ul></div></div></div>");
    s.push_str(&buybox(&l, p, state));
    let _ = write!(s, "</div>{}</div></div>{image_script}\n{FOOT}", details(&l, p, state, &first_available));
    s
}

/// A best-seller list page (`/gp/bestsellers/<slug>`), in the zgbs grid layout of
/// `com_zgbs_tools-home-improvement`.
pub fn bestsellers_page(cat: &Catalogue, marketplace: Marketplace, slug: &str, day: u32) -> Option<String> {
    let category = super::catalogue::categories(marketplace).into_iter().find(|c| c.slug == slug)?;
    let l = Locale::of(marketplace);
    let canonical = format!("https://{}/gp/bestsellers/{slug}", marketplace.host());
    let title = format!("{}: {}", l.best_sellers, category.root);
    let mut s = head(&l, &title, &canonical);
    let _ = write!(
        s,
        "<div id=\"zg\" class=\"a-container\"><div id=\"zg_banner\" class=\"a-section\"><span id=\"zg_banner_text\">{banner}</span></div>\
         <div class=\"a-fixed-left-grid\"><div id=\"zg-left-col\" class=\"a-fixed-left-grid-col a-col-left\">\
         <div role=\"tree\"><div role=\"treeitem\">‹ <a href=\"/gp/bestsellers/ref=zg_bs_unv_{slug}_0_1\">Any Department</a></div>\
         <div role=\"group\"><div role=\"treeitem\"><span class=\"_p13n-zg-nav-tree-all_style_zg-selected__1SfhQ\">{root}</span></div></div></div></div>\
         <div id=\"zg-right-col\" class=\"a-fixed-left-grid-col a-col-right\">\
         <h1 class=\"a-size-large a-spacing-medium a-text-bold\">Best Sellers in {root}</h1>\
         <div class=\"p13n-desktop-grid\" data-acp-params=\"\"><div class=\"p13n-gridRow _cDEzb_grid-row_3Cywl\">",
        banner = esc(l.best_sellers),
        root = esc(category.root),
    );
    for (pos, (p, state)) in cat.bestsellers(marketplace, slug, day).into_iter().enumerate() {
        let rank = pos + 1;
        let href = format!("/{}/dp/{}/ref=zg_bs_{slug}_sccl_{rank}?psc=1", p.slug(), p.asin);
        let price = match state.price {
            Some(price) => format!(
                "<div class=\"a-row\"><a class=\"a-link-normal a-text-normal\" href=\"{href}\" role=\"link\">\
                 <span class=\"a-size-base a-color-price\"><span class=\"_cDEzb_p13n-sc-price_3mJ9Z p13n-sc-price\">{}</span></span></a></div>",
                esc(&l.money(price))
            ),
            None => String::new(),
        };
        let alt = l.rating_alt(state.rating_tenths);
        let _ = write!(
            s,
            "<div id=\"gridItemRoot\" class=\"a-column a-span12 a-text-center _cDEzb_grid-column_2hIsc\">\
             <div id=\"p13n-asin-index-{pos}\" class=\"a-cardui _cDEzb_grid-cell_1uMOS p13n-grid-content\" data-a-card-type=\"basic\">\
             <div class=\"a-section zg-bdg-ctr\"><div class=\"a-section zg-bdg-body zg-bdg-clr-body aok-float-left\">\
             <span class=\"zg-bdg-text\">#{rank}</span></div></div><div class=\"zg-grid-general-faceout\">\
             <div id=\"{asin}\" data-asin=\"{asin}\" class=\"p13n-sc-uncoverable-faceout\">\
             <a class=\"a-link-normal\" tabindex=\"-1\" href=\"{href}\" role=\"link\"><div class=\"a-section a-spacing-mini\">\
             <img alt=\"{title}\" src=\"{img}\" class=\"a-dynamic-image p13n-sc-dynamic-image p13n-product-image\" height=\"200px\"></div></a>\
             <a class=\"a-link-normal\" href=\"{href}\" role=\"link\"><span><div class=\"_cDEzb_p13n-sc-css-line-clamp-3_g3dy1\">{title}</div></span></a>\
             <div class=\"a-row\"><div class=\"a-icon-row\"><a class=\"a-link-normal\" title=\"{alt}\" href=\"/product-reviews/{asin}/ref=zg_bs_{slug}_cr_sccl_{rank}\">\
             <i class=\"a-icon a-icon-star-small aok-align-top\"><span class=\"a-icon-alt\">{alt}</span></i> \
             <span class=\"a-size-small\">{count}</span></a></div></div>{price}</div></div></div></div>",
            asin = p.asin,
            title = esc(&p.title),
            img = esc(&p.images[0].replace("_AC_SL1500_", "_AC_UL300_SR300,200_")),
            alt = esc(&alt),
            count = l.integer(u64::from(state.review_count)),
        );
    }
    s.push_str("</div></div></div></div></div>\n");
    s.push_str(FOOT);
    Some(s)
}

/// The reviews page of `p`: the ten newest reviews written by `day`.
pub fn reviews_page(p: &CatalogueProduct, day: u32) -> String {
    let l = Locale::of(p.marketplace);
    let canonical = format!("https://{}/{}/product-reviews/{}", p.marketplace.host(), p.slug(), p.asin);
    let title = format!("{}: Customer reviews: {}", l.site, p.title);
    let mut s = head(&l, &title, &canonical);
    let _ = write!(
        s,
        "<div id=\"cm_cr-product_info\" class=\"a-section\"><a data-hook=\"product-link\" class=\"a-link-normal\" \
         href=\"/{slug}/dp/{asin}/ref=cm_cr_arp_d_product_top?ie=UTF8\">{title}</a></div>\
         <div class=\"a-section a-spacing-none reviews-content a-size-base\">\
         <div id=\"cm_cr-review_list\" class=\"a-section a-spacing-none review-views celwidget\">",
        slug = p.slug(),
        asin = p.asin,
        title = esc(&p.title),
    );
    for r in p.reviews_on(day).iter().take(10) {
        s.push_str(&review_html(&l, p, r));
    }
    s.push_str("</div></div>\n");
    s.push_str(FOOT);
    s
}

fn review_html(l: &Locale, p: &CatalogueProduct, r: &ReviewTruth) -> String {
    let id = &r.review_id;
    let alt = l.rating_alt(r.stars * 10);
    let verified = if r.verified_purchase {
        format!(
            "<span data-hook=\"avp-badge\" class=\"a-size-mini a-color-state a-text-bold\">{}</span>",
            esc(l.verified)
        )
    } else {
        String::new()
    };
    let helpful = if r.helpful_votes > 0 {
        format!(
            "<span data-hook=\"helpful-vote-statement\" class=\"a-size-base a-color-tertiary cr-vote-text\">{}</span>",
            esc(&l.helpful(r.helpful_votes))
        )
    } else {
        String::new()
    };
    format!(
        "<div id=\"{id}\" data-hook=\"review\" class=\"a-section review aok-relative\"><div id=\"{id}-review-card\" class=\"a-row a-spacing-none\">\
         <div id=\"customer_review-{id}\" class=\"a-section celwidget\"><div data-hook=\"genome-widget\" class=\"a-row a-spacing-mini\">\
         <a href=\"/gp/profile/amzn1.account.A{id}/ref=cm_cr_arp_d_gw_btm?ie=UTF8\" class=\"a-profile\" data-a-size=\"small\">\
         <div class=\"a-profile-content\"><span class=\"a-profile-name\">{author}</span></div></a></div>\
         <div class=\"a-row\"><a data-hook=\"review-title\" class=\"a-size-base a-link-normal review-title a-color-base review-title-content a-text-bold\" \
         href=\"/gp/customer-reviews/{id}/ref=cm_cr_arp_d_rvw_ttl?ie=UTF8&amp;ASIN={asin}\">\
         <i data-hook=\"review-star-rating\" class=\"a-icon a-icon-star a-star-{stars} review-rating\"><span class=\"a-icon-alt\">{alt}</span></i>\
         <span class=\"a-letter-space\"></span> <span>{title}</span> </a></div>\
         <span data-hook=\"review-date\" class=\"a-size-base a-color-secondary review-date\">{date}</span>\
         <div class=\"a-row a-spacing-mini review-data review-format-strip\">{verified}</div>\
         <div class=\"a-row a-spacing-small review-data\"><span data-hook=\"review-body\" class=\"a-size-base review-text review-text-content\"> \
         <span>{text}</span> </span></div>\
         <div class=\"a-row review-comments comments-for-{id}\"><span class=\"cr-vote\" data-hook=\"review-voting-widget\">{helpful}</span></div>\
         </div></div></div>",
        author = esc(&r.author),
        asin = p.asin,
        stars = r.stars,
        alt = esc(&alt),
        title = esc(&r.title),
        date = esc(&l.review_date(r.date)),
        text = esc(&r.text),
    )
}

/// The robot check served instead of a product (HTTP 200), in the shape of
/// `com_captcha_captcha-field-keywords` / `in_captcha_robot-check`.
pub fn captcha_page(marketplace: Marketplace, day: u32, index: usize) -> String {
    let l = Locale::of(marketplace);
    format!(
        "<!doctype html>\n<html class=\"a-no-js\" lang=\"{lang}\"><head>\n<meta charset=\"utf-8\">\n\
         <title dir=\"ltr\">{site}</title>\n<meta name=\"viewport\" content=\"width=device-width\">\n</head>\n<body>\n\
         <!--\n        To discuss automated access to Amazon data please contact api-services-support@amazon.com.\n-->\n\
         <div class=\"a-container a-padding-double-large\" style=\"min-width:350px;padding:44px 0 !important\">\
         <div class=\"a-row a-spacing-double-large\" style=\"width: 350px; margin: 0 auto\">\
         <div class=\"a-row a-spacing-medium a-text-center\"><i class=\"a-icon a-logo\"></i></div>\
         <div class=\"a-box a-alert a-alert-info a-spacing-base\"><div class=\"a-box-inner\">\
         <i class=\"a-icon a-icon-alert\"></i><h4>Enter the characters you see below</h4>\
         <p class=\"a-last\">Sorry, we just need to make sure you're not a robot. For best results, please make sure your browser is accepting cookies.</p>\
         </div></div><div class=\"a-section\"><div class=\"a-box a-color-offset-background\"><div class=\"a-box-inner a-padding-extra-large\">\
         <form method=\"get\" action=\"/errors/validateCaptcha\" name=\"\">\
         <input type=hidden name=\"amzn\" value=\"SF{day:02}{index:04}\" /><input type=hidden name=\"amzn-r\" value=\"&#047;\" />\
         <div class=\"a-row a-spacing-large\"><div class=\"a-box\"><div class=\"a-box-inner\">\
         <h4>Type the characters you see in this image:</h4><div class=\"a-row a-text-center\">\
         <img src=\"https://images-na.ssl-images-amazon.com/captcha/storefront/Captcha_{day:02}{index:04}.jpg\"></div>\
         <div class=\"a-row a-spacing-base\"><input autocomplete=\"off\" spellcheck=\"false\" placeholder=\"Type characters\" \
         id=\"captchacharacters\" name=\"field-keywords\" type=\"text\"></div></div></div></div>\
         <div class=\"a-section a-spacing-extra-large\"><div class=\"a-row\"><span class=\"a-button a-button-primary a-span12\">\
         <span class=\"a-button-inner\"><button type=\"submit\" class=\"a-button-text\">Continue shopping</button></span></span></div></div>\
         </form></div></div></div></div></div>\n</body></html>\n",
        lang = l.lang,
        site = l.site,
    )
}

/// The 404 page with a dog (served with HTTP 404), for a product that is gone or an unknown
/// path.
pub fn not_found_page(marketplace: Marketplace) -> String {
    let l = Locale::of(marketplace);
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head>\n<meta charset=\"utf-8\">\n<title>{site} Page Not Found</title>\n</head>\n\
         <body><div id=\"g\"><div class=\"a-text-center a-spacing-extra-large\">\
         <a href=\"/ref=cs_404_logo\"><img src=\"https://images-na.ssl-images-amazon.com/images/G/01/error/logo._TTD_.png\" alt=\"{site}\"></a></div>\
         <div class=\"a-text-center\"><a href=\"/ref=cs_404_link\">\
         <img src=\"https://images-na.ssl-images-amazon.com/images/G/01/error/title._TTD_.png\" \
         alt=\"Sorry! We couldn't find that page. Try searching or go to {site}'s home page.\"></a></div>\
         <div class=\"a-text-center\"><a href=\"/dogsofamazon/ref=cs_404_d\">\
         <img id=\"d\" src=\"https://images-na.ssl-images-amazon.com/images/G/01/error/114._TTD_.jpg\" alt=\"Dogs of Amazon\"></a></div>\
         </div></body></html>\n",
        lang = l.lang,
        site = l.site,
    )
}

/// The "Service Unavailable" page of a throttled request (HTTP 503).
pub fn unavailable_page() -> String {
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Sorry! Something went wrong!</title></head>\n\
     <body><div class=\"a-container\"><h1>Service Unavailable</h1><p>We're sorry! Something went wrong on our end. \
     Please go back and try again or go to Amazon's home page.</p></div></body></html>\n"
        .to_owned()
}
