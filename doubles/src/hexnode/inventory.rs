//! The device inventory, which keeps each user's device count beside the devices.

use super::model::HexnodeDeviceSeed;
use std::collections::{BTreeMap, HashMap};

/// The inventory: devices by id, and how many devices each user owns beside it, so a `GET users/` page counts
/// its users' devices (`total_devices`) without a pass over the whole inventory (a pass per page made listing
/// the users of a 100,000-device inventory quadratic). Reads go to the map (`Deref`); every change goes through
/// `insert`, `remove` or `get_mut` (whose guard recounts the owner when it is dropped), so the counts cannot go
/// stale.
#[derive(Debug, Default, Clone)]
pub struct Devices {
    by_id: BTreeMap<u64, HexnodeDeviceSeed>,
    per_user: HashMap<u64, usize>,
}

impl std::ops::Deref for Devices {
    type Target = BTreeMap<u64, HexnodeDeviceSeed>;
    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

impl Devices {
    fn count(per_user: &mut HashMap<u64, usize>, user: Option<u64>, added: bool) {
        let Some(u) = user else { return };
        let n = per_user.entry(u).or_default();
        if added {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_user.remove(&u);
            }
        }
    }

    /// Adds or replaces device `id`; the replaced one is returned.
    pub fn insert(&mut self, id: u64, device: HexnodeDeviceSeed) -> Option<HexnodeDeviceSeed> {
        Self::count(&mut self.per_user, device.user_id, true);
        let old = self.by_id.insert(id, device);
        Self::count(&mut self.per_user, old.as_ref().and_then(|d| d.user_id), false);
        old
    }

    /// Removes device `id`.
    pub fn remove(&mut self, id: &u64) -> Option<HexnodeDeviceSeed> {
        let old = self.by_id.remove(id);
        Self::count(&mut self.per_user, old.as_ref().and_then(|d| d.user_id), false);
        old
    }

    /// Device `id`, to change in place (its owner is recounted when the guard is dropped).
    pub fn get_mut(&mut self, id: &u64) -> Option<DeviceMut<'_>> {
        let device = self.by_id.get_mut(id)?;
        Some(DeviceMut { owner: device.user_id, device, per_user: &mut self.per_user })
    }

    /// How many devices user `user_id` owns.
    pub fn of_user(&self, user_id: u64) -> usize {
        self.per_user.get(&user_id).copied().unwrap_or(0)
    }
}

/// A device borrowed from [`Devices::get_mut`]; its owner's count follows a change of `user_id` on drop.
pub struct DeviceMut<'a> {
    owner: Option<u64>,
    device: &'a mut HexnodeDeviceSeed,
    per_user: &'a mut HashMap<u64, usize>,
}

impl std::ops::Deref for DeviceMut<'_> {
    type Target = HexnodeDeviceSeed;
    fn deref(&self) -> &HexnodeDeviceSeed {
        self.device
    }
}

impl std::ops::DerefMut for DeviceMut<'_> {
    fn deref_mut(&mut self) -> &mut HexnodeDeviceSeed {
        self.device
    }
}

impl Drop for DeviceMut<'_> {
    fn drop(&mut self) {
        if self.device.user_id != self.owner {
            Devices::count(self.per_user, self.owner, false);
            Devices::count(self.per_user, self.device.user_id, true);
        }
    }
}
