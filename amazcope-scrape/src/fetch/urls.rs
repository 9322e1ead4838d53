//! The URLs of product, best-seller and review pages per marketplace, with base-URL
//! overrides for tests and the demo storefront.

use crate::fetch::{BuildError, FetchError};
use amazcope_core::{Asin, Marketplace};
use reqwest::Url;
use std::collections::HashMap;

/// The order of reviews on a review page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewSort {
    /// Amazon's default ("Top reviews").
    #[default]
    Helpful,
    /// Newest first (`sortBy=recent`), what change tracking wants.
    Recent,
}

#[derive(Debug, Clone)]
pub(crate) struct Urls {
    overrides: HashMap<Marketplace, Url>,
}

impl Urls {
    pub(crate) fn new(overrides: &HashMap<Marketplace, String>) -> Result<Self, BuildError> {
        let mut parsed = HashMap::new();
        for (m, raw) in overrides {
            let bad = |reason: String| BuildError::BaseUrl { marketplace: *m, url: raw.clone(), reason };
            let mut url = Url::parse(raw).map_err(|e| bad(e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(bad(format!("scheme {} is not http or https", url.scheme())));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(bad("a base url takes no query or fragment".into()));
            }
            // `join` replaces the last path segment unless the path ends in '/'.
            if !url.path().ends_with('/') {
                let p = format!("{}/", url.path());
                url.set_path(&p);
            }
            parsed.insert(*m, url);
        }
        Ok(Self { overrides: parsed })
    }

    /// `https://www.amazon.<suffix>/`, or the override.
    pub(crate) fn base(&self, m: Marketplace) -> Url {
        if let Some(u) = self.overrides.get(&m) {
            return u.clone();
        }
        // A known host always parses; the fallback only keeps this free of panics.
        Url::parse(&format!("https://{}/", m.host()))
            .unwrap_or_else(|_| Url::parse("https://www.amazon.com/").expect("static url parses"))
    }

    fn join(&self, m: Marketplace, path: &str) -> Result<Url, FetchError> {
        let base = self.base(m);
        base.join(path)
            .map_err(|e| FetchError::InvalidUrl { url: format!("{base}{path}"), reason: e.to_string() })
    }

    /// `/dp/ASIN`: the shortest stable product URL.
    pub(crate) fn product(&self, m: Marketplace, asin: &Asin) -> Result<Url, FetchError> {
        self.join(m, &format!("dp/{asin}"))
    }

    /// `/gp/bestsellers/` (all departments) or `/gp/bestsellers/<slug>[/<node>]`, with
    /// `pg=N` for pages after the first.
    pub(crate) fn bestsellers(
        &self,
        m: Marketplace,
        category: Option<&str>,
        page: u32,
    ) -> Result<Url, FetchError> {
        let mut path = String::from("gp/bestsellers/");
        if let Some(cat) = category {
            let cat = cat.trim().trim_matches('/');
            let ok_segment = |s: &str| {
                !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            };
            if !cat.split('/').all(ok_segment) {
                return Err(FetchError::InvalidUrl {
                    url: category.unwrap_or_default().to_string(),
                    reason:
                        "a best-seller category is a slug or slug/node-id of letters, digits, '-' and '_'"
                            .into(),
                });
            }
            path.push_str(cat);
        }
        let mut url = self.join(m, &path)?;
        if page > 1 {
            url.query_pairs_mut().append_pair("pg", &page.to_string());
        }
        Ok(url)
    }

    /// `/product-reviews/ASIN/` with `pageNumber` and `sortBy`.
    pub(crate) fn reviews(
        &self,
        m: Marketplace,
        asin: &Asin,
        page: u32,
        sort: ReviewSort,
    ) -> Result<Url, FetchError> {
        let mut url = self.join(m, &format!("product-reviews/{asin}/"))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("pageNumber", &page.max(1).to_string());
            if sort == ReviewSort::Recent {
                q.append_pair("sortBy", "recent");
            }
        }
        Ok(url)
    }

    /// The marketplace a URL belongs to: an override whose origin and path prefix match
    /// (the longest prefix wins), else the `amazon.<suffix>` host.
    pub(crate) fn marketplace_of(&self, url: &Url) -> Option<Marketplace> {
        let mut best: Option<(usize, Marketplace)> = None;
        for (m, base) in &self.overrides {
            let same_origin = base.scheme() == url.scheme()
                && base.host_str() == url.host_str()
                && base.port_or_known_default() == url.port_or_known_default();
            let prefix = base.path();
            let path_matches = url.path().starts_with(prefix) || format!("{}/", url.path()) == prefix;
            let better = best.is_none_or(|(len, bm)| prefix.len() > len || (prefix.len() == len && *m < bm));
            if same_origin && path_matches && better {
                best = Some((prefix.len(), *m));
            }
        }
        best.map(|(_, m)| m).or_else(|| url.host_str().and_then(Marketplace::from_host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asin(s: &str) -> Asin {
        s.parse().unwrap()
    }

    #[test]
    fn product_url_uses_the_marketplace_host() {
        let u = Urls::new(&HashMap::new()).unwrap();
        let url = u.product(Marketplace::CoUk, &asin("B00004YS4O")).unwrap();
        assert_eq!(url.as_str(), "https://www.amazon.co.uk/dp/B00004YS4O");
    }

    #[test]
    fn override_with_a_path_prefix_keeps_the_prefix() {
        let o = HashMap::from([(Marketplace::De, "http://127.0.0.1:8080/de".to_string())]);
        let u = Urls::new(&o).unwrap();
        assert_eq!(
            u.product(Marketplace::De, &asin("B00004YS4O")).unwrap().as_str(),
            "http://127.0.0.1:8080/de/dp/B00004YS4O"
        );
        assert_eq!(
            u.product(Marketplace::Fr, &asin("B00004YS4O")).unwrap().as_str(),
            "https://www.amazon.fr/dp/B00004YS4O"
        );
    }

    #[test]
    fn bestseller_urls_take_slug_node_and_page() {
        let u = Urls::new(&HashMap::new()).unwrap();
        assert_eq!(
            u.bestsellers(Marketplace::Com, None, 1).unwrap().as_str(),
            "https://www.amazon.com/gp/bestsellers/"
        );
        assert_eq!(
            u.bestsellers(Marketplace::De, Some("electronics/3468301"), 2).unwrap().as_str(),
            "https://www.amazon.de/gp/bestsellers/electronics/3468301?pg=2"
        );
    }

    #[test]
    fn bestseller_category_cannot_escape_the_path() {
        let u = Urls::new(&HashMap::new()).unwrap();
        for bad in ["../admin", "a b", "x?y=1", "", "a//b"] {
            let e = u.bestsellers(Marketplace::Com, Some(bad), 1).unwrap_err();
            assert!(matches!(e, FetchError::InvalidUrl { .. }), "{bad}: {e:?}");
        }
    }

    #[test]
    fn review_urls_carry_page_and_sort() {
        let u = Urls::new(&HashMap::new()).unwrap();
        assert_eq!(
            u.reviews(Marketplace::It, &asin("B07747FR44"), 3, ReviewSort::Recent).unwrap().as_str(),
            "https://www.amazon.it/product-reviews/B07747FR44/?pageNumber=3&sortBy=recent"
        );
        assert_eq!(
            u.reviews(Marketplace::Com, &asin("B07747FR44"), 0, ReviewSort::Helpful).unwrap().as_str(),
            "https://www.amazon.com/product-reviews/B07747FR44/?pageNumber=1"
        );
    }

    #[test]
    fn bad_overrides_are_rejected_with_the_marketplace() {
        for bad in ["not a url", "ftp://x/", "http://x/?q=1"] {
            let o = HashMap::from([(Marketplace::Es, bad.to_string())]);
            let e = Urls::new(&o).unwrap_err();
            assert!(matches!(e, BuildError::BaseUrl { marketplace: Marketplace::Es, .. }), "{bad}: {e:?}");
        }
    }

    #[test]
    fn marketplace_is_found_from_overrides_then_hosts() {
        let o = HashMap::from([
            (Marketplace::De, "http://127.0.0.1:9000/de/".to_string()),
            (Marketplace::Fr, "http://127.0.0.1:9000/fr/".to_string()),
            (Marketplace::Com, "http://127.0.0.1:9001/".to_string()),
        ]);
        let u = Urls::new(&o).unwrap();
        let of = |s: &str| u.marketplace_of(&Url::parse(s).unwrap());
        assert_eq!(of("http://127.0.0.1:9000/fr/dp/X"), Some(Marketplace::Fr));
        assert_eq!(of("http://127.0.0.1:9000/de/dp/X"), Some(Marketplace::De));
        assert_eq!(of("http://127.0.0.1:9001/dp/X"), Some(Marketplace::Com));
        assert_eq!(of("http://127.0.0.1:9002/dp/X"), None);
        assert_eq!(of("https://www.amazon.com.au/dp/X"), Some(Marketplace::ComAu));
    }
}
