//! The DynamoDB stream consumer: the records `template.yaml`'s filter lets through (device records in scope now
//! or before, and the platform, Okta Verify method and device trust records), grouped by tenant, become one run
//! per tenant. A tenant whose run fails reports its records as batch item failures, so Lambda retries those and
//! never blocks the other tenants' (ServerlessDevelopers/serverless-rust: partial batch responses).

use crate::run::{run_tenant, RunScope};
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use odt_shared::deps::Deps;
use std::collections::{BTreeMap, BTreeSet};

/// What one stream record asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A device record of `tenant` changed (its desired state may have).
    Device { tenant: String, device_id: String },
    /// A record that changes what every device of the tenant carries (platform, Okta Verify method, device
    /// trust).
    Tenant { tenant: String },
    /// Nothing for deploy-trigger (another record kind, or keys it cannot read).
    Ignored,
}

/// What record `r` asks for, from its keys (`pk = T#<tenant>`, `sk`); an evidence record (`EVIDENCE#`) only when
/// its new image says Okta deleted the device's Okta device record (case C27: its attestation is delivered again).
pub fn classify(r: &EventRecord) -> Change {
    let Some((tenant, sk)) = odt_shared::stream::tenant_and_sk(r) else { return Change::Ignored };
    if let Some(id) = sk.strip_prefix("DEVICE#") {
        return Change::Device { tenant, device_id: id.to_string() };
    }
    if let Some(id) = sk.strip_prefix("EVIDENCE#") {
        let lost = serde_dynamo::from_item::<_, odt_shared::store::EvidenceRecord>(r.change.new_image.clone())
            .is_ok_and(|e| e.okta_record_lost.is_some());
        return if lost { Change::Device { tenant, device_id: id.to_string() } } else { Change::Ignored };
    }
    if sk.starts_with("PLATFORM#") || sk.starts_with("OKTAVERIFY#") || sk == "DEVICETRUST" {
        return Change::Tenant { tenant };
    }
    Change::Ignored
}

/// Handles one stream batch; every tenant's records are run together and a failed tenant's records are
/// reported by sequence number.
pub async fn handle_stream(deps: &Deps, event: Event) -> DynamoDbEventResponse {
    let mut by_tenant: BTreeMap<String, (Option<BTreeSet<String>>, Vec<String>)> = BTreeMap::new();
    for r in &event.records {
        let seq = r.change.sequence_number.clone().unwrap_or_default();
        let (tenant, device) = match classify(r) {
            Change::Device { tenant, device_id } => (tenant, Some(device_id)),
            Change::Tenant { tenant } => (tenant, None),
            Change::Ignored => continue,
        };
        let entry = by_tenant.entry(tenant).or_insert_with(|| (Some(BTreeSet::new()), Vec::new()));
        match device {
            Some(id) => {
                if let Some(ids) = entry.0.as_mut() {
                    ids.insert(id);
                }
            }
            None => entry.0 = None,
        }
        entry.1.push(seq);
    }
    let mut failures = Vec::new();
    for (tenant, (devices, seqs)) in by_tenant {
        let scope = match devices {
            Some(ids) => RunScope::devices(ids),
            None => RunScope::all(),
        };
        match run_tenant(deps, &tenant, &scope).await {
            Ok(report) => tracing::info!(
                tenant = tenant.as_str(),
                devices = report.devices,
                uem_calls = report.uem_calls,
                records_written = report.records_written,
                removal_complete = report.removal_complete,
                blocked = report.blocked.as_deref().unwrap_or(""),
                "deployment run (stream)"
            ),
            Err(e) => {
                tracing::warn!(tenant = tenant.as_str(), error = %e, "deployment run failed; its records are retried");
                failures.extend(seqs);
            }
        }
    }
    odt_shared::stream::batch_failures(failures)
}

/// Every tenant with device trust (active or being removed), run with the schedule's rules: due retries, and
/// removals carried on until complete. A failing tenant is logged and skipped. Errors: the store failing to list
/// the tenants.
pub async fn retry_all(deps: &Deps) -> Result<ScheduledRun, odt_shared::error::Error> {
    let mut out = ScheduledRun::default();
    for dt in deps.store.list_device_trusts().await? {
        let tenant = dt.gsi1sk.clone();
        if tenant.is_empty() {
            continue;
        }
        out.tenants += 1;
        match run_tenant(deps, &tenant, &RunScope::scheduled()).await {
            Ok(r) => {
                out.uem_calls += r.uem_calls;
                out.removals_completed += usize::from(r.removal_complete);
            }
            Err(e) => {
                out.failed += 1;
                tracing::warn!(tenant = tenant.as_str(), error = %e, "scheduled deployment run failed");
            }
        }
    }
    Ok(out)
}

/// What a scheduled run did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ScheduledRun {
    pub tenants: usize,
    pub failed: usize,
    pub uem_calls: u64,
    pub removals_completed: usize,
}
