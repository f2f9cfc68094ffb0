//! Verifying the Okta credentials an admin entered (connect, rotate): a token with the product's scopes and one
//! read call. Every Okta failure here is told as the admin's input ([`Error::okta_entered`]).

use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::okta::{OktaClient, OktaCredentials, OktaError, OPTIONAL_SCOPES, REQUIRED_SCOPES};
use odt_shared::outbound::OrgHost;

/// Verifies credentials against the org: a token with the product's scopes and one read call. Asks for every
/// scope at once; when Okta answers `invalid_scope`, asks for the required ones (naming each missing one if
/// that fails too) and then adds each optional scope that Okta grants. Returns the granted scopes. Errors: the
/// Okta failure, with entered credentials.
pub async fn verify(deps: &Deps, host: &OrgHost, creds: &OktaCredentials) -> Result<Vec<String>, Error> {
    let client_for = |scopes: &[&str]| {
        OktaClient::new(
            deps.outbound.clone(),
            deps.clock.clone(),
            host.clone(),
            creds.clone(),
            scopes.iter().map(|s| s.to_string()).collect(),
            deps.retry,
        )
    };
    let wanted: Vec<&str> = REQUIRED_SCOPES.iter().chain(OPTIONAL_SCOPES.iter()).copied().collect();
    let probe = client_for(&wanted);
    let (granted, verifier) = match probe.request_token(&wanted).await {
        // The probe reuses the token just granted when every scope was; otherwise one more token is needed.
        Ok(g) => (g.scopes, probe),
        Err(e) if is_invalid_scope(&e) => (narrowed_scopes(&probe).await?, client_for(&REQUIRED_SCOPES)),
        Err(e) => return Err(Error::okta_entered(e)),
    };
    verifier.probe().await.map_err(Error::okta_entered)?;
    Ok(granted)
}

fn is_invalid_scope(e: &OktaError) -> bool {
    e.code() == Some("invalid_scope")
}

/// The scopes Okta grants when it refused the full set: the required ones (or [`OktaError::MissingScopes`]
/// naming each one it refuses), then each optional scope it also grants.
async fn narrowed_scopes(probe: &OktaClient) -> Result<Vec<String>, Error> {
    let mut granted: Vec<&str> = REQUIRED_SCOPES.to_vec();
    if let Err(e) = probe.request_token(&granted).await {
        if !is_invalid_scope(&e) {
            return Err(Error::okta_entered(e));
        }
        return Err(Error::okta_entered(OktaError::MissingScopes(missing_required(probe).await?)));
    }
    for optional in OPTIONAL_SCOPES {
        let mut with = granted.clone();
        with.push(optional);
        match probe.request_token(&with).await {
            Ok(_) => granted = with,
            Err(e) if is_invalid_scope(&e) => {}
            Err(e) => return Err(Error::okta_entered(e)),
        }
    }
    Ok(granted.into_iter().map(str::to_string).collect())
}

/// Each required scope Okta refuses when asked for it alone.
async fn missing_required(probe: &OktaClient) -> Result<Vec<String>, Error> {
    let mut missing = Vec::new();
    for s in REQUIRED_SCOPES {
        match probe.request_token(&[s]).await {
            Ok(_) => {}
            Err(e) if is_invalid_scope(&e) => missing.push(s.to_string()),
            Err(e) => return Err(Error::okta_entered(e)),
        }
    }
    Ok(missing)
}
