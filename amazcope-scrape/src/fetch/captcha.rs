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
    // One lower-cased copy (std's vectorised loop) and SIMD substring search keep this
    // around a millisecond on a megabyte product page.
    let lower = body.as_bytes().to_ascii_lowercase();
    let has = |needle: &str| memchr::memmem::find(&lower, needle.as_bytes()).is_some();
    if STRONG_MARKERS.iter().any(|m| has(m)) {
        return true;
    }
    if has("awswaf") && has("challenge.js") {
        return true;
    }
    has("api-services-support@amazon.com") && has("captcha")
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
    fn markers_match_in_any_ascii_case() {
        assert!(looks_like_captcha("<FORM ACTION=\"/ERRORS/VALIDATECAPTCHA\">"));
        assert!(looks_like_captcha("<p>Ümlaut</p><script src=\"x.AwsWaf.com/challenge.JS\"></script>"));
    }
}
