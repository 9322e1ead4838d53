//! The TLS crypto provider for reqwest's rustls.
//!
//! reqwest 0.13's `rustls` feature builds aws-lc-rs (a C library: about a minute of CPU per
//! from-scratch build); `rustls-no-provider` leaves the choice to us, and reqwest then takes
//! the process's default rustls provider when a client is built, panicking if there is none.
//! We use ring's. Certificates are still checked by rustls-platform-verifier against the
//! system's roots, as with reqwest's default setup.

use rustls::crypto::CryptoProvider;

/// Makes rustls' ring provider the process default unless a default is set already (by the
/// application, or an earlier call). [`Fetcher::new`](crate::fetch::Fetcher::new) calls it;
/// call it before building a `reqwest::Client` of your own.
pub fn install_tls_provider() {
    if CryptoProvider::get_default().is_none() {
        // Err only when another thread installed one in between: theirs is kept, as wanted.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_after_installing_the_provider() {
        install_tls_provider();
        assert!(CryptoProvider::get_default().is_some());
        reqwest::Client::builder().build().expect("a client with rustls over ring");
    }
}
