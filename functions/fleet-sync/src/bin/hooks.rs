//! Lambda entry point of the event hook's stream consumer: wires tracing and clients once, then hands each batch
//! of inbox records to [`fleet_sync::inbox::handle_stream`], which answers with the partial batch failures.

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    odt_shared::telemetry::init();
    let deps = Arc::new(fleet_sync::Deps::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let deps = deps.clone();
        async move { Ok::<_, Error>(fleet_sync::inbox::handle_stream(&deps, event.payload).await) }
    }))
    .await
}
