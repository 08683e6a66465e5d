//! Ending a running query: Postgres cancel requests and `statement_timeout`.
//!
//! pgwire can only interrupt the planning phase; most of a query's time is spent while its
//! rows stream. So the row stream itself watches the connection's [`Interrupt`] and the
//! statement deadline, and ends with SQLSTATE 57014 when either fires; dropping the stream
//! stops DataFusion's work.

use std::collections::HashMap;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use futures::stream::{self, Stream, StreamExt};
use pgwire::api::ConnectionManager;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::results::FieldInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::data::DataRow;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::errors::{pg_error, user_error};
use crate::pg_compat::sqlstate;

/// A connection's cancel signal: each cancel request bumps the epoch.
#[derive(Debug, Default)]
pub struct Interrupt {
    epoch: AtomicU64,
    notify: Notify,
}

impl Interrupt {
    /// The current epoch; a query remembers it when it starts.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Cancels whatever query is running now.
    pub fn cancel(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.notify.notify_waiters();
    }

    /// Completes once a cancel arrives after `epoch`.
    pub async fn cancelled_since(&self, epoch: u64) {
        loop {
            let mut notified = pin!(self.notify.notified());
            notified.as_mut().enable();
            if self.epoch() != epoch {
                return;
            }
            notified.await;
        }
    }
}

type Key = (i32, Bytes);

/// Cancel requests by (pid, secret key): ours end streaming queries, pgwire's end planning.
#[derive(Debug)]
pub struct Interrupts {
    pgwire: Arc<ConnectionManager>,
    live: Mutex<HashMap<Key, Weak<Interrupt>>>,
}

impl Interrupts {
    /// A registry that also forwards cancel requests to pgwire's connection manager.
    pub fn new(pgwire: Arc<ConnectionManager>) -> Self {
        Interrupts {
            pgwire,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// Registers a connection; it is forgotten once its `Interrupt` is dropped.
    pub fn register(&self, key: Key) -> Arc<Interrupt> {
        let interrupt = Arc::new(Interrupt::default());
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.retain(|_, weak| weak.strong_count() > 0);
        live.insert(key, Arc::downgrade(&interrupt));
        interrupt
    }
}

#[async_trait]
impl CancelHandler for Interrupts {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let key = (request.pid, request.secret_key.to_bytes());
        let target = {
            let live = self
                .live
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            live.get(&key).and_then(Weak::upgrade)
        };
        if let Some(interrupt) = target {
            tracing::info!(pid = request.pid, "cancel request");
            interrupt.cancel();
        }
        self.pgwire.cancel(request.pid, &request.secret_key).await;
    }
}

/// Why a statement was ended early.
pub fn canceled_by_user() -> PgWireError {
    user_error(
        sqlstate::QUERY_CANCELED,
        "canceling statement due to user request",
    )
}

/// The statement ran past `statement_timeout`.
pub fn timed_out() -> PgWireError {
    user_error(
        sqlstate::QUERY_CANCELED,
        "canceling statement due to statement timeout",
    )
}

/// Encodes a record batch stream as Postgres rows, ending it with 57014 on cancel or deadline.
///
/// The query runs in its own task and hands batches over a small channel, so the connection
/// task can answer a cancel or a deadline at once even while an operator computes for a long
/// time without yielding; ending the stream aborts that task.
/// `explain` may add context to an error of the query (for example which file is unreadable).
pub fn guarded_rows(
    batches: SendableRecordBatchStream,
    fields: Arc<Vec<FieldInfo>>,
    interrupt: Arc<Interrupt>,
    epoch: u64,
    deadline: Option<Instant>,
    explain: impl Fn(DataFusionError) -> DataFusionError + Send + 'static,
) -> impl Stream<Item = PgWireResult<DataRow>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let producer = super::runtimes::query_runtime().spawn(async move {
        let mut batches = batches;
        while let Some(batch) = batches.next().await {
            if tx.send(batch.map_err(&explain)).await.is_err() {
                break; // the client side is gone
            }
        }
    });
    let state = Some((rx, interrupt, AbortOnDrop(producer)));
    stream::unfold(state, move |state| async move {
        let (mut rx, interrupt, producer) = state?;
        let next = async {
            tokio::select! {
                batch = rx.recv() => batch.map(|b| b.map_err(|e| pg_error(&e))),
                () = interrupt.cancelled_since(epoch) => Some(Err(canceled_by_user())),
                () = sleep_until(deadline) => Some(Err(timed_out())),
            }
        };
        match next.await {
            None => None,
            Some(Ok(batch)) => Some((Ok(batch), Some((rx, interrupt, producer)))),
            // After an error the stream ends; dropping the producer aborts the query.
            Some(Err(e)) => Some((Err(e), None)),
        }
    })
    .flat_map(move |batch| {
        let rows: Box<dyn Iterator<Item = PgWireResult<DataRow>> + Send> = match batch {
            Ok(batch) => arrow_pg::datatypes::encode_recordbatch(Arc::clone(&fields), batch),
            Err(e) => Box::new(std::iter::once(Err(e))),
        };
        stream::iter(rows)
    })
}

/// Aborts the query task when the row stream is dropped (finished, failed or abandoned).
#[derive(Debug)]
pub(super) struct AbortOnDrop(pub(super) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancel_after_the_start_ends_the_wait_and_earlier_ones_do_not() {
        let interrupt = Arc::new(Interrupt::default());
        interrupt.cancel(); // before the query: no effect on it
        let epoch = interrupt.epoch();
        let waiter = tokio::spawn({
            let interrupt = Arc::clone(&interrupt);
            async move { interrupt.cancelled_since(epoch).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        interrupt.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
    }
}
