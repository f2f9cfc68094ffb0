//! What applying a tenant's hook events needs to know, read once per stream batch.

use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::platform::Platform;
use std::collections::HashMap;

/// What applying a tenant's events needs, read once per stream batch.
pub struct Context {
    /// The fleet's selected Okta groups.
    pub(super) selected_groups: Vec<String>,
    /// The enabled platforms with their payload hashes.
    pub(super) enabled: HashMap<Platform, String>,
}

impl Context {
    /// Reads the fleet's selected Okta groups and the enabled platforms' payload hashes of `tenant`. Errors: the
    /// store failing.
    pub async fn load(deps: &Deps, tenant: &str) -> Result<Context, Error> {
        let fleet = deps.store.get_fleet(tenant).await?;
        let enabled = deps
            .store
            .list_platforms(tenant)
            .await?
            .into_iter()
            .filter(|p| p.enabled)
            .map(|p| (p.platform, p.payload_hash))
            .collect();
        Ok(Context { selected_groups: fleet.map(|f| f.okta_group_ids).unwrap_or_default(), enabled })
    }
}
