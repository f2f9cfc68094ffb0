//! Every device's status, one at a time: the `DEVICE#`, `DEPLOYED#` and `EVIDENCE#` records are each read page
//! by page in key order (device id order for all three) and merged, so a fleet of 100,000 devices is walked
//! without holding it.

use crate::renewals::PlatformsNow;
use crate::status::{device_status, DeviceStatus};
use odt_shared::deps::Deps;
use odt_shared::platform::Platform;
use odt_shared::store::{DeployedRecord, DeviceRecord, DeviceTrustState, EvidenceRecord, PrefixCursor, StoreError};
use std::collections::HashSet;

/// A cursor over records keyed by device id, that can be advanced to an id.
struct Side<T> {
    cursor: PrefixCursor<T>,
    head: Option<T>,
    started: bool,
}

impl<T: serde::de::DeserializeOwned + Send + 'static> Side<T> {
    fn new(cursor: PrefixCursor<T>) -> Self {
        Side { cursor, head: None, started: false }
    }

    /// The record for device `id`, skipping records of smaller ids (devices gone).
    async fn take(&mut self, id: &str, id_of: impl Fn(&T) -> &str) -> Result<Option<T>, StoreError> {
        if !self.started {
            self.head = self.cursor.next().await?;
            self.started = true;
        }
        loop {
            match &self.head {
                Some(h) if id_of(h) < id => self.head = self.cursor.next().await?,
                Some(h) if id_of(h) == id => {
                    let found = self.head.take();
                    self.head = self.cursor.next().await?;
                    return Ok(found);
                }
                _ => return Ok(None),
            }
        }
    }
}

/// Walks every device of a tenant in id order with its deployment and evidence.
pub struct StatusWalk {
    devices: PrefixCursor<DeviceRecord>,
    deployed: Side<DeployedRecord>,
    evidence: Side<EvidenceRecord>,
    /// Device trust is not active (being deleted, or gone): no device is covered.
    trust_off: bool,
    /// Each platform's payload hash now, and its SCEP settings' renewal lead.
    platforms: PlatformsNow,
    /// The platforms switched on: a device of one switched off since its last decision shows out of scope
    /// (`platform_disabled`) at once (case C29).
    enabled: HashSet<Platform>,
}

impl StatusWalk {
    /// Starts a walk (reads whether device trust is active, and each platform's switch, current payload hash and
    /// renewal lead).
    pub async fn start(deps: &Deps, tenant: &str) -> Result<StatusWalk, StoreError> {
        let trust_off = deps.store.get_device_trust(tenant).await?.is_none_or(|d| d.state != DeviceTrustState::Active);
        let platforms = deps.store.list_platforms(tenant).await?;
        let enabled = platforms.iter().filter(|p| p.enabled).map(|p| p.platform).collect();
        let now = deps.clock.now();
        let platforms = PlatformsNow::of(&platforms, now);
        Ok(StatusWalk {
            devices: deps.store.device_cursor(tenant),
            deployed: Side::new(deps.store.deployed_cursor(tenant)),
            evidence: Side::new(deps.store.evidence_cursor(tenant)),
            trust_off,
            platforms,
            enabled,
        })
    }

    /// The next device's status (with its record as the platform switches stand now), or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<(DeviceRecord, DeviceStatus)>, StoreError> {
        let Some(dev) = self.devices.next().await? else { return Ok(None) };
        let dev = dev.as_switched(&self.enabled);
        let dep = self.deployed.take(&dev.device_id, |d| d.device_id.as_str()).await?;
        let ev = self.evidence.take(&dev.device_id, |e| e.device_id.as_str()).await?;
        let status = device_status(&dev, dep.as_ref(), ev.as_ref(), self.trust_off, &self.platforms);
        Ok(Some((dev, status)))
    }
}
