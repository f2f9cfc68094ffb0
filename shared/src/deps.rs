//! What every function's handler depends on, built once per cold start by its `main` (or by a test, or the
//! local front) and passed in: the store, the secrets adapter, the outbound set-up, name resolution for custom
//! domains, the clock, and a pool of Okta clients whose cached tokens outlive one invocation.

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::okta::{OktaClient, OktaCredentials, RetryPolicy};
use crate::outbound::{HostResolver, OrgHost, Outbound, SystemResolver};
use crate::pacing::{CallClass, LocalPace, Pacer, Share, UemLimits};
use crate::secrets::Secrets;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The dependencies of a handler.
#[derive(Clone)]
pub struct Deps {
    pub store: Store,
    pub secrets: Secrets,
    pub outbound: Outbound,
    pub resolver: Arc<dyn HostResolver>,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
    pub okta_pool: OktaPool,
    /// Small records kept for a few seconds across invocations of a warm instance (the event hook's record).
    pub warm: crate::warm::Warm,
    /// The UEM's limits the calls are paced within ([`UemLimits::HEXNODE`]; the local stack sets the double's).
    pub uem_limits: UemLimits,
    /// This instance's own pace per tenant, in front of the shared budget.
    pub uem_pace: LocalPace,
}

impl Deps {
    /// Production dependencies from the environment: `TABLE_NAME` (the DynamoDB table) and `SECRETS_PREFIX`
    /// (default `odt`), with the SDK configuration loaded once. Errors: a missing `TABLE_NAME`.
    pub async fn from_env() -> Result<Self, String> {
        let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set".to_string())?;
        let prefix = std::env::var("SECRETS_PREFIX").unwrap_or_else(|_| "odt".into());
        let sdk = crate::aws::load_config().await;
        Ok(Self::new(&sdk, table, prefix, Outbound::new(), Arc::new(SystemResolver), Arc::new(SystemClock)))
    }

    /// Dependencies over an SDK configuration and explicit parts (tests and the local front use this).
    pub fn new(
        sdk: &aws_config::SdkConfig,
        table: String,
        secrets_prefix: String,
        outbound: Outbound,
        resolver: Arc<dyn HostResolver>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Deps {
            store: Store::new(aws_sdk_dynamodb::Client::new(sdk), table),
            secrets: Secrets::new(aws_sdk_secretsmanager::Client::new(sdk), secrets_prefix),
            outbound,
            resolver,
            clock,
            retry: RetryPolicy::default(),
            okta_pool: OktaPool::default(),
            warm: crate::warm::Warm::default(),
            uem_limits: UemLimits::HEXNODE,
            uem_pace: LocalPace::default(),
        }
    }

    /// An Okta client for `host` and `credentials` asking for `scopes`, taken from the pool when one with the
    /// same `cache_key` (org, credential version, scopes) exists.
    pub fn okta(
        &self,
        cache_key: &str,
        host: OrgHost,
        credentials: OktaCredentials,
        scopes: &[&str],
    ) -> Arc<OktaClient> {
        self.okta_pool.get_or_insert(format!("{cache_key}|{}", scopes.join(" ")), || {
            OktaClient::new(
                self.outbound.clone(),
                self.clock.clone(),
                host,
                credentials,
                scopes.iter().map(|s| s.to_string()).collect(),
                self.retry,
            )
        })
    }
}

impl Deps {
    /// A Hexnode client for `portal` with `api_key` (validated host; the key never leaves the client).
    pub fn hexnode(&self, portal: OrgHost, api_key: secrecy::SecretString) -> crate::uem::hexnode::HexnodeClient {
        crate::uem::hexnode::HexnodeClient::new(
            self.outbound.clone(),
            self.clock.clone(),
            portal,
            api_key,
            crate::uem::hexnode::HexnodeRetry::default(),
        )
    }
}

impl Deps {
    /// The pacer of `tenant`'s UEM calls of `class`, within `share_percent` (the tenant's setting; `None`: the
    /// default) of [`Deps::uem_limits`], drawing from the store's shared budget.
    pub fn uem_pacer(&self, tenant: &str, class: CallClass, share_percent: Option<u8>) -> Pacer {
        let share = Share::new(self.uem_limits, share_percent);
        Pacer::new(tenant, class, share, Arc::new(self.store.clone()), self.clock.clone(), self.uem_pace.clone())
    }

    /// The tenant's connected UEM, ready to call with its calls of `class` paced, or `Ok(None)` when none is
    /// connected. Errors: the store or Secrets Manager failing, or a stored portal that no longer passes the
    /// outbound rules (internal).
    pub async fn tenant_uem(&self, tenant: &str, class: CallClass) -> Result<Option<Box<dyn crate::uem::Uem>>, Error> {
        let Some(rec) = self.store.get_uem(tenant).await? else {
            return Ok(None);
        };
        let portal = OrgHost::revalidate(&rec.portal).map_err(|e| Error::internal("stored UEM portal", e))?;
        let api_key = self.secrets.get(&rec.secret).await?;
        let pacer = self.uem_pacer(tenant, class, rec.call_share_percent);
        Ok(Some(Box::new(self.hexnode(portal, api_key).paced(Arc::new(pacer)))))
    }

    /// The tenant's connected UEM (calls of `class`), or [`Error::uem_not_connected`].
    pub async fn connected_uem(&self, tenant: &str, class: CallClass) -> Result<Box<dyn crate::uem::Uem>, Error> {
        self.tenant_uem(tenant, class).await?.ok_or_else(Error::uem_not_connected)
    }
}

impl Deps {
    /// The org device trust uses (active device trust only) and a pooled Okta client for it asking for `scopes`.
    /// Errors: [`Error::device_trust_not_configured`] when device trust is not active or its org is gone; the
    /// store or Secrets Manager failing.
    pub async fn device_trust_okta(
        &self,
        tenant: &str,
        scopes: &[&str],
    ) -> Result<(crate::store::OrgRecord, Arc<OktaClient>), Error> {
        let org = self.device_trust_org(tenant).await?;
        let okta = self.org_okta(&org, scopes).await?;
        Ok((org, okta))
    }

    /// The org device trust uses (active device trust only). Errors: as [`Deps::device_trust_okta`].
    pub async fn device_trust_org(&self, tenant: &str) -> Result<crate::store::OrgRecord, Error> {
        let dt = self.store.get_device_trust(tenant).await?;
        let Some(dt) = dt.filter(|d| d.state == crate::store::DeviceTrustState::Active) else {
            return Err(Error::device_trust_not_configured("choose the Okta org for device trust first"));
        };
        self.store
            .get_org(tenant, &dt.okta_org_id)
            .await?
            .ok_or_else(|| Error::device_trust_not_configured("the device-trust org is gone"))
    }

    /// A pooled Okta client for a connected org `org` with its stored credentials, asking for `scopes`.
    /// Errors: Secrets Manager failing; a stored domain that no longer passes the outbound rules (internal).
    pub async fn org_okta(&self, org: &crate::store::OrgRecord, scopes: &[&str]) -> Result<Arc<OktaClient>, Error> {
        let secret = self.secrets.get(&org.secret).await?;
        let creds = OktaCredentials::from_parts(org.auth_method, org.client_id.clone(), secret, org.key_id.clone());
        let host = OrgHost::revalidate(&org.domain).map_err(|e| Error::internal("stored Okta domain", e))?;
        let key = format!("{}|{}|{}", org.pk, org.org_id, org.secret.version_id);
        Ok(self.okta(&key, host, creds, scopes))
    }
}

/// Okta clients kept across invocations of a warm function, keyed by org, credential version and scopes, so a
/// token is fetched once an hour rather than once a request. Bounded: emptied when it reaches 256 clients.
#[derive(Clone, Default)]
pub struct OktaPool {
    clients: Arc<Mutex<HashMap<String, Arc<OktaClient>>>>,
}

impl OktaPool {
    const MAX: usize = 256;

    fn get_or_insert(&self, key: String, make: impl FnOnce() -> OktaClient) -> Arc<OktaClient> {
        let mut map = self.clients.lock().expect("okta pool lock");
        if let Some(c) = map.get(&key) {
            return c.clone();
        }
        if map.len() >= Self::MAX {
            map.clear();
        }
        let c = Arc::new(make());
        map.insert(key, c.clone());
        c
    }
}
