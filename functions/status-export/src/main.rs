//! Lambda entry point of the status-export function: wires tracing and clients (DynamoDB, Secrets Manager, S3,
//! SES) once, then serves.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    odt_shared::telemetry::init();
    let deps = Arc::new(status_export::Deps::from_env().await?);
    let sdk = odt_shared::aws::load_config().await;
    let x = Arc::new(status_export::ExportDeps::from_env(&sdk)?);
    lambda_http::run(lambda_http::service_fn(move |req| {
        let (deps, x) = (deps.clone(), x.clone());
        async move { Ok::<_, std::convert::Infallible>(status_export::handle(&deps, &x, req).await) }
    }))
    .await
}
