//! Saving, reading, switching and previewing a platform's management attestation.

use crate::input::{ChallengeInput, DesktopSettingsInput, EnabledInput, MobileSettingsInput};
use crate::render::{payload_hash, preview as render_preview, CHALLENGE_PASSWORD, SECRET_KEY};
use crate::views::{missing, PayloadPreview, PlatformList, PlatformView};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::https_url;
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::attestation::{cert::parse_ca_certificate, challenge::check_scep_challenge, subject::parse_subject};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::{ErrorBody, GatewayMessage};
use odt_shared::platform::Platform;
use odt_shared::secrets::SecretRef;
use odt_shared::store::{ChallengeKind, DeviceTrustState, OrgRecord, PlatformRecord, PlatformSettings, StoreError};
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;

use odt_shared::error::{secrets_failure, store_failure};

/// The org device trust uses; 409 when device trust is not configured (or being removed).
async fn device_trust_org(deps: &Deps, tenant: &str) -> Result<OrgRecord, ApiError> {
    let dt = deps.store.get_device_trust(tenant).await.map_err(store_failure)?;
    let not_ready = || {
        ApiError::conflict(
            "device_trust_not_configured",
            "connect an Okta org and choose it for device trust (PUT /device-trust) first",
        )
    };
    let dt = dt.filter(|d| d.state == DeviceTrustState::Active).ok_or_else(not_ready)?;
    deps.store.get_org(tenant, &dt.okta_org_id).await.map_err(store_failure)?.ok_or_else(not_ready)
}

fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
        return Err(ApiError::invalid(field, format!("{field} must be 1 to {max} printable characters")));
    }
    Ok(v.to_string())
}

fn secret_text(field: &str, value: &SecretString, max: usize) -> Result<(), ApiError> {
    let v = value.expose_secret();
    if v.is_empty() || v.len() > max || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid(field, format!("{field} must be 1 to {max} characters without spaces")));
    }
    Ok(())
}

/// What a save will change: the settings, and the secrets to write (name → value).
struct Plan {
    settings: PlatformSettings,
    new_secrets: Vec<(&'static str, SecretString)>,
    /// Secret names the new settings need (stored or new).
    needs: Vec<&'static str>,
}

fn plan_mobile(input: MobileSettingsInput) -> Result<(Plan, Option<u64>), ApiError> {
    let mut new_secrets = Vec::new();
    if let Some(k) = input.secret_key {
        secret_text("secretKey", &k, 256)?;
        new_secrets.push((SECRET_KEY, k));
    }
    let enrollment_link = input.enrollment_link.map(|l| https_url("enrollmentLink", &l, None)).transpose()?;
    Ok((
        Plan { settings: PlatformSettings::Mobile { enrollment_link }, new_secrets, needs: vec![SECRET_KEY] },
        input.version,
    ))
}

fn plan_desktop(
    p: Platform,
    input: DesktopSettingsInput,
    org: &OrgRecord,
    existing: Option<&PlatformRecord>,
    now: time::OffsetDateTime,
) -> Result<(Plan, Option<u64>), ApiError> {
    let scep_url = https_url("scepUrl", &input.scep_url, Some(&org.domain))?;
    let mut new_secrets = Vec::new();
    let (challenge, challenge_url, challenge_username, needs) = match input.challenge {
        ChallengeInput::Static { secret_key } => {
            if let Some(k) = secret_key {
                check_scep_challenge(k.expose_secret())
                    .map_err(|why| ApiError::invalid("challenge.secretKey", format!("the SCEP challenge {why}")))?;
                new_secrets.push((SECRET_KEY, k));
            }
            (ChallengeKind::Static, None, None, vec![SECRET_KEY])
        }
        ChallengeInput::Dynamic { challenge_url, username, password } => {
            // The UEM calls it with the password: a public host name on the standard port, never an address.
            let url = odt_shared::api::public_https_url("challenge.challengeUrl", &challenge_url)?;
            let previous_url = match existing.map(|e| &e.settings) {
                Some(PlatformSettings::Desktop { challenge_url: Some(u), .. }) => Some(u.as_str()),
                _ => None,
            };
            if password.is_none() && previous_url.is_some_and(|u| u != url) {
                return Err(ApiError::invalid(
                    "challenge.password",
                    "challenge.password is required when the challenge URL changes",
                ));
            }
            let user = text("challenge.username", &username, 256)?;
            if let Some(pw) = password {
                secret_text("challenge.password", &pw, 512)?;
                new_secrets.push((CHALLENGE_PASSWORD, pw));
            }
            (ChallengeKind::Dynamic, Some(url), Some(user), vec![CHALLENGE_PASSWORD])
        }
    };
    let ca = match input.ca_certificate {
        Some(pem) => Some(Box::new(
            parse_ca_certificate(&pem, now)
                .map_err(|e| ApiError::invalid("caCertificate", format!("the CA certificate {e}")))?,
        )),
        None => match existing.map(|e| &e.settings) {
            Some(PlatformSettings::Desktop { ca, .. }) => ca.clone(),
            _ => None,
        },
    };
    if p == Platform::Windows && ca.is_none() {
        return Err(ApiError::invalid(
            "caCertificate",
            "Windows needs Okta's CA certificate (its thumbprint goes into the profile)",
        ));
    }
    if input.subject.len() > 1024 {
        return Err(ApiError::invalid("subject", "subject is longer than 1024 characters"));
    }
    parse_subject(&input.subject)
        .map_err(|why| ApiError::invalid("subject", format!("the Subject is not valid: {why}")))?;
    let key_size = input.key_size.unwrap_or(2048);
    if ![2048, 3072, 4096].contains(&key_size) {
        return Err(ApiError::invalid("keySize", "keySize must be 2048, 3072 or 4096"));
    }
    let settings = PlatformSettings::Desktop {
        scep_url,
        challenge,
        challenge_url,
        challenge_username,
        ca,
        subject: input.subject.trim().to_string(),
        key_size,
    };
    Ok((Plan { settings, new_secrets, needs }, input.version))
}

/// `GET /platforms`.
#[utoipa::path(get, path = "/platforms", tag = "platforms", operation_id = "listPlatforms",
    description = "Roles: admin, technician. All four platforms, configured or not.", security(("bearer" = [])),
    responses((status = 200, description = "Every platform", body = PlatformList),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn list(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let stored = deps.store.list_platforms(req.caller.tenant.as_str()).await.map_err(store_failure)?;
    let items = Platform::ALL
        .iter()
        .map(|p| {
            stored
                .iter()
                .find(|r| r.platform == *p)
                .map(PlatformView::from)
                .unwrap_or_else(|| PlatformView::not_configured(*p))
        })
        .collect();
    Ok(json_response(StatusCode::OK, &PlatformList { items }))
}

/// `GET /platforms/{platform}`.
#[utoipa::path(get, path = "/platforms/{platform}", tag = "platforms", operation_id = "getPlatform",
    description = "Roles: admin, technician.", params(("platform" = Platform, Path, description = "ios, android, macos or windows")),
    security(("bearer" = [])),
    responses((status = 200, description = "The platform", body = PlatformView),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 404, description = "Unknown platform", body = ErrorBody)))]
pub async fn get(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    let rec = deps.store.get_platform(req.caller.tenant.as_str(), p).await.map_err(store_failure)?;
    let view = rec.as_ref().map(PlatformView::from).unwrap_or_else(|| PlatformView::not_configured(p));
    Ok(json_response(StatusCode::OK, &view))
}

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
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion), or device trust not configured", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody)))]
pub async fn save(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let now = deps.clock.now();
    // Parse before any read, so bad input is refused the same way whatever is stored.
    let mobile = if p.is_mobile() { Some(req.json::<MobileSettingsInput>()?) } else { None };
    let desktop = if p.is_mobile() { None } else { Some(req.json::<DesktopSettingsInput>()?) };
    let org = device_trust_org(deps, tenant).await?;
    let existing = deps.store.get_platform(tenant, p).await.map_err(store_failure)?;
    let (plan, version) = match (mobile, desktop) {
        (Some(m), _) => plan_mobile(m)?,
        (None, Some(d)) => plan_desktop(p, d, &org, existing.as_ref(), now)?,
        (None, None) => return Err(ApiError::internal()),
    };
    let current = existing.as_ref().map(|e| e.version).unwrap_or(0);
    if version.is_some_and(|v| v != current) {
        return Err(ApiError::version_conflict(current));
    }
    for name in &plan.needs {
        let stored = existing.as_ref().is_some_and(|e| e.secrets.contains_key(*name));
        if !stored && !plan.new_secrets.iter().any(|(n, _)| n == name) {
            let field = match (p.is_mobile(), *name) {
                (true, _) => "secretKey",
                (false, SECRET_KEY) => "challenge.secretKey",
                _ => "challenge.password",
            };
            return Err(ApiError::invalid(field, format!("{field} is required the first time it is set")));
        }
    }

    let stamp = rfc3339(now);
    let mut secrets: BTreeMap<String, SecretRef> = BTreeMap::new();
    let mut secrets_updated_at: BTreeMap<String, String> = BTreeMap::new();
    for name in &plan.needs {
        if let Some(e) = existing.as_ref() {
            if let (Some(r), Some(at)) = (e.secrets.get(*name), e.secrets_updated_at.get(*name)) {
                secrets.insert(name.to_string(), r.clone());
                secrets_updated_at.insert(name.to_string(), at.clone());
            }
        }
    }
    let mut written = Vec::new();
    for (name, value) in &plan.new_secrets {
        let secret_name = deps.secrets.name(tenant, &["platform", p.as_str(), name]);
        let r = deps.secrets.put(&secret_name, value).await.map_err(secrets_failure)?;
        written.push(name.to_string());
        secrets.insert(name.to_string(), r);
        secrets_updated_at.insert(name.to_string(), stamp.clone());
    }

    let mut rec = PlatformRecord {
        enabled: existing.as_ref().is_some_and(|e| e.enabled),
        secrets,
        secrets_updated_at,
        previous_payload_hash: existing.as_ref().and_then(|e| e.previous_payload_hash.clone()),
        previous_secrets: existing.as_ref().map(|e| e.previous_secrets.clone()).unwrap_or_default(),
        reconfigured_at: existing.as_ref().and_then(|e| e.reconfigured_at.clone()),
        removal_requested_at: existing.as_ref().and_then(|e| e.removal_requested_at.clone()),
        created_at: existing.as_ref().map(|e| e.created_at.clone()).unwrap_or_else(|| stamp.clone()),
        version: current + 1,
        ..PlatformRecord::new(tenant, p, plan.settings, &stamp)
    };
    rec.payload_hash = payload_hash(tenant, &rec, &org.domain)?;
    if let Some(e) = existing.as_ref().filter(|e| e.payload_hash != rec.payload_hash) {
        // A re-configure: devices carrying the old payload must get the new one; until then status can tell them.
        rec.previous_payload_hash = Some(e.payload_hash.clone());
        rec.previous_secrets =
            e.secrets.iter().filter(|(k, _)| written.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        rec.reconfigured_at = Some(stamp.clone());
    }
    match deps.store.put_platform(&rec, existing.as_ref().map(|e| e.version)).await {
        Ok(()) => {
            tracing::info!(tenant, platform = %p, payload_hash = %rec.payload_hash, "platform settings saved");
            Ok(json_response(StatusCode::OK, &PlatformView::from(&rec)))
        }
        Err(StoreError::VersionConflict { current }) => {
            // The winner's record names its own secret versions; put the current label back on them.
            if let Some(now) = deps.store.get_platform(tenant, p).await.map_err(store_failure)? {
                for r in now.secrets.values() {
                    let _ = deps.secrets.make_current(r).await;
                }
            }
            Err(ApiError::version_conflict(current.unwrap_or(0)))
        }
        Err(e) => Err(store_failure(e)),
    }
}

/// `PUT /platforms/{platform}/enabled`: switching on needs complete settings, a still-valid CA certificate and
/// active device trust; switching off keeps the settings and marks the platform's devices for removal.
#[utoipa::path(put, path = "/platforms/{platform}/enabled", tag = "platforms", operation_id = "switchPlatform",
    description = "Role: admin.", params(("platform" = Platform, Path, description = "ios, android, macos or windows")),
    request_body = EnabledInput, security(("bearer" = [])),
    responses((status = 200, description = "Switched", body = PlatformView),
        (status = 400, description = "Invalid input, or settings incomplete (missing lists them)", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        (status = 409, description = "Changed meanwhile, or device trust not configured", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody)))]
pub async fn switch(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: EnabledInput = req.json()?;
    let existing = deps.store.get_platform(tenant, p).await.map_err(store_failure)?;
    let Some(existing) = existing else {
        if !input.enabled {
            return Ok(json_response(StatusCode::OK, &PlatformView::not_configured(p)));
        }
        return Err(ApiError::bad_request("incomplete_settings", format!("{p} is not configured yet"))
            .with_field("enabled")
            .with_detail("missing", serde_json::json!(PlatformView::not_configured(p).missing)));
    };
    if input.version.is_some_and(|v| v != existing.version) {
        return Err(ApiError::version_conflict(existing.version));
    }
    if input.enabled == existing.enabled {
        return Ok(json_response(StatusCode::OK, &PlatformView::from(&existing)));
    }
    let now = deps.clock.now();
    let mut rec = existing.clone();
    if input.enabled {
        device_trust_org(deps, tenant).await?;
        let missing = missing(&existing);
        if !missing.is_empty() {
            return Err(ApiError::bad_request("incomplete_settings", format!("{p} settings are incomplete"))
                .with_field("enabled")
                .with_detail("missing", serde_json::json!(missing)));
        }
        if let PlatformSettings::Desktop { ca: Some(ca), .. } = &existing.settings {
            if ca.not_after < now {
                return Err(ApiError::bad_request(
                    "ca_certificate_expired",
                    format!("the CA certificate expired at {}; save a current one first", rfc3339(ca.not_after)),
                )
                .with_field("caCertificate"));
            }
        }
        rec.removal_requested_at = None;
    } else {
        rec.removal_requested_at = Some(rfc3339(now));
    }
    rec.enabled = input.enabled;
    rec.updated_at = rfc3339(now);
    rec.version = existing.version + 1;
    match deps.store.put_platform(&rec, Some(existing.version)).await {
        Ok(()) => {
            tracing::info!(tenant, platform = %p, enabled = rec.enabled, "platform switched");
            Ok(json_response(StatusCode::OK, &PlatformView::from(&rec)))
        }
        Err(StoreError::VersionConflict { current }) => Err(ApiError::version_conflict(current.unwrap_or(0))),
        Err(e) => Err(store_failure(e)),
    }
}

/// `GET /platforms/{platform}/payload`: the exact document the platform's devices receive, secrets masked.
#[utoipa::path(get, path = "/platforms/{platform}/payload", tag = "platforms", operation_id = "previewPayload",
    description = "Roles: admin, technician. Secrets are shown as ********.",
    params(("platform" = Platform, Path, description = "ios, android, macos or windows")), security(("bearer" = [])),
    responses((status = 200, description = "The document", body = PayloadPreview),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 404, description = "Unknown or not configured platform", body = ErrorBody),
        (status = 409, description = "Device trust not configured", body = ErrorBody)))]
pub async fn preview(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec = deps
        .store
        .get_platform(tenant, p)
        .await
        .map_err(store_failure)?
        .ok_or_else(|| ApiError::not_found("platform configuration"))?;
    let org = device_trust_org(deps, tenant).await?;
    let doc = render_preview(tenant, &rec, &org.domain)?;
    Ok(json_response(
        StatusCode::OK,
        &PayloadPreview {
            platform: p,
            media_type: doc.media_type.to_string(),
            document: doc.text,
            payload_hash: rec.payload_hash.clone(),
        },
    ))
}

/// The request body of `PUT /platforms/{platform}`, by platform (for the OpenAPI document): the flat object
/// of one or the other.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SettingsInput {
    Mobile(MobileSettingsInput),
    Desktop(DesktopSettingsInput),
}
