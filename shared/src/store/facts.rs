//! What the event hook's consumer keeps of Okta's events, each with the `published` time of the event that
//! wrote it, so an older event never overwrites a newer one and unordered deliveries converge (case C06): a
//! user's membership of a selected group (`GMEMBER#<group>#<user>`), a user's state (`OKTAUSER#<user>`), and the
//! latest change of an Okta device record (`OKTADEVICE#<device>`).

use super::{tenant_pk, Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;

/// Which fact: the kind and the Okta ids it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKey<'a> {
    /// Whether Okta user `user` is a member of group `group` (`true` / `false`).
    Membership { group: &'a str, user: &'a str },
    /// Okta user `user`'s status (`ACTIVE`, `SUSPENDED`, `DEPROVISIONED`, `DELETED`).
    UserStatus { user: &'a str },
    /// The last change of Okta device `device` (the event type and the user it named).
    OktaDevice { device: &'a str },
    /// Okta user `user`'s login and primary email (JSON `{"login": …, "email": …}`), read after a profile update.
    UserProfile { user: &'a str },
}

impl FactKey<'_> {
    /// The fact's sort key.
    fn sk(&self) -> String {
        match self {
            FactKey::Membership { group, user } => format!("GMEMBER#{group}#{user}"),
            FactKey::UserStatus { user } => format!("OKTAUSER#{user}"),
            FactKey::OktaDevice { device } => format!("OKTADEVICE#{device}"),
            FactKey::UserProfile { user } => format!("OKTAPROFILE#{user}"),
        }
    }
}

/// A fact kept by [`Store::keep_fact`]: its value and the `published` text of the event that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub value: String,
    pub published: String,
}

impl Store {
    /// Writes `value` as the fact `key` of `tenant` unless an event with a later `published` (a number as text:
    /// nanoseconds since the epoch) already wrote it. Returns whether it wrote: an older event never overwrites
    /// a newer one, while the same event again (equal `published`: a redelivery after a failed first attempt)
    /// writes again, so its effects can be re-applied.
    pub async fn keep_fact(
        &self,
        tenant: &str,
        key: FactKey<'_>,
        published: &str,
        value: String,
    ) -> Result<bool, StoreError> {
        let mut item = Store::key(&tenant_pk(tenant), &key.sk());
        item.insert("published".into(), AttributeValue::N(published.to_string()));
        item.insert("value".into(), AttributeValue::S(value));
        let newer = [(":p", AttributeValue::N(published.to_string()))];
        self.put_if(item, "attribute_not_exists(pk) OR published <= :p", &newer).await
    }

    /// The newest value of the fact `key` of `tenant` with its `published` text (strongly consistent), if any.
    /// Errors: [`StoreError::Malformed`] for an item without value or published.
    pub async fn fact(&self, tenant: &str, key: FactKey<'_>) -> Result<Option<Fact>, StoreError> {
        let sk = key.sk();
        let Some(item) = self.get_item(&tenant_pk(tenant), &sk, None).await? else { return Ok(None) };
        match (item.get("value"), item.get("published")) {
            (Some(AttributeValue::S(value)), Some(AttributeValue::N(published))) => {
                Ok(Some(Fact { value: value.clone(), published: published.clone() }))
            }
            _ => Err(StoreError::Malformed(format!("fact {sk} without value or published"))),
        }
    }
}
