//! The crate-global tokio runtime and the one way binding calls wait on it: with the GIL
//! released, and with Ctrl-C still working.

use crate::errors::{Error, Result};
use pyo3::prelude::*;
use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;
use tokio::runtime::Runtime;

/// One runtime for the whole process: notebooks call in from any thread, and a runtime per
/// client would multiply worker threads on a 2-core machine.
static RUNTIME: LazyLock<std::io::Result<Runtime>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("amazcope-worker")
        .enable_all()
        .build()
});

/// How often a waiting call looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

fn runtime() -> Result<&'static Runtime> {
    RUNTIME.as_ref().map_err(|e| Error::Runtime(format!("cannot start the async runtime: {e}")))
}

/// Runs `fut` to completion on the global runtime with the GIL released. Every 100 ms the
/// waiting thread re-attaches just long enough to run Python's signal handlers, so a
/// `KeyboardInterrupt` ends the call (the future is dropped, which cancels the query).
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    py.detach(|| {
        let rt = runtime()?;
        rt.block_on(async move {
            tokio::select! {
                out = fut => out,
                err = watch_signals() => Err(err),
            }
        })
    })
}

/// Runs blocking, CPU-bound `f` with the GIL released (parsing).
pub fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> T {
    py.detach(f)
}

async fn watch_signals() -> Error {
    loop {
        tokio::time::sleep(SIGNAL_POLL).await;
        // `block_on` polls this future on the caller's thread, which is the main thread in a
        // notebook or script: the only thread where Python delivers signals.
        if let Err(e) = Python::attach(|py| py.check_signals()) {
            return Error::Py(e);
        }
    }
}
