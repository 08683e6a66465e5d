//! PostgreSQL's session-level advisory locks: `pg_advisory_lock`, `pg_try_advisory_lock`,
//! `pg_advisory_unlock` (each by one `bigint` key or by two `int` keys) and
//! `pg_advisory_unlock_all()`.
//!
//! Advisory locks guard nothing in the database; applications use them to coordinate among
//! themselves (one migration runner, one report job), and connection pools release them when
//! a connection goes back to the pool (asyncpg's reset runs `pg_advisory_unlock_all()`). They
//! are kept as Postgres keeps them: one process-wide table, each lock held by one session
//! with a re-entry count, released by unlock, by unlock-all or when the session ends.
//!
//! One difference, on purpose: a query never waits for a lock. `pg_advisory_lock` on a key
//! another session holds fails at once with 55P03 (`lock_not_available`, what Postgres
//! answers when `lock_timeout` expires) instead of parking a query thread that neither a
//! cancel request nor `statement_timeout` could then free. Shared (`_shared`) and
//! transaction-scoped (`_xact_`) variants are not provided.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, NullArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

/// A lock key: Postgres keeps the one-`bigint` and the two-`int` key spaces apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LockKey {
    Single(i64),
    Pair(i32, i32),
}

/// Who holds a lock and how many times (locks are re-entrant per session).
#[derive(Debug)]
struct Holder {
    session: u64,
    count: u64,
}

/// Every advisory lock of the process.
static LOCKS: LazyLock<Mutex<HashMap<LockKey, Holder>>> = LazyLock::new(Mutex::default);

fn locks() -> MutexGuard<'static, HashMap<LockKey, Holder>> {
    // The table stays consistent under every operation below; a panic elsewhere cannot
    // leave it half-updated.
    LOCKS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One session's identity in the lock table; its locks are released when it is dropped
/// (with the session's functions, when the connection ends).
#[derive(Debug)]
struct SessionLocks {
    id: u64,
}

impl SessionLocks {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        SessionLocks {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Takes the lock unless another session holds it.
    fn try_lock(&self, key: LockKey) -> bool {
        let mut table = locks();
        let holder = table.entry(key).or_insert(Holder {
            session: self.id,
            count: 0,
        });
        if holder.session != self.id {
            return false;
        }
        holder.count += 1;
        true
    }

    /// Releases one hold of the lock; false when this session does not hold it.
    fn unlock(&self, key: LockKey) -> bool {
        let mut table = locks();
        match table.get_mut(&key) {
            Some(holder) if holder.session == self.id => {
                holder.count -= 1;
                if holder.count == 0 {
                    table.remove(&key);
                }
                true
            }
            _ => false,
        }
    }

    fn unlock_all(&self) {
        locks().retain(|_, holder| holder.session != self.id);
    }
}

impl Drop for SessionLocks {
    fn drop(&mut self) {
        self.unlock_all();
    }
}

/// What a function does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Operation {
    Lock,
    TryLock,
    Unlock,
    UnlockAll,
}

/// One advisory-lock function bound to one session.
#[derive(Debug)]
struct AdvisoryLockFunc {
    name: &'static str,
    operation: Operation,
    signature: Signature,
    session: Arc<SessionLocks>,
}

impl PartialEq for AdvisoryLockFunc {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.session.id == other.session.id
    }
}

impl Eq for AdvisoryLockFunc {}

impl Hash for AdvisoryLockFunc {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.session.id.hash(state);
    }
}

impl AdvisoryLockFunc {
    fn new(name: &'static str, operation: Operation, session: &Arc<SessionLocks>) -> Self {
        let signature = if operation == Operation::UnlockAll {
            Signature::exact(vec![], Volatility::Volatile)
        } else {
            // `(bigint)` or `(int, int)`; both arrive as Int64 and the pair is range-checked.
            Signature::one_of(
                vec![
                    TypeSignature::Uniform(1, vec![DataType::Int64]),
                    TypeSignature::Uniform(2, vec![DataType::Int64]),
                ],
                Volatility::Volatile,
            )
        };
        AdvisoryLockFunc {
            name,
            operation,
            signature,
            session: Arc::clone(session),
        }
    }

    /// The lock keys of every row; `None` where an argument is NULL.
    fn keys(&self, args: &[ColumnarValue], rows: usize) -> Result<Vec<Option<LockKey>>> {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let columns = arrays
            .iter()
            .map(|a| a.as_primitive_opt::<Int64Type>())
            .collect::<Option<Vec<_>>>();
        let Some(columns) = columns else {
            return exec_err!("{}: lock keys must be integers", self.name);
        };
        (0..rows)
            .map(|row| match columns.as_slice() {
                [key] => Ok(key.is_valid(row).then(|| LockKey::Single(key.value(row)))),
                [a, b] if a.is_valid(row) && b.is_valid(row) => {
                    let (Ok(a), Ok(b)) = (i32::try_from(a.value(row)), i32::try_from(b.value(row)))
                    else {
                        return exec_err!("{}: integer out of range", self.name);
                    };
                    Ok(Some(LockKey::Pair(a, b)))
                }
                [_, _] => Ok(None),
                _ => exec_err!("{}: expects one bigint or two int keys", self.name),
            })
            .collect()
    }
}

impl ScalarUDFImpl for AdvisoryLockFunc {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.operation {
            // Postgres returns `void`: no value.
            Operation::Lock | Operation::UnlockAll => DataType::Null,
            Operation::TryLock | Operation::Unlock => DataType::Boolean,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if scalar { 1 } else { args.number_rows };
        let result: ArrayRef = match self.operation {
            Operation::UnlockAll => {
                self.session.unlock_all();
                Arc::new(NullArray::new(rows))
            }
            Operation::Lock => {
                for key in self.keys(&args.args, rows)?.into_iter().flatten() {
                    if !self.session.try_lock(key) {
                        return Err(datafusion::error::DataFusionError::External(Box::new(
                            LockNotAvailable(key),
                        )));
                    }
                }
                Arc::new(NullArray::new(rows))
            }
            Operation::TryLock | Operation::Unlock => {
                let keys = self.keys(&args.args, rows)?;
                let done: BooleanArray = keys
                    .into_iter()
                    .map(|key| {
                        key.map(|key| match self.operation {
                            Operation::TryLock => self.session.try_lock(key),
                            _ => self.session.unlock(key),
                        })
                    })
                    .collect();
                Arc::new(done)
            }
        };
        if scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                result.as_ref(),
                0,
            )?));
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// `pg_advisory_lock` found the key held by another session.
#[derive(Debug)]
pub struct LockNotAvailable(LockKey);

impl std::fmt::Display for LockNotAvailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = match self.0 {
            LockKey::Single(k) => k.to_string(),
            LockKey::Pair(a, b) => format!("{a}, {b}"),
        };
        write!(
            f,
            "could not obtain advisory lock ({key}): another session holds it \
             (callqa does not wait for advisory locks; use pg_try_advisory_lock)"
        )
    }
}

impl std::error::Error for LockNotAvailable {}

/// Registers the advisory-lock functions of one session in `ctx`.
pub fn register(ctx: &SessionContext) {
    let session = Arc::new(SessionLocks::new());
    for (name, operation) in [
        ("pg_advisory_lock", Operation::Lock),
        ("pg_try_advisory_lock", Operation::TryLock),
        ("pg_advisory_unlock", Operation::Unlock),
        ("pg_advisory_unlock_all", Operation::UnlockAll),
    ] {
        ctx.register_udf(ScalarUDF::from(AdvisoryLockFunc::new(
            name, operation, &session,
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::{LockKey, SessionLocks};

    #[test]
    fn locks_are_reentrant_per_session_and_exclusive_between_sessions() {
        let (a, b) = (SessionLocks::new(), SessionLocks::new());
        let key = LockKey::Single(-7_001);
        assert!(a.try_lock(key));
        assert!(a.try_lock(key), "re-entrant");
        assert!(!b.try_lock(key));
        assert!(!b.unlock(key), "b does not hold it");
        assert!(a.unlock(key));
        assert!(!b.try_lock(key), "a still holds it once");
        assert!(a.unlock(key));
        assert!(b.try_lock(key));
        // The pair key space is separate from the single one.
        assert!(a.try_lock(LockKey::Pair(0, -7_001)));
        drop(b);
        assert!(a.try_lock(key), "released when the session ends");
        a.unlock_all();
        assert!(!a.unlock(key));
    }
}
