//! The method to store, from checked input and the UEM's app inventory: an existing app checked to be of the
//! platform and kind, an installer uploaded as a new enterprise app, or Okta Verify approved in managed Google
//! Play.

use super::input::Fields;
use super::model::MethodName;
use crate::policy::ANDROID_PACKAGE;
use odt_shared::platform::Platform;
use odt_shared::store::{AppDetails, InstallMethod, OktaVerifyRecord};
use odt_shared::uem::{AppKind, NewEnterpriseApp, Uem, UemApp, UemError};
use odt_shared::ApiError;

/// The method `f` asks for on platform `p` and the app's details, checked against the UEM's inventory (uploading
/// the installer when asked). `stored` is the platform's current method. Errors: 400 on `appId` for an app that
/// is not there or not of the platform and kind; see [`upload`] and [`managed_play`]; the UEM failing.
pub(super) async fn resolve(
    uem: &dyn Uem,
    p: Platform,
    f: Fields,
    stored: Option<&OktaVerifyRecord>,
) -> Result<(InstallMethod, AppDetails), ApiError> {
    let apps = uem.apps().await?;
    match f.method {
        MethodName::Vpp => {
            let id = f.app_id.unwrap_or_default();
            let app = pick(&apps, &id, p, AppKind::Vpp)?;
            let method = InstallMethod::Vpp {
                app_id: id,
                location_token: f.location_token.unwrap_or_default(),
                licenses: f.licenses,
            };
            Ok((method, details(app, false)))
        }
        MethodName::Pkg | MethodName::Exe => {
            let id = f.app_id.unwrap_or_default();
            let app = pick(&apps, &id, p, AppKind::Enterprise)?;
            let method = if f.method == MethodName::Pkg {
                InstallMethod::Pkg { app_id: id }
            } else {
                InstallMethod::Exe { app_id: id }
            };
            Ok((method, details(app, false)))
        }
        MethodName::PkgUpload | MethodName::ExeUpload => upload(uem, &apps, p, f, stored).await,
        MethodName::ManagedPlay => managed_play(&apps, f.app_id),
    }
}

/// An upload: the installer added as a new enterprise app named `f.name`. The same upload saved again (same name,
/// same installer URL, the app `stored` already uses) reuses its app. Errors: 409 `app_exists` naming `name` for
/// an app of that name from anything else (never silently reused); 400 on `installerUrl` when the UEM refuses the
/// new app; the UEM failing.
async fn upload(
    uem: &dyn Uem,
    apps: &[UemApp],
    p: Platform,
    f: Fields,
    stored: Option<&OktaVerifyRecord>,
) -> Result<(InstallMethod, AppDetails), ApiError> {
    let existing = apps.iter().find(|a| a.platform == Some(p) && a.kind == AppKind::Enterprise && a.name == f.name);
    let app = match existing {
        // The same upload saved again: the app this method already uses, from the same installer.
        Some(a)
            if stored.is_some_and(|r| {
                r.method.app_id() == a.id && r.app.installer_url.as_deref() == Some(f.installer_url.as_str())
            }) =>
        {
            a.clone()
        }
        Some(a) => {
            return Err(ApiError::conflict(
                "app_exists",
                format!(
                    "the UEM already has an app named `{}` (id {}); choose it with appId, or upload the new installer under a new name",
                    a.name, a.id
                ),
            )
            .with_field("name"));
        }
        None => uem
            .create_enterprise_app(&NewEnterpriseApp {
                platform: p,
                name: f.name,
                category: f.category.unwrap_or_else(|| "Security".into()),
                description: f.description.unwrap_or_else(|| "Okta Verify (Okta Device Trust)".into()),
                installer_url: f.installer_url.clone(),
                success_criteria: f.success_criteria,
                uninstall_parameters: f.uninstall_parameters,
            })
            .await
            .map_err(|e| match e {
                UemError::Api { status: 400, message } => {
                    ApiError::invalid("installerUrl", format!("the UEM refused the new app: {message}"))
                }
                e => e.into(),
            })?,
    };
    let method = if f.method == MethodName::PkgUpload {
        InstallMethod::Pkg { app_id: app.id.clone() }
    } else {
        InstallMethod::Exe { app_id: app.id.clone() }
    };
    let mut d = details(&app, true);
    d.installer_url = Some(f.installer_url);
    Ok((method, d))
}

/// Managed Google Play: Okta Verify (`com.okta.android.auth`) approved there. Errors: 400 on `method` when it is
/// not approved; 400 on `appId` when a given id is another app.
fn managed_play(apps: &[UemApp], app_id: Option<String>) -> Result<(InstallMethod, AppDetails), ApiError> {
    let ov = apps.iter().find(|a| {
        a.platform == Some(Platform::Android)
            && a.kind == AppKind::ManagedPlay
            && a.bundle_id.as_deref() == Some(ANDROID_PACKAGE)
    });
    let Some(ov) = ov else {
        return Err(ApiError::invalid(
            "method",
            format!("Okta Verify ({ANDROID_PACKAGE}) is not approved in managed Google Play for this UEM; approve it there first"),
        ));
    };
    if let Some(id) = app_id.filter(|id| *id != ov.id) {
        return Err(ApiError::invalid("appId", format!("app {id} is not Okta Verify ({ANDROID_PACKAGE})")));
    }
    Ok((InstallMethod::ManagedPlay { app_id: ov.id.clone() }, details(ov, false)))
}

/// What the store keeps of inventory app `app` (`uploaded`: the product uploaded it).
fn details(app: &UemApp, uploaded: bool) -> AppDetails {
    AppDetails {
        name: app.name.clone(),
        version: app.version.clone(),
        category: app.category.clone(),
        description: app.description.clone(),
        success_criteria: app.success_criteria.clone(),
        uninstall_parameters: app.uninstall_parameters.clone(),
        uploaded,
        installer_url: None,
    }
}

/// The inventory app `id`, checked to be of `platform` and `kind`; 400 on `appId` otherwise.
fn pick<'a>(apps: &'a [UemApp], id: &str, platform: Platform, kind: AppKind) -> Result<&'a UemApp, ApiError> {
    let app = apps
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::invalid("appId", format!("the UEM has no app with id {id}")))?;
    if app.platform != Some(platform) {
        return Err(ApiError::invalid("appId", format!("app {id} ({}) is not a {} app", app.name, platform.as_str())));
    }
    if app.kind != kind {
        let want = serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        return Err(ApiError::invalid("appId", format!("app {id} ({}) is not a {want} app", app.name)));
    }
    Ok(app)
}
