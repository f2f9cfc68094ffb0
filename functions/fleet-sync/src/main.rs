//! Lambda entry point of the fleet-sync function (admin routes): wires tracing and clients once, then serves.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    odt_shared::telemetry::init();
    let deps = Arc::new(fleet_sync::Deps::from_env().await?);
    lambda_http::run(lambda_http::service_fn(move |req| {
        let deps = deps.clone();
        async move { Ok::<_, std::convert::Infallible>(fleet_sync::handle(&deps, req).await) }
    }))
    .await
}
