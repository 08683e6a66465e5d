//! The runtimes statements are planned and run on, apart from the one that serves
//! connections, each thread with a stack of known size.
//!
//! Planning and running walk a statement's expression tree by recursion; the depth is bounded
//! ([`crate::pg_compat::MAX_EXPRESSION_DEPTH`]) and these stacks hold several times it, in a
//! debug build too, whatever runtime the server itself was started on. A cancel request or a
//! deadline is still read at once, as operators that hold a worker between yields hold one of
//! these, never one of the connections' runtime.

use std::future::Future;
use std::sync::LazyLock;

use datafusion::error::DataFusionError;
use tokio::runtime::{Builder, Handle, Runtime};

/// The stack of every planning and query thread. Only what is touched is resident.
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

fn build(name: &str) -> Option<Runtime> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .thread_stack_size(STACK_BYTES)
        .enable_all()
        .build()
        .inspect_err(|e| tracing::warn!(error = %e, runtime = name, "no separate runtime"))
        .ok()
}

/// Where queries execute. Falls back to the current runtime if it cannot be built.
pub fn query_runtime() -> Handle {
    static RUNTIME: LazyLock<Option<Runtime>> = LazyLock::new(|| build("callqa-query"));
    RUNTIME
        .as_ref()
        .map_or_else(Handle::current, |r| r.handle().clone())
}

/// Where statements are parsed and planned (kept apart from [`query_runtime`], whose workers
/// a long operator may hold).
fn planning_runtime() -> Handle {
    static RUNTIME: LazyLock<Option<Runtime>> = LazyLock::new(|| build("callqa-plan"));
    RUNTIME
        .as_ref()
        .map_or_else(Handle::current, |r| r.handle().clone())
}

/// Runs `work` (parsing, planning, starting a statement) on the planning runtime.
pub async fn on_planning_stack<T, F>(work: F) -> Result<T, DataFusionError>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    planning_runtime()
        .spawn(work)
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))
}
