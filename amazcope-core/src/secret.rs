//! Keeping secrets out of what people read: error messages, logs and `--json` output.
//!
//! Database passwords and proxy credentials arrive inside URLs
//! (`postgres://amazcope:s3cret@db/amazcope`, `http://user:pass@proxy:3128`); SMTP passwords
//! and webhook secrets arrive as plain values. Two tools, for every adapter (CLI, Python,
//! web service, workers):
//!
//! - [`redact_url`] masks the password of a URL (and a `password=` query parameter, as
//!   libpq reads), keeping what helps the reader: scheme, user, host, port, path.
//! - [`Redactor`] knows the secrets in play and masks each wherever it appears in a text (a
//!   driver's error message that echoes its input, a third-party log line).
//!
//! Pure functions, no I/O: the adapters read the environment and pass the values in.

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// `url` with its password, and any `password=` query parameter, replaced by [`MASK`].
/// Text that is not a URL with credentials comes back unchanged.
///
/// ```
/// use amazcope_core::secret::redact_url;
/// assert_eq!(redact_url("postgres://amazcope:s3cret@db:5432/amazcope"), "postgres://amazcope:***@db:5432/amazcope");
/// assert_eq!(redact_url("http://proxy:3128"), "http://proxy:3128");
/// assert_eq!(redact_url("postgres://db/x?user=a&password=s3cret"), "postgres://db/x?user=a&password=***");
/// ```
pub fn redact_url(url: &str) -> String {
    let mut out = match url_password_span(url) {
        Some((start, end)) => format!("{}{MASK}{}", &url[..start], &url[end..]),
        None => url.to_owned(),
    };
    // libpq-style `password=...` in a query string or a key/value connection string.
    let mut from = 0;
    while let Some(i) = find_ci(&out[from..], "password=") {
        let start = from + i + "password=".len();
        let end = out[start..].find(['&', ' ', ';', '#']).map_or(out.len(), |e| start + e);
        if end > start && &out[start..end] != MASK {
            out.replace_range(start..end, MASK);
        }
        from = start + MASK.len().min(out.len() - start);
    }
    out
}

/// The password of `url` (`scheme://user:password@host...`), percent-decoded, if it has
/// one: what a [`Redactor`] should mask (a driver may echo it in either form).
pub fn url_password(url: &str) -> Option<String> {
    let (start, end) = url_password_span(url)?;
    Some(url[start..end].to_owned())
}

/// Byte range of the password in `scheme://user:password@host`.
fn url_password_span(url: &str) -> Option<(usize, usize)> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    let (start, end) = (scheme_end + colon + 1, scheme_end + at);
    (end > start).then_some((start, end))
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

/// Decodes `%XX` escapes (a URL's password as the server sees it).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Hex digits read from bytes: slicing the str could split a multi-byte character.
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if bytes[i] == b'%'
            && let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The secrets in play, masked wherever they appear in a text.
///
/// ```
/// use amazcope_core::secret::Redactor;
/// let r = Redactor::new().with_url("postgres://a:p%40ss@db/x").with_secret("whsec_123");
/// assert_eq!(r.scrub("auth failed for p@ss, signed with whsec_123"), "auth failed for ***, signed with ***");
/// ```
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// Knows no secret yet (URLs passed to [`Redactor::scrub`] still lose their passwords).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret value (an SMTP password, a webhook secret). Values shorter than 3
    /// characters are ignored: masking every `a` would garble the text and hide nothing.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        if secret.chars().count() >= 3 && !self.secrets.contains(&secret) {
            self.secrets.push(secret);
            // Longest first, so a secret containing another is masked whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        self
    }

    /// Adds the password of `url` (as written and percent-decoded), if it has one.
    pub fn with_url(self, url: &str) -> Self {
        match url_password(url) {
            Some(raw) => {
                let decoded = percent_decode(&raw);
                self.with_secret(raw).with_secret(decoded)
            }
            None => self,
        }
    }

    /// `text` with every known secret, and the password of any URL in it, masked.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        // URLs the caller did not know about (a proxy named in a driver's message).
        out.split_inclusive(char::is_whitespace).map(redact_url).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_masked_and_the_rest_kept() {
        for (url, want) in [
            ("postgres://amazcope:s3cret@127.0.0.1:5432/db", "postgres://amazcope:***@127.0.0.1:5432/db"),
            ("http://u:p@proxy.local:3128", "http://u:***@proxy.local:3128"),
            ("socks5://u:p%3Aw@proxy:1080/", "socks5://u:***@proxy:1080/"),
            ("postgres://amazcope@db/x", "postgres://amazcope@db/x"),
            (
                "postgres://db/x?sslmode=require&password=s3cret",
                "postgres://db/x?sslmode=require&password=***",
            ),
            ("host=db user=a password=s3cret dbname=x", "host=db user=a password=*** dbname=x"),
            ("no url here: a:b@c", "no url here: a:b@c"),
            // An @ in the path is not a credential.
            ("https://example.com/a:b@c", "https://example.com/a:b@c"),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn scrub_masks_known_secrets_in_any_form_and_stray_urls() {
        let r = Redactor::new().with_url("postgres://a:p%40ss@db/x").with_secret("smtp-pw-9");
        let text = "password authentication failed (p@ss / p%40ss); smtp-pw-9 rejected; \
                    proxy http://bob:hunter2@10.0.0.1:3128 refused";
        let out = r.scrub(text);
        for secret in ["p@ss", "p%40ss", "smtp-pw-9", "hunter2"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("http://bob:***@10.0.0.1:3128"), "{out}");
        assert_eq!(format!("{r:?}"), "Redactor(3 secrets)");
    }

    #[test]
    fn percent_escapes_decode_and_odd_text_does_not_panic() {
        assert_eq!(percent_decode("p%40ss%2"), "p@ss%2");
        assert_eq!(percent_decode("%é%"), "%é%");
        let r = Redactor::new().with_url("postgres://a:%éab@db/x");
        assert_eq!(r.scrub("x %éab y"), "x *** y");
    }

    #[test]
    fn short_values_are_not_secrets() {
        let r = Redactor::new().with_secret("a");
        assert_eq!(r.scrub("a cat"), "a cat");
    }
}
