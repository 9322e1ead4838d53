//! The HTTP side: hyper's HTTP/1 server on a loopback listener, and the routing of Amazon's
//! URL shapes to the templates.

use super::catalogue::PageState;
use super::{Faults, Shared, pages};
use amazcope_core::{Asin, Marketplace};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub(crate) async fn serve(shared: Arc<Shared>) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let shared = shared.clone();
            connections.spawn(async move {
                let service = service_fn(move |req| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(respond(&shared, req).await) }
                });
                // A client that hangs up mid-request is not our problem.
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
            while connections.try_join_next().is_some() {}
        }
    });
    Ok((addr, task))
}

struct Page {
    status: StatusCode,
    body: String,
}

async fn respond(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let day = shared.day.load(Ordering::SeqCst);
    let host_marketplace =
        req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).and_then(Marketplace::from_host);
    let page = route(shared, req.uri().path(), host_marketplace, day).await;
    Response::builder()
        .status(page.status)
        .header(header::CONTENT_TYPE, "text/html;charset=UTF-8")
        .header("x-amz-rid", format!("STOREFRONT{day:04}"))
        .body(Full::new(Bytes::from(page.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// The ASIN after `marker` in `segments` (`["dp", "B0..."]`).
fn asin_after(segments: &[&str], marker: &[&str]) -> Option<Asin> {
    let n = marker.len();
    segments.windows(n + 1).find(|w| w[..n] == *marker).and_then(|w| w[n].parse().ok())
}

async fn route(shared: &Shared, path: &str, host_marketplace: Option<Marketplace>, day: u32) -> Page {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // `/de/gp/bestsellers/kitchen`: a leading marketplace code picks the storefront.
    let mut marketplace = host_marketplace.unwrap_or(Marketplace::Com);
    if let Some(first) = segments.first()
        && first.len() <= 6
        && let Ok(m) = first.parse::<Marketplace>()
    {
        marketplace = m;
        segments.remove(0);
    }
    let catalogue = &shared.catalogue;
    let not_found = |m| Page { status: StatusCode::NOT_FOUND, body: pages::not_found_page(m) };

    if let Some(asin) = asin_after(&segments, &["dp"]).or_else(|| asin_after(&segments, &["gp", "product"])) {
        let Some(product) = catalogue.product(&asin) else { return not_found(marketplace) };
        shared.count_product_request(asin, product.marketplace);
        if shared.faults.first_request_503 && Faults::is_flaky(product.index) {
            let first =
                shared.failed_once.lock().map(|mut s| s.insert((product.index, day))).unwrap_or(false);
            if first {
                return Page { status: StatusCode::SERVICE_UNAVAILABLE, body: pages::unavailable_page() };
            }
        }
        if let Some(delay) = shared.faults.slow_response
            && Faults::is_slow(product.index)
        {
            tokio::time::sleep(delay).await;
        }
        let state = product.state_on(day);
        return match state.page {
            PageState::Product => {
                Page { status: StatusCode::OK, body: pages::product_page(catalogue, product, &state) }
            }
            PageState::Captcha => Page {
                status: StatusCode::OK,
                body: pages::captcha_page(product.marketplace, day, product.index),
            },
            PageState::NotFound => not_found(product.marketplace),
        };
    }
    if let Some(asin) = asin_after(&segments, &["product-reviews"]) {
        return match catalogue.product(&asin) {
            Some(p) if p.state_on(day).page != PageState::NotFound => {
                Page { status: StatusCode::OK, body: pages::reviews_page(p, day) }
            }
            Some(p) => not_found(p.marketplace),
            None => not_found(marketplace),
        };
    }
    let slug = segments
        .windows(3)
        .find(|w| w[0] == "gp" && w[1] == "bestsellers")
        .map(|w| w[2])
        .or_else(|| segments.windows(2).find(|w| w[0] == "zgbs").map(|w| w[1]));
    if let Some(slug) = slug
        && let Some(body) = pages::bestsellers_page(catalogue, marketplace, slug, day)
    {
        return Page { status: StatusCode::OK, body };
    }
    not_found(marketplace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asin_is_found_after_its_marker() {
        let a: Asin = "B07FNW9FGJ".parse().unwrap();
        assert_eq!(asin_after(&["Funny-Data", "dp", "B07FNW9FGJ"], &["dp"]), Some(a));
        assert_eq!(asin_after(&["gp", "product", "B07FNW9FGJ", "ref=x"], &["gp", "product"]), Some(a));
        assert_eq!(asin_after(&["dp", "short"], &["dp"]), None);
    }
}
