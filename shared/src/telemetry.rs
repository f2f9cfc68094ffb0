//! Tracing set-up for a function's `main`: JSON lines to stdout (CloudWatch), level from `RUST_LOG`.

/// Installs the global subscriber once. Secrets never reach it: they are held in `secrecy` types whose
/// `Debug` is redacted, and handlers log ids and outcomes only.
pub fn init() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .try_init();
}
