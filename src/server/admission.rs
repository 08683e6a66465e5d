//! Who gets a connection, for how long it may stay in startup, and how a refused one ends.
//!
//! Connections are counted from `accept`, not from a successful login: a client still in
//! startup holds a slot of `--max-connections` (and one of [`MAX_STARTUPS`] in any mode), and
//! must finish authenticating within [`AUTHENTICATION_TIMEOUT`]. A refused startup (TLS
//! required, wrong password, unknown user, too many clients, a bad startup packet) is sent as
//! `FATAL` and the socket is dropped by the connection's task; nothing after it is read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How long a client may take from `accept` to the end of authentication (Postgres's
/// `authentication_timeout` is 60 s; a login here is one round trip of SCRAM).
pub const AUTHENTICATION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in startup at once, whatever `--max-connections` says: a flood of sockets that
/// never log in is dropped at `accept` beyond this.
pub const MAX_STARTUPS: usize = 256;

/// The slots of a server.
#[derive(Debug)]
pub struct Admission {
    connections: Option<Arc<Semaphore>>,
    startups: Arc<Semaphore>,
}

impl Admission {
    /// At most `max_connections` connections (`None`: no limit) and [`MAX_STARTUPS`] startups.
    pub fn new(max_connections: Option<usize>) -> Self {
        Admission {
            connections: max_connections.map(|n| Arc::new(Semaphore::new(n))),
            startups: Arc::new(Semaphore::new(MAX_STARTUPS)),
        }
    }

    /// The gate of a just-accepted connection, or `None` when too many are in startup (the
    /// socket is then dropped without a word).
    pub fn admit(&self) -> Option<Arc<StartupGate>> {
        let startup = Arc::clone(&self.startups).try_acquire_owned().ok()?;
        let connection = self
            .connections
            .as_ref()
            .map(|slots| Arc::clone(slots).try_acquire_owned());
        let (slot, over_limit) = match connection {
            None => (None, false),
            Some(Ok(permit)) => (Some(permit), false),
            Some(Err(_)) => (None, true),
        };
        Some(Arc::new(StartupGate {
            startup: Mutex::new(Some(startup)),
            slot: Mutex::new(slot),
            over_limit,
            authenticated: AtomicBool::new(false),
            refused: AtomicBool::new(false),
            closed: Notify::new(),
        }))
    }
}

/// The state of one connection's startup, shared by its task and its startup handler.
#[derive(Debug)]
pub struct StartupGate {
    startup: Mutex<Option<OwnedSemaphorePermit>>,
    /// The `--max-connections` slot, held for the life of the connection.
    slot: Mutex<Option<OwnedSemaphorePermit>>,
    over_limit: bool,
    authenticated: AtomicBool,
    refused: AtomicBool,
    closed: Notify,
}

impl StartupGate {
    /// Every slot was taken at accept: the startup must be refused with 53300.
    pub fn over_limit(&self) -> bool {
        self.over_limit
    }

    /// The client authenticated: its startup slot is free, its time limit lifted.
    pub fn authenticated(&self) {
        self.authenticated.store(true, Ordering::SeqCst);
        if let Ok(mut startup) = self.startup.lock() {
            startup.take();
        }
    }

    /// Whether the client has authenticated.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::SeqCst)
    }

    /// The startup was refused (its FATAL error sent): the connection's task drops the socket.
    pub fn refuse(&self) {
        self.refused.store(true, Ordering::SeqCst);
        self.closed.notify_one();
    }

    /// Whether the startup was refused; every later message is ignored.
    pub fn is_refused(&self) -> bool {
        self.refused.load(Ordering::SeqCst)
    }

    /// Completes once [`Self::refuse`] is called.
    pub async fn closed(&self) {
        self.closed.notified().await;
    }

    /// Frees the slots (the connection has ended).
    pub fn release(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            slot.take();
        }
        if let Ok(mut startup) = self.startup.lock() {
            startup.take();
        }
    }
}

/// How long to wait after a failed `accept` (too many open files, say) before the next: from
/// 5 ms doubling to 640 ms, so the loop neither spins nor stalls once descriptors free up.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    /// The pause after one more failure in a row.
    pub fn failed(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let ms = 5u64 << self.failures.min(8).saturating_sub(1);
        Duration::from_millis(ms)
    }

    /// The failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// An accept succeeded.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_second_and_resets() {
        let mut backoff = AcceptBackoff::default();
        let pauses: Vec<u64> = (0..10)
            .map(|_| backoff.failed().as_millis() as u64)
            .collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320, 640, 640, 640]);
        backoff.reset();
        assert_eq!(backoff.failed(), Duration::from_millis(5));
    }

    #[test]
    fn slots_are_counted_from_accept_and_freed_on_release() {
        let admission = Admission::new(Some(1));
        let first = admission.admit().unwrap();
        assert!(!first.over_limit());
        let second = admission.admit().unwrap();
        assert!(second.over_limit(), "the slot is held before any login");
        first.release();
        assert!(!admission.admit().unwrap().over_limit());
    }

    #[test]
    fn startups_beyond_the_bound_are_dropped() {
        let admission = Admission::new(None);
        let held: Vec<_> = (0..MAX_STARTUPS)
            .map(|_| admission.admit().unwrap())
            .collect();
        assert!(admission.admit().is_none());
        held[0].authenticated();
        assert!(
            admission.admit().is_some(),
            "an authenticated client frees its startup slot"
        );
    }
}
