//! Gathering what scope is decided from: the device-trust org's users and the members of each selected Okta
//! group (every page, each group once), the UEM inventory and the members of each selected device group, and
//! the platforms switched on with their payload hashes.

use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::okta::User;
use odt_shared::pacing::CallClass;
use odt_shared::platform::Platform;
use odt_shared::scope::ScopeFacts;
use odt_shared::store::OrgRecord;
use odt_shared::uem::{Uem, UemDevice};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The scopes fleet-sync asks Okta for.
pub const SCOPES: [&str; 2] = ["okta.users.read", "okta.groups.read"];

/// The connected systems of a tenant, ready to read.
pub struct Sources {
    pub org: OrgRecord,
    pub okta: Arc<odt_shared::okta::OktaClient>,
    pub uem: Box<dyn Uem>,
}

/// A selection of groups (by id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub okta_group_ids: Vec<String>,
    pub uem_group_ids: Vec<String>,
}

/// Everything gathered for one scope computation.
pub struct Gathered {
    pub devices: Vec<UemDevice>,
    pub facts: ScopeFacts,
    /// Payload hash per enabled platform.
    pub payload_hashes: HashMap<Platform, String>,
    /// Okta user id → the selected Okta groups the user is a member of.
    pub member_groups: HashMap<String, Vec<String>>,
}

/// The tenant's connected Okta org (the one device trust uses) and UEM, its calls paced as `calls`. Errors: 409
/// `device_trust_not_configured` or `uem_not_connected` naming what is missing; the store or secrets failing.
pub async fn sources(deps: &Deps, tenant: &str, calls: CallClass) -> Result<Sources, Error> {
    let (org, okta) = deps.device_trust_okta(tenant, &SCOPES).await?;
    let uem = deps.connected_uem(tenant, calls).await?;
    Ok(Sources { org, okta, uem })
}

/// Selected ids that do not exist, of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// Okta groups the org does not have.
    OktaGroups(Vec<String>),
    /// UEM device groups the UEM does not have.
    UemGroups(Vec<String>),
}

/// The first kind of selected ids that do not exist (Okta groups first), if any: a selection is checked before
/// it is saved or previewed. Errors: Okta or the UEM failing.
pub async fn unknown_selected(src: &Sources, sel: &Selection) -> Result<Option<Unknown>, Error> {
    if !sel.okta_group_ids.is_empty() {
        let known: HashSet<String> = src.okta.list_groups(None).await?.into_iter().map(|g| g.id).collect();
        let unknown = missing(&sel.okta_group_ids, &known);
        if !unknown.is_empty() {
            return Ok(Some(Unknown::OktaGroups(unknown)));
        }
    }
    if !sel.uem_group_ids.is_empty() {
        let known: HashSet<String> = src.uem.device_groups().await?.into_iter().map(|g| g.id).collect();
        let unknown = missing(&sel.uem_group_ids, &known);
        if !unknown.is_empty() {
            return Ok(Some(Unknown::UemGroups(unknown)));
        }
    }
    Ok(None)
}

/// The ids of `selected` not in `known`, in their order.
fn missing(selected: &[String], known: &HashSet<String>) -> Vec<String> {
    selected.iter().filter(|id| !known.contains(*id)).cloned().collect()
}

fn add_users(facts: &mut ScopeFacts, users: &[User]) {
    for u in users {
        facts.add_user(&u.id, &u.status, &u.profile.login, u.profile.email.as_deref());
    }
}

/// What scope is decided from besides the UEM inventory: Okta's side, the selected device groups' members and
/// the platforms switched on.
pub struct Rest {
    facts: ScopeFacts,
    payload_hashes: HashMap<Platform, String>,
    member_groups: HashMap<String, Vec<String>>,
}

impl Rest {
    /// Everything gathered, with the inventory `devices`.
    pub fn with(self, devices: Vec<UemDevice>) -> Gathered {
        Gathered { devices, facts: self.facts, payload_hashes: self.payload_hashes, member_groups: self.member_groups }
    }
}

/// Reads everything scope needs for `sel`: the UEM inventory in one go (see [`gather_rest`] for the rest).
/// Errors: the first of Okta, the UEM or the store that failed.
pub async fn gather(deps: &Deps, tenant: &str, src: &Sources, sel: &Selection) -> Result<Gathered, Error> {
    let devices = async { Ok::<_, Error>(src.uem.devices().await?) };
    let (devices, rest) = futures::try_join!(devices, gather_rest(deps, tenant, src, sel))?;
    Ok(rest.with(devices))
}

/// Reads what scope needs for `sel` besides the UEM inventory.
///
/// Okta, the UEM and the table are independent sources, so they are read at once (`try_join!`, and a caller
/// reads the inventory beside it): Okta's reads are paced by its rate limit (the client waits for each reset),
/// and reading the UEM and the platforms one after the other would add to that wait instead of filling it. Each
/// source keeps its own order (Okta's pages one after another, as before). The first error wins; the other reads
/// are dropped (they only read).
/// Errors: the first of Okta, the UEM or the store that failed.
pub async fn gather_rest(deps: &Deps, tenant: &str, src: &Sources, sel: &Selection) -> Result<Rest, Error> {
    let platforms = async { Ok::<_, Error>(deps.store.list_platforms(tenant).await?) };
    let ((mut facts, member_groups), selected_devices, platforms) =
        futures::try_join!(okta_facts(src, sel), selected_devices(src, sel), platforms)?;
    facts.selected_devices.extend(selected_devices);
    let mut payload_hashes = HashMap::new();
    for p in platforms {
        if p.enabled {
            facts.enabled_platforms.insert(p.platform);
            payload_hashes.insert(p.platform, p.payload_hash.clone());
        }
    }
    Ok(Rest { facts, payload_hashes, member_groups })
}

/// Okta's part of [`gather`]: the org's users (the deprovisioned ones too) and each selected group's members,
/// and the selected groups per member.
async fn okta_facts(src: &Sources, sel: &Selection) -> Result<(ScopeFacts, HashMap<String, Vec<String>>), Error> {
    let mut facts = ScopeFacts::default();
    let users: Vec<User> = src.okta.list_all("api/v1/users?limit=200").await?;
    add_users(&mut facts, &users);
    // Okta's unfiltered list leaves deprovisioned users out; they are still users of the org (owner not active).
    let deprovisioned: Vec<User> =
        src.okta.list_all("api/v1/users?limit=200&search=status%20eq%20%22DEPROVISIONED%22").await?;
    add_users(&mut facts, &deprovisioned);
    let mut member_groups: HashMap<String, Vec<String>> = HashMap::new();
    for g in &sel.okta_group_ids {
        let members = src.okta.list_group_members(g).await?;
        // Members carry status and profile too, including users an unfiltered user list leaves out.
        add_users(&mut facts, &members);
        for m in members {
            member_groups.entry(m.id.clone()).or_default().push(g.clone());
            facts.selected_members.insert(m.id);
        }
    }
    Ok((facts, member_groups))
}

/// The members of each selected device group.
async fn selected_devices(src: &Sources, sel: &Selection) -> Result<Vec<String>, Error> {
    let mut selected = Vec::new();
    for g in &sel.uem_group_ids {
        selected.extend(src.uem.device_group_members(g).await?);
    }
    Ok(selected)
}
