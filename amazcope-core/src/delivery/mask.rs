//! Secrets never leave in output: URL passwords, token query parameters, the token path of
//! Slack and Discord webhook URLs, and any known secret inside an error text are replaced
//! with `***`.

const MASK: &str = "***";

/// Query parameters whose values are credentials.
const SECRET_KEYS: &[&str] = &[
    "token",
    "access_token",
    "auth",
    "key",
    "api_key",
    "apikey",
    "secret",
    "password",
    "pass",
    "sig",
    "signature",
];

/// Hosts whose webhook URLs carry their token in the path (everything after the fixed
/// prefix is masked).
const TOKEN_PATHS: &[(&str, &str)] = &[
    ("hooks.slack.com", "/services/"),
    ("discord.com", "/api/webhooks/"),
    ("discordapp.com", "/api/webhooks/"),
];

/// `scheme://user:***@host/path?token=***`: the password of the userinfo, the values of
/// credential query parameters and the token path of Slack/Discord hooks are masked. Text
/// that is not a URL is returned as it is.
pub fn url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:{MASK}@{host}"),
            // A lone userinfo is a token (https://TOKEN@host).
            None => format!("{MASK}@{host}"),
        },
        None => authority.to_owned(),
    };
    let host = authority.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q)),
        None => (tail.to_owned(), None),
    };
    let mut path = path;
    for (h, prefix) in TOKEN_PATHS {
        if (host == *h || host.ends_with(&format!(".{h}"))) && path.starts_with(prefix) {
            path = format!("{prefix}{MASK}");
        }
    }
    let query = query.map(|q| {
        q.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if SECRET_KEYS.contains(&k.to_ascii_lowercase().as_str()) => {
                    format!("{k}={MASK}")
                }
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(q) => format!("{scheme}://{authority}{path}?{q}"),
        None => format!("{scheme}://{authority}{path}"),
    }
}

/// `text` with every occurrence of each secret (and of each URL's unmasked form) replaced
/// by its masked form: for error texts that may quote a URL or a password.
pub fn text(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        if s.contains("://") {
            out = out.replace(s, &url(s));
        } else {
            out = out.replace(s, MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_tokens_and_hook_paths() {
        assert_eq!(
            url("smtp://bob:hunter2@mail.example:587?tls=required"),
            "smtp://bob:***@mail.example:587?tls=required"
        );
        assert_eq!(url("https://x.example/hook?token=abc&x=1"), "https://x.example/hook?token=***&x=1");
        assert_eq!(url("https://hooks.slack.com/services/T0/B0/XYZ"), "https://hooks.slack.com/services/***");
        assert_eq!(url("https://discord.com/api/webhooks/1/tok"), "https://discord.com/api/webhooks/***");
        assert_eq!(url("https://tok@ntfy.sh/topic"), "https://***@ntfy.sh/topic");
        assert_eq!(url("http://127.0.0.1:9/hook"), "http://127.0.0.1:9/hook");
        assert_eq!(url("alice@example.com"), "alice@example.com");
    }

    #[test]
    fn masks_secrets_inside_text() {
        let t = text(
            "error sending to https://x.example/h?token=abc: key s3cret refused",
            &["https://x.example/h?token=abc", "s3cret"],
        );
        assert_eq!(t, "error sending to https://x.example/h?token=***: key *** refused");
    }
}
