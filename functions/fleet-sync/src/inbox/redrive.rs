//! `POST /event-hook/redrive`: applies again what the hook's stream consumer gave up on.
//!
//! After its bounded retries Lambda sends the description of a failed batch to the consumer's on-failure queue
//! (`HookStreamFailures` in template.yaml), not its records: the shard and the first and last sequence numbers
//! (AWS Lambda developer guide, "Using Lambda with DynamoDB: Configuring destinations for failed invocations",
//! https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html). The records themselves stay in
//! the table: each inbox record lives for its TTL (7 days), and each event of it that was applied has its marker.
//! So a redrive needs neither the stream (24 h) nor the description: it reads the tenant's inbox records and
//! applies each through the consumer's own path, in which an event whose marker is there counts as a duplicate
//! and changes nothing. What was applied stays applied; what failed is applied now.
//!
//! Why a route and not a script: it is tenant-scoped (the caller's tenant, an admin), it runs with the API
//! function's existing role (table read and write, no stream or queue permission), and it is the same code as
//! the consumer's. The alarm on the queue says that something was given up; the tenant's admin (or the operator,
//! tenant by tenant) then calls this route.

use super::{apply_events, Applied, Context, RECORDS_AT_ONCE};
use crate::hooks::events::Event;
use futures::stream::{self, StreamExt};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::{Forbidden, Unauthorized};
use odt_shared::error::Error;
use odt_shared::store::InboxRecord;
use odt_shared::ApiError;
use serde::Serialize;
use utoipa::ToSchema;

/// What a redrive did.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redriven {
    /// Inbox records read (every one the tenant still keeps).
    pub records: usize,
    /// Events applied now (they had no marker, and changed a fact and re-decided the devices of the fleet their
    /// user owns, or kept Okta device evidence).
    pub applied: usize,
    /// Events already applied (their marker was there).
    pub duplicates: usize,
    /// Events about groups outside the fleet or users who own no device of it (a user Okta does not have, a new
    /// user), older than what is known, or without the targets they need.
    pub ignored: usize,
    /// Sort keys of the inbox records that failed again (a later redrive applies them).
    pub failed: Vec<String>,
}

/// Applies every inbox record `tenant` still keeps ([`RECORDS_AT_ONCE`] at once, as the consumer does); an
/// event already applied is a duplicate. A record that fails is named in [`Redriven::failed`] and the others go on.
///
/// # Errors
/// The store failing to list the inbox or to read the tenant's context.
pub async fn redrive(deps: &Deps, tenant: &str) -> Result<Redriven, Error> {
    let records: Vec<InboxRecord<Event>> = deps.store.list_inbox(tenant).await?;
    let ctx = Context::load(deps, tenant).await?;
    let mut out = Redriven { records: records.len(), ..Redriven::default() };
    let ctx = &ctx;
    // as the consumer does: RECORDS_AT_ONCE records of the tenant at once (their order does not matter)
    let outcomes: Vec<(String, Result<Applied, Error>)> = stream::iter(records)
        .map(|rec| async move { (rec.sk, apply_events(deps, tenant, ctx, &rec.events).await) })
        .buffer_unordered(RECORDS_AT_ONCE)
        .collect()
        .await;
    for (sk, outcome) in outcomes {
        match outcome {
            Ok(Applied { applied, duplicates, ignored }) => {
                out.applied += applied;
                out.duplicates += duplicates;
                out.ignored += ignored;
            }
            Err(e) => {
                tracing::warn!(tenant, record = sk.as_str(), error = %e, "redrive: inbox record not applied");
                out.failed.push(sk);
            }
        }
    }
    out.failed.sort();
    tracing::info!(
        tenant,
        records = out.records,
        applied = out.applied,
        duplicates = out.duplicates,
        failed = out.failed.len(),
        "event hook inbox redriven"
    );
    Ok(out)
}

/// `POST /event-hook/redrive`.
#[utoipa::path(post, path = "/event-hook/redrive", tag = "event-hook", operation_id = "redriveEventHookInbox",
    description = "Role: admin. Applies every event hook delivery the tenant's inbox still keeps (7 days) whose \
        events were not applied, e.g. after the stream consumer gave a batch up to its on-failure queue; events \
        already applied change nothing.",
    security(("bearer" = [])),
    responses((status = 200, description = "What was applied", body = Redriven), Unauthorized, Forbidden))]
pub async fn redrive_route(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let out = redrive(deps, req.caller.tenant.as_str()).await?;
    Ok(json_response(StatusCode::OK, &out))
}
