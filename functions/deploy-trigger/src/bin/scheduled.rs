//! Lambda entry point of the retry schedule (EventBridge): runs every tenant's due retries and unfinished
//! removals.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    odt_shared::telemetry::init();
    let deps = Arc::new(deploy_trigger::Deps::from_env().await?);
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<serde_json::Value>| {
        let deps = deps.clone();
        async move {
            let run = deploy_trigger::stream::retry_all(&deps).await.map_err(|e| Error::from(e.to_string()))?;
            tracing::info!(
                tenants = run.tenants,
                failed = run.failed,
                uem_calls = run.uem_calls,
                "scheduled deployment"
            );
            Ok::<_, Error>(serde_json::to_value(run)?)
        }
    }))
    .await
}
