//! A quick check for robot-check pages, done on every response body before it is handed on.
//! The parser classifies pages fully; this only decides whether to back a marketplace off.

/// Markers that alone prove a robot check. Each names the page it comes from:
/// - `/errors/validatecaptcha`: the form action of the classic robot check and of the
///   "Click the button below to continue shopping" interstitial (all marketplaces).
/// - `captchacharacters`: the text input id of the "Type the characters you see" form.
/// - `type the characters you see`: the heading of that form (English storefronts).
/// - `opfcaptcha.amazon.`: the `ue_sn` host of the interstitial's tracking script.
const STRONG_MARKERS: &[&str] =
    &["/errors/validatecaptcha", "captchacharacters", "type the characters you see", "opfcaptcha.amazon."];

/// Returns `true` when `body` is a robot check, a captcha form or an AWS WAF challenge rather
/// than the page that was asked for.
///
/// `api-services-support@amazon.com` alone is not enough: Amazon puts that comment on its
/// "Sorry! Something went wrong" page too, so it only counts together with the word
/// `captcha`. The AWS WAF challenge is a small page that loads `challenge.js` from an
/// `awswaf` host.
pub fn looks_like_captcha(body: &str) -> bool {
    let hay = body.as_bytes();
    if STRONG_MARKERS.iter().any(|m| contains_ignore_case(hay, m.as_bytes())) {
        return true;
    }
    if contains_ignore_case(hay, b"awswaf") && contains_ignore_case(hay, b"challenge.js") {
        return true;
    }
    contains_ignore_case(hay, b"api-services-support@amazon.com") && contains_ignore_case(hay, b"captcha")
}

/// ASCII case-insensitive substring search; `needle` must be lower case. Product pages run
/// to megabytes, so this avoids lower-casing a copy of the whole body.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    let upper = first.to_ascii_uppercase();
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        let b = hay[i];
        if (b == first || b == upper) && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_robot_check_form_is_a_captcha() {
        let body =
            r#"<form method="get" action="/errors/validateCaptcha"><input id="captchacharacters"></form>"#;
        assert!(looks_like_captcha(body));
    }

    #[test]
    fn type_the_characters_heading_is_a_captcha() {
        assert!(looks_like_captcha("<h4>Type the characters you see in this image:</h4>"));
    }

    #[test]
    fn aws_waf_challenge_is_a_captcha() {
        let body = r#"<script src="https://x.token.awswaf.com/a/b/challenge.js"></script>"#;
        assert!(looks_like_captcha(body));
    }

    #[test]
    fn waf_word_without_challenge_script_is_not_a_captcha() {
        assert!(!looks_like_captcha("<p>awswaf is mentioned in an article</p>"));
    }

    #[test]
    fn support_address_alone_is_not_a_captcha() {
        let body = "<!-- To discuss automated access to Amazon data please contact \
                    api-services-support@amazon.com. --><title>Sorry! Something went wrong!</title>";
        assert!(!looks_like_captcha(body));
    }

    #[test]
    fn support_address_with_captcha_word_is_a_captcha() {
        let body = "<!-- api-services-support@amazon.com --><form name=\"captcha\"></form>";
        assert!(looks_like_captcha(body));
    }

    #[test]
    fn ordinary_product_markup_is_not_a_captcha() {
        let body = r#"<span id="productTitle">Captain's Log</span><span class="a-price">$10.00</span>"#;
        assert!(!looks_like_captcha(body));
    }

    #[test]
    fn empty_and_tiny_bodies_are_not_captchas() {
        assert!(!looks_like_captcha(""));
        assert!(!looks_like_captcha("x"));
    }

    #[test]
    fn search_ignores_ascii_case_only() {
        assert!(contains_ignore_case(b"xxVALIDATEcaptchaxx", b"validatecaptcha"));
        assert!(!contains_ignore_case(b"validatecaptch", b"validatecaptcha"));
        assert!(contains_ignore_case("ümlaut captcha".as_bytes(), b"captcha"));
    }
}
