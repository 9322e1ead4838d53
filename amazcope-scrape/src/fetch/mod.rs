//! Fetching pages: client, throttle, retry.
