//! Lambda entry point of the deploy-trigger function (admin routes): wires tracing and clients once, then serves.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    odt_shared::telemetry::init();
    let deps = Arc::new(deploy_trigger::Deps::from_env().await?);
    lambda_http::run(lambda_http::service_fn(move |req| {
        let deps = deps.clone();
        async move { Ok::<_, std::convert::Infallible>(deploy_trigger::handle(&deps, req).await) }
    }))
    .await
}
