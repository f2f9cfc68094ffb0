//! `PUT /platforms/{platform}`: the settings validated, changed secrets written as new versions, the record
//! stored with its new payload hash (the previous one kept when it changed), conditional on the version. A save
//! that writes secrets first claims the platform (the store's `claim_platform_save`: the record's version, no
//! other save in progress, the day's [`SECRET_SAVES_PER_DAY`]), so a save whose record write would lose writes no
//! secret, and the current label always ends on the versions the stored record names.

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
use odt_shared::store::{ClaimRefused, OrgRecord, PlatformRecord, PlatformSettings, Store, StoreError};
use odt_shared::ApiError;
use std::collections::BTreeMap;

/// `PUT /platforms/{platform}`: validate everything, write changed secrets as new versions, store the
/// settings and the new payload hash (keeping the previous hash when it changed), conditional on the version.
#[utoipa::path(put, path = "/platforms/{platform}", tag = "platforms", operation_id = "configurePlatform",
    description = "Role: admin. Body: MobileSettingsInput for ios/android, DesktopSettingsInput for macos/windows. \
A save that changes the payload (a reset secret key) keeps the previous payload hash until devices carry the new one. \
A save that enters secrets holds the platform while it writes them: a concurrent one answers 409 (version_conflict or \
save_in_progress) and writes nothing; a platform's secrets may be saved 24 times a UTC day (429 secret_saves_spent with retryAt).",
    params(("platform" = Platform, Path, description = "ios, android, macos or windows")),
    request_body(content = inline(SettingsInput), description = "Settings for the platform"),
    security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = PlatformView),
        (status = 400, description = "A setting is invalid, or the platform not sent as an id (field names it)", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (version_conflict, currentVersion), another save in progress (save_in_progress), or device trust not configured", body = ErrorBody),
        (status = 429, description = "The platform's secret saves of the UTC day are spent (secret_saves_spent: `budget`, `limit`, `retryAt`)", body = ErrorBody),
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
    let holder = claim(deps, tenant, p, &plan, existing.as_ref(), now).await?;
    let at = Saving { tenant, p, existing: existing.as_ref(), org: &org, current, now };
    let saved = write(deps, &at, plan, holder.as_deref()).await;
    if let Some(h) = &holder {
        if let Err(e) = deps.store.release_platform_save(tenant, p, h).await {
            tracing::warn!(tenant, platform = %p, error = %e, "a save's claim is left to expire");
        }
    }
    let rec = saved?;
    tracing::info!(tenant, platform = %p, payload_hash = %rec.payload_hash, "platform settings saved");
    Ok(json_response(StatusCode::OK, &PlatformView::from(&rec)))
}

/// How long a save that writes secrets holds its platform: longer than a function may run (29 s), so a claim
/// whose save died expires only once nothing can still act on it.
pub const SAVE_CLAIM: time::Duration = time::Duration::seconds(60);

/// The saves of one platform that may write secret versions in a UTC day: each writes at most one version of
/// each of the platform's secrets (three at most), so a secret gets at most this many versions a day, below
/// Secrets Manager's advice of one every 10 minutes (it removes versions past 100 once a day old).
pub const SECRET_SAVES_PER_DAY: u64 = 24;

/// Claims platform `p` for this save when it writes secrets (`None` when it writes none): the record must still be
/// at the version read, no other save may hold it, and the day's [`SECRET_SAVES_PER_DAY`] not be spent. Errors:
/// 409 `version_conflict` (changed meanwhile), 409 `save_in_progress`, 429 `secret_saves_spent` (`retryAt`); the
/// store failing.
async fn claim(
    deps: &Deps,
    tenant: &str,
    p: Platform,
    plan: &Plan,
    existing: Option<&PlatformRecord>,
    now: time::OffsetDateTime,
) -> Result<Option<String>, Error> {
    if plan.new_secrets.is_empty() {
        return Ok(None);
    }
    let holder = uuid::Uuid::new_v4().simple().to_string();
    let expected = existing.map(|e| e.version);
    let claimed =
        deps.store.claim_platform_save(tenant, p, expected, &holder, (now, now + SAVE_CLAIM), SECRET_SAVES_PER_DAY);
    match claimed.await? {
        Ok(()) => Ok(Some(holder)),
        Err(ClaimRefused::Changed) => {
            let current = deps.store.get_platform(tenant, p).await?.map(|r| r.version);
            Err(StoreError::VersionConflict { current }.into())
        }
        Err(ClaimRefused::Held) => Err(Error::Conflict {
            code: "save_in_progress",
            message: "another save of this platform is in progress; re-read it and try again".into(),
        }),
        Err(ClaimRefused::Spent { retry_at }) => Err(Error::BudgetSpent {
            code: "secret_saves_spent",
            budget: "perDay",
            limit: SECRET_SAVES_PER_DAY,
            retry_at,
            message: format!("a platform's secrets may be saved {SECRET_SAVES_PER_DAY} times a UTC day"),
        }),
    }
}

/// What a save writes over: the tenant's platform, the record it read (`existing`, at version `current`; 0: none),
/// the org device trust uses, and the time of the save.
struct Saving<'a> {
    tenant: &'a str,
    p: Platform,
    existing: Option<&'a PlatformRecord>,
    org: &'a OrgRecord,
    current: u64,
    now: time::OffsetDateTime,
}

/// Writes the entered secrets (as pending versions), then the record at `current + 1` (while `holder` holds the
/// claim, when the save made one), then moves each secret's current label to the version the record names.
async fn write(deps: &Deps, at: &Saving<'_>, plan: Plan, holder: Option<&str>) -> Result<PlatformRecord, Error> {
    let Saving { tenant, p, existing, org, current, now } = *at;
    let stamp = rfc3339(now);
    let (secrets, written) = write_secrets(deps, tenant, p, &plan, existing, &stamp).await?;
    let rec = record(tenant, p, plan.settings, secrets, existing, stamp, current + 1);
    let rec = with_payload_hash(tenant, rec, existing, &written, org)?;
    let expected = existing.map(|e| e.version);
    match holder {
        Some(h) => deps.store.put_platform_claimed(&rec, expected, h).await?,
        None => deps.store.put_platform(&rec, expected).await?,
    }
    if holder.is_some() {
        // Still holding the claim, so no other save moves a label meanwhile; every secret the record names is made
        // current, which also mends one a save that died before this step left behind.
        for r in rec.secrets.values() {
            deps.secrets.make_current(r).await?;
        }
    }
    Ok(rec)
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

/// Keeps the stored secrets the plan still needs and writes the entered ones as new pending versions (stamped
/// `stamp`; [`odt_shared::secrets::Secrets::put_pending`]: not current until the record names them); returns them
/// with the names written.
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
        let r = deps.secrets.put_pending(&secret_name, value).await?;
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
