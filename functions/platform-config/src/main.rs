//! Lambda entry point of the platform-config function: wires tracing and clients once, then serves requests.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    odt_shared::telemetry::init();
    let deps = Arc::new(platform_config::Deps::from_env().await?);
    lambda_http::run(lambda_http::service_fn(move |req| {
        let deps = deps.clone();
        async move { Ok::<_, std::convert::Infallible>(platform_config::handle(&deps, req).await) }
    }))
    .await
}
