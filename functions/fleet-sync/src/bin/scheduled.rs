//! Lambda entry point of the scheduled reconciliation (EventBridge): reconciles every tenant within the
//! invocation's deadline; a run that cannot finish leaves checkpoints that the next one resumes.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

#[tokio::main]
async fn main() -> Result<(), Error> {
    odt_shared::telemetry::init();
    let deps = Arc::new(fleet_sync::Deps::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let deps = deps.clone();
        async move {
            let left = event.context.deadline().duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
            let run = fleet_sync::sync::reconcile_all(&deps, Some(Instant::now() + left))
                .await
                .map_err(|e| Error::from(e.to_string()))?;
            tracing::info!(
                tenants = run.tenants,
                complete = run.complete,
                checkpointed = run.checkpointed,
                failed = run.failed,
                "scheduled reconciliation"
            );
            Ok::<_, Error>(serde_json::to_value(run)?)
        }
    }))
    .await
}
