//! The per-query memory limit: each query gets a view of the server's global pool that also
//! counts what this query holds, so one query cannot take all of the memory from the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::common::{Result, resources_datafusion_err};
use datafusion::execution::memory_pool::{
    FairSpillPool, MemoryConsumer, MemoryPool, MemoryReservation,
};

/// A query's share of the global pool: every reservation counts against both. Inside its
/// share the query's operators divide memory as in the global pool (a fair spill pool), so a
/// sort still spills early enough to leave room for its merge.
#[derive(Debug)]
pub struct QueryPool {
    global: Arc<dyn MemoryPool>,
    local: FairSpillPool,
    limit: usize,
    used: AtomicUsize,
}

impl QueryPool {
    /// A query over `global` allowed at most `limit` bytes.
    pub fn new(global: Arc<dyn MemoryPool>, limit: usize) -> Self {
        QueryPool {
            global,
            local: FairSpillPool::new(limit),
            limit,
            used: AtomicUsize::new(0),
        }
    }
}

impl std::fmt::Display for QueryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "query pool: {} of {} bytes, within {}",
            self.used.load(Ordering::Relaxed),
            self.limit,
            self.global
        )
    }
}

impl MemoryPool for QueryPool {
    fn name(&self) -> &str {
        "callqa query pool"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.local.register(consumer);
        self.global.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.local.unregister(consumer);
        self.global.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.local.grow(reservation, additional);
        self.global.grow(reservation, additional);
        self.used.fetch_add(additional, Ordering::Relaxed);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.local.shrink(reservation, shrink);
        self.global.shrink(reservation, shrink);
        self.used.fetch_sub(shrink, Ordering::Relaxed);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let before = self.used.load(Ordering::Relaxed);
        if self.local.try_grow(reservation, additional).is_err() {
            return Err(resources_datafusion_err!(
                "Failed to allocate additional {additional} bytes for {}: this query already holds \
                 {before} bytes and the per-query memory limit is {} bytes (--query-memory-limit)",
                reservation.consumer().name(),
                self.limit
            ));
        }
        if let Err(e) = self.global.try_grow(reservation, additional) {
            self.local.shrink(reservation, additional);
            return Err(e);
        }
        self.used.fetch_add(additional, Ordering::Relaxed);
        Ok(())
    }

    fn reserved(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}
