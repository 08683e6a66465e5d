//! A short-lived cache of query results, for dashboards whose viewers send the very same
//! SELECT within seconds of each other.
//!
//! An entry is the Arrow batches a query produced, before wire encoding, so text and binary
//! clients share it and the session time zone still applies on the way out. It is keyed by
//! the bound logical plan and what of the session changes the answer (role, time zone, every
//! DataFusion setting), and stamped with the data version it was computed from: the size,
//! modification time and identity of every visible Parquet file of a local data root, and the
//! active QA rule set. A lookup whose version differs misses, so a new file or a rule reload
//! is seen by the next query. Object-store roots are not cached (no cheap version to check).
//!
//! Plans that may answer differently when run again are never cached: volatile functions
//! (`random()`, `uuid()`, …), functions of the current time (DataFusion folds `now()` into a
//! literal only when it optimizes, after the key is taken), EXPLAIN, and the catalog views
//! whose rows are the session's own (`pg_prepared_statements`). A miss streams its
//! batches to the client as they come and keeps a copy, stored only if the stream ended
//! without error and stayed under the per-entry limit. Nothing here logs SQL or row values.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use callqa_udfs::qa::matcher::CompiledRules;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::Result as DfResult;
use datafusion::execution::SessionState;
use datafusion::logical_expr::{LogicalPlan, Volatility};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{RecordBatchStream, SendableRecordBatchStream};
use datafusion::prelude::Expr;
use futures::Stream;

use crate::engine::Engine;
use crate::users::Role;

/// The name of `SHOW callqa.result_cache` (the parser hands SHOW its words without dots).
pub const STATS_NAME: &str = "callqa.result_cache";

/// Functions whose answer depends on when the query runs; DataFusion marks them `Stable`.
const TIME_FUNCTIONS: [&str; 7] = [
    "now",
    "current_timestamp",
    "current_date",
    "today",
    "current_time",
    "localtime",
    "localtimestamp",
];

/// Fixed cost charged per entry besides its batches (map slots, plan, schema).
const ENTRY_OVERHEAD: usize = 1024;

/// How long and how much identical queries are answered from memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultCacheConfig {
    /// How long an entry answers (zero: the cache is off).
    pub ttl: Duration,
    /// Arrow memory all entries may hold together.
    pub max_bytes: usize,
}

impl Default for ResultCacheConfig {
    /// 5 seconds, 256 MiB: `callqa serve`'s defaults.
    fn default() -> Self {
        ResultCacheConfig {
            ttl: Duration::from_millis(crate::config::DEFAULT_RESULT_CACHE_TTL_MS),
            max_bytes: crate::config::DEFAULT_RESULT_CACHE_MB * 1024 * 1024,
        }
    }
}

impl ResultCacheConfig {
    /// A result larger than this is streamed but not kept: a sixteenth of the cache, so one
    /// export cannot flush every dashboard panel (16 MiB of the default 256 MiB).
    fn max_entry_bytes(&self) -> usize {
        self.max_bytes / 16
    }
}

/// Whether `SHOW name` asks for the cache's counters.
pub fn is_stats_name(name: &str) -> bool {
    let words: Vec<&str> = name
        .split(|c: char| c == '.' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    matches!(words.as_slice(), [a, b] if a.eq_ignore_ascii_case("callqa")
        && b.eq_ignore_ascii_case("result_cache"))
}

/// What of the session, besides the plan, decides a query's answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scope {
    /// Analysts may read through the redacting catalog; roles never share entries.
    analyst: bool,
    /// The Postgres `TimeZone` setting.
    time_zone: Option<String>,
    /// Every DataFusion setting of the session (`datafusion.execution.time_zone`, …), hashed.
    settings: u64,
}

/// The key of an entry: the bound plan (compared structurally, so no two different plans
/// can share a key however their literals print) and its scope.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    plan: LogicalPlan,
    scope: Scope,
}

/// The data a result was computed from.
#[derive(Debug, Clone)]
struct DataVersion {
    /// Hash of (path, length, modification time, inode) of every visible Parquet file.
    files: u64,
    /// The rule set in force; held so its address cannot be reused while an entry lives.
    rules: Arc<CompiledRules>,
}

impl DataVersion {
    fn same_as(&self, other: &DataVersion) -> bool {
        self.files == other.files && Arc::ptr_eq(&self.rules, &other.rules)
    }
}

#[derive(Debug)]
struct Entry {
    schema: SchemaRef,
    batches: Arc<[RecordBatch]>,
    version: DataVersion,
    /// When the lookup that produced it began: the entry is never younger than its data.
    born: Instant,
    bytes: usize,
    seq: u64,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Arc<CacheKey>, Entry>,
    /// Insertion order, oldest first; an item whose `seq` no longer matches its entry was
    /// replaced and is skipped.
    order: VecDeque<(u64, Arc<CacheKey>)>,
    bytes: usize,
    next_seq: u64,
}

impl Entries {
    fn remove(&mut self, key: &CacheKey) {
        if let Some(entry) = self.map.remove(key) {
            self.bytes = self.bytes.saturating_sub(entry.bytes);
        }
    }

    /// Drops replaced and expired items from the front, then the oldest entries until
    /// `incoming` more bytes fit in `max_bytes`.
    fn make_room(&mut self, now: Instant, ttl: Duration, incoming: usize, max_bytes: usize) {
        while let Some((seq, key)) = self.order.front() {
            let evict = match self.map.get(key.as_ref()) {
                Some(entry) if entry.seq == *seq => {
                    now.duration_since(entry.born) >= ttl
                        || self.bytes.saturating_add(incoming) > max_bytes
                }
                _ => true, // replaced or already removed
            };
            if !evict {
                break;
            }
            if let Some((seq, key)) = self.order.pop_front()
                && self.map.get(key.as_ref()).is_some_and(|e| e.seq == seq)
            {
                self.remove(&key);
            }
        }
    }
}

/// The server's result cache, shared by every connection.
#[derive(Debug)]
pub struct ResultCache {
    config: ResultCacheConfig,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
    uncacheable: AtomicU64,
    too_large: AtomicU64,
}

/// What a lookup found.
pub enum Cached {
    /// The answer, from memory.
    Hit(SendableRecordBatchStream),
    /// Not there: run the query and pass its stream through [`Pending::tee`].
    Miss(Pending),
    /// The cache is off, or this query must run every time.
    Skip,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cached::Hit(_) => "Hit",
            Cached::Miss(_) => "Miss",
            Cached::Skip => "Skip",
        })
    }
}

/// A miss waiting for its result.
#[derive(Debug)]
pub struct Pending {
    cache: Arc<ResultCache>,
    key: Arc<CacheKey>,
    version: DataVersion,
    born: Instant,
}

impl ResultCache {
    /// An empty cache.
    pub fn new(config: ResultCacheConfig) -> Self {
        ResultCache {
            config,
            entries: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            uncacheable: AtomicU64::new(0),
            too_large: AtomicU64::new(0),
        }
    }

    fn enabled(&self) -> bool {
        !self.config.ttl.is_zero() && self.config.max_bytes > 0
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // A panic mid-update can at worst leave the byte count off; the map is still valid.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Looks `plan` (parameters bound) up for a session in `state` of `role`.
    pub async fn lookup(
        self: &Arc<Self>,
        engine: &Engine,
        plan: &LogicalPlan,
        state: &SessionState,
        role: Role,
        time_zone: Option<&str>,
    ) -> Cached {
        if !self.enabled() {
            return Cached::Skip;
        }
        let born = Instant::now();
        if !is_cacheable(plan) {
            self.uncacheable.fetch_add(1, Ordering::Relaxed);
            return Cached::Skip;
        }
        let Some(version) = data_version(engine).await else {
            self.uncacheable.fetch_add(1, Ordering::Relaxed);
            return Cached::Skip;
        };
        let key = CacheKey {
            plan: plan.clone(),
            scope: Scope {
                analyst: role == Role::Analyst,
                time_zone: time_zone.map(str::to_owned),
                settings: settings_hash(state),
            },
        };
        {
            let mut entries = self.entries();
            let found = entries.map.get(&key).map(|entry| {
                let fresh = born.duration_since(entry.born) < self.config.ttl
                    && entry.version.same_as(&version);
                (fresh, Arc::clone(&entry.schema), Arc::clone(&entry.batches))
            });
            match found {
                Some((true, schema, batches)) => {
                    drop(entries);
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(batches = batches.len(), "result cache hit");
                    let batches: Vec<DfResult<RecordBatch>> =
                        batches.iter().cloned().map(Ok).collect();
                    return Cached::Hit(Box::pin(RecordBatchStreamAdapter::new(
                        schema,
                        futures::stream::iter(batches),
                    )));
                }
                // Stale: the data changed or it expired; it can never answer again.
                Some((false, _, _)) => entries.remove(&key),
                None => {}
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Cached::Miss(Pending {
            cache: Arc::clone(self),
            key: Arc::new(key),
            version,
            born,
        })
    }

    fn insert(&self, pending: Pending, schema: SchemaRef, batches: Vec<RecordBatch>, bytes: usize) {
        let now = Instant::now();
        if now.duration_since(pending.born) >= self.config.ttl {
            return; // the query ran longer than an entry lives
        }
        let bytes = bytes.saturating_add(ENTRY_OVERHEAD);
        let mut entries = self.entries();
        entries.remove(&pending.key);
        entries.make_room(now, self.config.ttl, bytes, self.config.max_bytes);
        let seq = entries.next_seq;
        entries.next_seq += 1;
        entries.bytes = entries.bytes.saturating_add(bytes);
        entries.order.push_back((seq, Arc::clone(&pending.key)));
        entries.map.insert(
            pending.key,
            Entry {
                schema,
                batches: batches.into(),
                version: pending.version,
                born: pending.born,
                bytes,
                seq,
            },
        );
        tracing::debug!(bytes, entries = entries.map.len(), "result cached");
    }

    /// One line of counters: `hits=3 misses=5 uncacheable=1 too_large=0 entries=2
    /// bytes=12345 ttl_ms=5000 max_bytes=268435456`.
    pub fn stats_line(&self) -> String {
        let (entries, bytes) = {
            let entries = self.entries();
            (entries.map.len(), entries.bytes)
        };
        format!(
            "hits={} misses={} uncacheable={} too_large={} entries={entries} bytes={bytes} \
             ttl_ms={} max_bytes={}",
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
            self.uncacheable.load(Ordering::Relaxed),
            self.too_large.load(Ordering::Relaxed),
            self.config.ttl.as_millis(),
            self.config.max_bytes,
        )
    }
}

impl Pending {
    /// Passes `batches` through unchanged, keeping a copy that becomes the entry when the
    /// stream ends cleanly.
    pub fn tee(self, batches: SendableRecordBatchStream) -> SendableRecordBatchStream {
        let limit = self.cache.config.max_entry_bytes();
        Box::pin(Tee {
            inner: batches,
            copy: Some(Kept {
                pending: self,
                batches: Vec::new(),
                bytes: 0,
                limit,
            }),
        })
    }
}

#[derive(Debug)]
struct Kept {
    pending: Pending,
    batches: Vec<RecordBatch>,
    bytes: usize,
    limit: usize,
}

/// The stream of a miss: the query's batches, copied aside until they grow too large.
struct Tee {
    inner: SendableRecordBatchStream,
    /// `None` once given up (too large, an error) or stored.
    copy: Option<Kept>,
}

impl Stream for Tee {
    type Item = DfResult<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(batch))) => {
                if let Some(copy) = self.copy.as_mut() {
                    copy.bytes = copy.bytes.saturating_add(batch.get_array_memory_size());
                    if copy.bytes > copy.limit {
                        copy.pending.cache.too_large.fetch_add(1, Ordering::Relaxed);
                        self.copy = None;
                    } else {
                        copy.batches.push(batch.clone());
                    }
                }
            }
            // A failed query leaves nothing behind.
            Poll::Ready(Some(Err(_))) => self.copy = None,
            Poll::Ready(None) => {
                if let Some(copy) = self.copy.take() {
                    let schema = self.inner.schema();
                    let cache = Arc::clone(&copy.pending.cache);
                    cache.insert(copy.pending, schema, copy.batches, copy.bytes);
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}

impl RecordBatchStream for Tee {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

/// Whether running `plan` again on the same data gives the same rows.
fn is_cacheable(plan: &LogicalPlan) -> bool {
    if matches!(
        plan,
        LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Copy(_)
    ) {
        return false;
    }
    !crate::planner::plan_exprs::any_expr(plan, changes_between_runs) && !reads_session_view(plan)
}

/// Whether the plan reads a catalog view whose rows are the session's own
/// (`pg_prepared_statements`, `pg_cursors`): another session must not get them.
fn reads_session_view(plan: &LogicalPlan) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut found = false;
    // The closure never fails, so the traversal cannot either.
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && crate::pg_compat::catalog::SESSION_VIEWS.contains(&scan.table_name.table())
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// A volatile function (scalar, aggregate or window) or one of the current time.
fn changes_between_runs(expr: &Expr) -> bool {
    let (name, volatility) = match expr {
        Expr::ScalarFunction(f) => (f.name(), f.func.signature().volatility),
        Expr::AggregateFunction(f) => (f.func.name(), f.func.signature().volatility),
        Expr::WindowFunction(f) => (f.fun.name(), f.fun.signature().volatility),
        _ => return false,
    };
    volatility == Volatility::Volatile || TIME_FUNCTIONS.contains(&name)
}

/// The version of the data a query would read now; `None` when it cannot be told cheaply
/// (object storage) or a folder cannot be read.
async fn data_version(engine: &Engine) -> Option<DataVersion> {
    // Rules first: a reload racing with the listing then at worst makes the entry stale.
    let rules = engine.rules().current();
    let files = engine.files_fingerprint().await?;
    Some(DataVersion { files, rules })
}

/// Hash of every DataFusion setting of the session, defaults included.
fn settings_hash(state: &SessionState) -> u64 {
    let mut hasher = DefaultHasher::new();
    for entry in state.config_options().entries() {
        entry.key.hash(&mut hasher);
        entry.value.hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::SessionContext;

    async fn plan(sql: &str) -> LogicalPlan {
        let ctx = SessionContext::new();
        ctx.sql("create table t as values (1), (2)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        ctx.state().create_logical_plan(sql).await.unwrap()
    }

    #[tokio::test]
    async fn volatile_and_time_functions_are_not_cacheable() {
        assert!(is_cacheable(&plan("select count(*) from t").await));
        assert!(!is_cacheable(&plan("select random()").await));
        assert!(!is_cacheable(&plan("select now()").await));
        assert!(!is_cacheable(&plan("select current_date").await));
        assert!(!is_cacheable(
            &plan("select * from t where column1 > (select random())").await
        ));
        assert!(!is_cacheable(&plan("explain select 1").await));
    }

    #[tokio::test]
    async fn plans_differing_only_inside_a_subquery_are_different_keys() {
        let a = plan("select * from t where column1 in (select column1 from t where column1 = 1)")
            .await;
        let b = plan("select * from t where column1 in (select column1 from t where column1 = 2)")
            .await;
        assert_ne!(a, b);
        // Literals print unquoted: these two plans print the same, yet are different keys.
        let quoted = plan(r#"select 'a") AS b, Utf8("c' as v"#).await;
        let other = plan(r#"select 'a' as b, 'c' as v"#).await;
        assert_eq!(
            quoted.display_indent().to_string(),
            other.display_indent().to_string()
        );
        assert_ne!(quoted, other);
    }

    #[test]
    fn stats_name_is_recognised_with_or_without_the_dot() {
        assert!(is_stats_name("callqa result_cache"));
        assert!(is_stats_name("CALLQA.RESULT_CACHE"));
        assert!(!is_stats_name("result_cache"));
        assert!(!is_stats_name("callqa"));
    }

    fn batch(rows: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1_i64; rows]))]).unwrap()
    }

    #[tokio::test]
    async fn oldest_entries_are_evicted_to_stay_within_the_budget() {
        let cache = Arc::new(ResultCache::new(ResultCacheConfig {
            ttl: Duration::from_secs(60),
            max_bytes: 3 * (ENTRY_OVERHEAD + batch(100).get_array_memory_size()),
        }));
        let rules = Arc::new(CompiledRules::compile(Vec::new()).unwrap());
        for n in 0..5 {
            let pending = Pending {
                cache: Arc::clone(&cache),
                key: Arc::new(CacheKey {
                    plan: plan(&format!("select {n}")).await,
                    scope: Scope {
                        analyst: false,
                        time_zone: None,
                        settings: 0,
                    },
                }),
                version: DataVersion {
                    files: 1,
                    rules: Arc::clone(&rules),
                },
                born: Instant::now(),
            };
            let b = batch(100);
            let bytes = b.get_array_memory_size();
            cache.insert(pending, b.schema(), vec![b], bytes);
        }
        let entries = cache.entries();
        assert_eq!(entries.map.len(), 3);
        assert!(entries.bytes <= cache.config.max_bytes);
        assert_eq!(entries.order.front().map(|(seq, _)| *seq), Some(2));
    }
}
