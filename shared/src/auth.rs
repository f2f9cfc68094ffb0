//! Who is calling: the tenant and role that API Gateway's JWT authorizer passes on as claims
//! (`requestContext.authorizer.jwt.claims`). The authorizer has already checked signature, issuer, audience
//! and expiry; a request without these claims is refused.

use crate::error::ApiError;
use crate::ids::is_safe_id;

/// The claim that names the caller's tenant.
pub const TENANT_CLAIM: &str = "tenant_id";
/// The claim that names the caller's role (`admin` or `technician`).
pub const ROLE_CLAIM: &str = "role";
/// The claim with the caller's email address (OpenID Connect's `email`), when the token carries one: what
/// matches the caller to an Okta user (the access policy rule's lockout check).
pub const EMAIL_CLAIM: &str = "email";

/// A tenant id (safe for keys: see [`is_safe_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    /// Parses a tenant id; `None` if it is not a safe id.
    pub fn parse(s: &str) -> Option<Self> {
        is_safe_id(s).then(|| TenantId(s.to_string()))
    }
    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A caller's role: admins configure; technicians read status and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Technician,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub role: Role,
    /// The `email` claim as sent (trimmed), `None` when absent or empty.
    pub email: Option<String>,
}

impl Caller {
    /// Builds the caller from the authorizer's claims. Errors: 401 when the tenant or role claim is missing or
    /// not one this product knows.
    pub fn from_claims<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, ApiError> {
        let tenant = get(TENANT_CLAIM)
            .and_then(TenantId::parse)
            .ok_or_else(|| ApiError::unauthorized("the token carries no valid tenant_id claim"))?;
        let role = match get(ROLE_CLAIM) {
            Some("admin") => Role::Admin,
            Some("technician") => Role::Technician,
            _ => return Err(ApiError::unauthorized("the token carries no valid role claim (admin or technician)")),
        };
        let email = get(EMAIL_CLAIM).map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
        Ok(Caller { tenant, role, email })
    }

    /// Errors with 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Technician => Err(ApiError::forbidden("this action needs the admin role")),
        }
    }
}
