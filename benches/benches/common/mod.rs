//! What every criterion bench here shares.

use criterion::Criterion;

/// Criterion without plots: it draws them with plotters, which needs a system font and
/// panics on a machine without one (a fresh CI image); the figures are in the text output
/// and in target/criterion/*/new/estimates.json.
pub fn criterion() -> Criterion {
    Criterion::default().without_plots()
}
