//! The UEM inventory read of a reconciliation, page by page, resumable across invocations. A read that fits one
//! invocation keeps nothing; one that stops (the invocation's deadline, or a test's page budget) keeps the pages
//! it read and where it goes on (the store's `INVENTORY` records), and the next run resumes there instead of
//! starting the fleet's pages again. A page that is still waiting for the UEM's pace when the deadline comes is
//! not sent (see `odt_shared::uem::admitted_by`) and is read by the next run; a page already sent is read to its
//! answer (within half the save margin), so no request is paid for twice.

use super::Budget;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::store::InventoryRead;
use odt_shared::uem::{admitted_by, join_owners, InventoryCursor, InventoryPage, Uem, UemDevice, UemError};
use std::time::{Duration, Instant};

/// Time kept before the deadline to save the pages read (a PutItem each).
pub const SAVE_MARGIN: Duration = Duration::from_secs(5);
/// More pages than this in one read is a loop (100,000 devices and their owners are 2,000).
const MAX_PAGES: usize = 40_000;

/// The time left before `deadline`, less `margin` (`None`: no deadline).
pub(super) fn left(deadline: Option<Instant>, margin: Duration) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()).saturating_sub(margin))
}

/// A read of the inventory: the pages read so far (kept ones first) and where it goes on.
pub struct Inventory {
    tenant: String,
    /// The kept read this one resumed, if any.
    kept: Option<InventoryRead>,
    pages: Vec<InventoryPage>,
    /// Where the read goes on; `None`: read to its end.
    at: Option<InventoryCursor>,
    started_at: i64,
}

impl Inventory {
    /// The tenant's read: the kept one resumed (its pages loaded), or a new one. Errors: the store failing.
    pub async fn resume(deps: &Deps, tenant: &str) -> Result<Inventory, Error> {
        let kept = deps.store.get_inventory_read(tenant).await?;
        let (pages, at, started_at) = match &kept {
            Some(r) => (deps.store.inventory_pages(tenant, r).await?, r.cursor.clone(), r.started_at),
            None => (Vec::new(), Some(InventoryCursor::default()), deps.clock.now().unix_timestamp()),
        };
        Ok(Inventory { tenant: tenant.to_string(), kept, pages, at, started_at })
    }

    /// Whether this read went on from one an earlier invocation kept (its pages were read at other times, so a
    /// device it did not list may only have moved between pages).
    pub fn spanned(&self) -> bool {
        self.kept.is_some()
    }

    /// Whether every page is read.
    pub fn complete(&self) -> bool {
        self.at.is_none()
    }

    /// Pages read so far, in every invocation of this read.
    pub fn pages(&self) -> usize {
        self.pages.len()
    }

    /// Reads pages from `uem` until the end, `budget`'s deadline (less [`SAVE_MARGIN`]) or its page budget.
    /// Errors: the UEM failing (the pages read so far are kept first, best effort), a read longer than
    /// [`MAX_PAGES`].
    pub async fn read(&mut self, deps: &Deps, uem: &dyn Uem, budget: &Budget) -> Result<(), Error> {
        let mut read = 0;
        while let Some(at) = self.at.clone() {
            if budget.max_pages.is_some_and(|m| read >= m) {
                return Ok(());
            }
            let page = match (budget.deadline, left(budget.deadline, SAVE_MARGIN / 2)) {
                (Some(deadline), Some(hard)) => {
                    let by = deadline.checked_sub(SAVE_MARGIN).unwrap_or_else(Instant::now);
                    match tokio::time::timeout(hard, admitted_by(by, uem.inventory_page(&at))).await {
                        Ok(Err(UemError::PastDeadline)) | Err(_) => return Ok(()),
                        Ok(page) => page,
                    }
                }
                _ => uem.inventory_page(&at).await,
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    if let Err(kept) = self.keep(deps).await {
                        tracing::warn!(tenant = self.tenant, error = %kept, "the inventory pages read could not be kept");
                    }
                    return Err(e.into());
                }
            };
            self.at = page.next.clone();
            self.pages.push(page);
            read += 1;
            if self.pages.len() > MAX_PAGES {
                return Err(odt_shared::uem::UemError::Protocol("the inventory's pages loop".into()).into());
            }
        }
        Ok(())
    }

    /// Keeps the pages read in this invocation and where the read goes on, for the next run. Errors: the store
    /// failing, or another writer having moved the kept read (a conflict).
    pub async fn keep(&mut self, deps: &Deps) -> Result<(), Error> {
        let kept = self.kept.as_ref().map_or(0, |r| r.pages);
        let now = deps.clock.now().unix_timestamp();
        let new = &self.pages[kept as usize..];
        let read = deps.store.keep_inventory(&self.tenant, kept, new, self.at.as_ref(), self.started_at, now).await?;
        self.kept = Some(read);
        Ok(())
    }

    /// The devices read (each once, owners joined).
    pub fn devices(&self) -> Vec<UemDevice> {
        join_owners(self.pages.iter().cloned())
    }

    /// Forgets the kept read (its reconciliation is complete). Errors: the store failing.
    pub async fn forget(self, deps: &Deps) -> Result<(), Error> {
        if let Some(r) = &self.kept {
            deps.store.delete_inventory(&self.tenant, r).await?;
        }
        Ok(())
    }
}
