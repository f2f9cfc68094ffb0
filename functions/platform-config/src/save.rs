//! `PUT /platforms/{platform}`: the settings validated, changed secrets written as new versions, the record
//! stored with its new payload hash (the previous one kept when it changed), conditional on the version.

use crate::configure::device_trust_org;
use crate::input::SettingsInput;
use crate::plan::{plan_desktop, plan_mobile, Plan};
use crate::render::{payload_hash, CHALLENGE_USERNAME, SECRET_KEY};
use crate::views::PlatformView;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::{Error, ErrorBody};
use odt_shared::platform::Platform;
use odt_shared::secrets::SecretRef;
use odt_shared::store::{OrgRecord, PlatformRecord, PlatformSettings, Store, StoreError};
use odt_shared::ApiError;
use std::collections::BTreeMap;

/// `PUT /platforms/{platform}`: validate everything, write changed secrets as new versions, store the
/// settings and the new payload hash (keeping the previous hash when it changed), conditional on the version.
#[utoipa::path(put, path = "/platforms/{platform}", tag = "platforms", operation_id = "configurePlatform",
    description = "Role: admin. Body: MobileSettingsInput for ios/android, DesktopSettingsInput for macos/windows. \
A save that changes the payload (a reset secret key) keeps the previous payload hash until devices carry the new one.",
    params(("platform" = Platform, Path, description = "ios, android, macos or windows")),
    request_body(content = inline(SettingsInput), description = "Settings for the platform"),
    security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = PlatformView),
        (status = 400, description = "A setting is invalid (field names it)", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion), or device trust not configured", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn save(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let now = deps.clock.now();
    // Parse before any read, so bad input is refused the same way whatever is stored.
    let input = if p.is_mobile() { SettingsInput::Mobile(req.json()?) } else { SettingsInput::Desktop(req.json()?) };
    let org = device_trust_org(deps, tenant).await?;
    let existing = deps.store.get_platform(tenant, p).await?;
    let (plan, version) = match input {
        SettingsInput::Mobile(m) => plan_mobile(m)?,
        SettingsInput::Desktop(d) => plan_desktop(p, d, &org, existing.as_ref(), now)?,
    };
    let current = Store::expect_version(version, existing.as_ref().map(|e| e.version))?;
    require_secrets(p, &plan, existing.as_ref())?;
    let stamp = rfc3339(now);
    let (secrets, written) = write_secrets(deps, tenant, p, &plan, existing.as_ref(), &stamp).await?;
    let rec = record(tenant, p, plan.settings, secrets, existing.as_ref(), stamp, current + 1);
    let rec = with_payload_hash(tenant, rec, existing.as_ref(), &written, &org)?;
    if let Err(e) = deps.store.put_platform(&rec, existing.as_ref().map(|e| e.version)).await {
        if matches!(e, StoreError::VersionConflict { .. }) {
            // The winner's record names its own secret versions; put the current label back on them.
            if let Some(winner) = deps.store.get_platform(tenant, p).await? {
                for r in winner.secrets.values() {
                    let _ = deps.secrets.make_current(r).await;
                }
            }
        }
        return Err(e.into());
    }
    tracing::info!(tenant, platform = %p, payload_hash = %rec.payload_hash, "platform settings saved");
    Ok(json_response(StatusCode::OK, &PlatformView::from(&rec)))
}

/// Every secret the plan needs is stored or entered now. Errors: 400 naming the first one missing.
fn require_secrets(p: Platform, plan: &Plan, existing: Option<&PlatformRecord>) -> Result<(), ApiError> {
    for name in &plan.needs {
        let stored = existing.is_some_and(|e| e.secrets.contains_key(*name));
        if !stored && !plan.new_secrets.iter().any(|(n, _)| n == name) {
            let field = match (p.is_mobile(), *name) {
                (true, _) => "secretKey",
                (false, SECRET_KEY) => "challenge.secretKey",
                (false, CHALLENGE_USERNAME) => "challenge.username",
                _ => "challenge.password",
            };
            return Err(ApiError::invalid(field, format!("{field} is required the first time it is set")));
        }
    }
    Ok(())
}

/// The secrets the new record names: the stored ones the settings still need, and those entered now.
struct Secrets {
    refs: BTreeMap<String, SecretRef>,
    updated_at: BTreeMap<String, String>,
}

/// Keeps the stored secrets the plan still needs and writes the entered ones as new versions (stamped `stamp`);
/// returns them with the names written.
async fn write_secrets(
    deps: &Deps,
    tenant: &str,
    p: Platform,
    plan: &Plan,
    existing: Option<&PlatformRecord>,
    stamp: &str,
) -> Result<(Secrets, Vec<String>), Error> {
    let mut out = Secrets { refs: BTreeMap::new(), updated_at: BTreeMap::new() };
    let mut written = Vec::new();
    for name in &plan.needs {
        if let Some(e) = existing {
            if let (Some(r), Some(at)) = (e.secrets.get(*name), e.secrets_updated_at.get(*name)) {
                out.refs.insert(name.to_string(), r.clone());
                out.updated_at.insert(name.to_string(), at.clone());
            }
        }
    }
    for (name, value) in &plan.new_secrets {
        let secret_name = deps.secrets.name(tenant, &["platform", p.as_str(), name]);
        let r = deps.secrets.put(&secret_name, value).await?;
        written.push(name.to_string());
        out.refs.insert(name.to_string(), r);
        out.updated_at.insert(name.to_string(), stamp.to_string());
    }
    Ok((out, written))
}

/// The record to store at `version`, before its payload hash is known.
fn record(
    tenant: &str,
    p: Platform,
    settings: PlatformSettings,
    secrets: Secrets,
    existing: Option<&PlatformRecord>,
    stamp: String,
    version: u64,
) -> PlatformRecord {
    PlatformRecord {
        enabled: existing.is_some_and(|e| e.enabled),
        secrets: secrets.refs,
        secrets_updated_at: secrets.updated_at,
        previous_payload_hash: existing.and_then(|e| e.previous_payload_hash.clone()),
        previous_secrets: existing.map(|e| e.previous_secrets.clone()).unwrap_or_default(),
        reconfigured_at: existing.and_then(|e| e.reconfigured_at.clone()),
        removal_requested_at: existing.and_then(|e| e.removal_requested_at.clone()),
        created_at: existing.map(|e| e.created_at.clone()).unwrap_or_else(|| stamp.clone()),
        version,
        ..PlatformRecord::new(tenant, p, settings, &stamp)
    }
}

/// `rec` with its payload hash. A save that changes the payload keeps the previous hash and the secret versions
/// it replaced (`written`), so devices still carrying the old payload can be told apart. Errors: the payload
/// cannot be rendered (internal).
fn with_payload_hash(
    tenant: &str,
    mut rec: PlatformRecord,
    existing: Option<&PlatformRecord>,
    written: &[String],
    org: &OrgRecord,
) -> Result<PlatformRecord, Error> {
    rec.payload_hash = payload_hash(tenant, &rec, org)?;
    if let Some(e) = existing.filter(|e| e.payload_hash != rec.payload_hash) {
        // A re-configure: devices carrying the old payload must get the new one; until then status can tell them.
        rec.previous_payload_hash = Some(e.payload_hash.clone());
        rec.previous_secrets =
            e.secrets.iter().filter(|(k, _)| written.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        rec.reconfigured_at = Some(rec.updated_at.clone());
    }
    Ok(rec)
}
