//! Server-side cursors as PostgreSQL keeps them: `DECLARE … CURSOR`, `FETCH`, `MOVE`,
//! `CLOSE` and what `pg_cursors` lists.
//!
//! A cursor keeps its query's record-batch stream and pulls batches only as FETCHes need
//! rows, so a cursor over a whole table holds about one batch. A `SCROLL` cursor also keeps
//! every row it has read (backward moves need them), counted in its query's memory pool, so
//! the per-query memory limit bounds it. The rows one FETCH returns are gathered before they
//! are sent (a FETCH is one statement of many in a simple query), counted against the same
//! limit while they are.
//!
//! Without `SCROLL` a cursor only moves forward; PostgreSQL decides that for a cursor with
//! neither `SCROLL` nor `NO SCROLL` from its plan (a plain scan may go backward), callqa
//! treats it as `NO SCROLL` (the README says so). Positions follow PostgreSQL's portal code
//! (`DoPortalRunFetch` and `PortalRunSelect` in pquery.c) step by step, so counts, tags and
//! errors are PostgreSQL's, including its edge cases (`MOVE BACKWARD ALL`, `FETCH 0`).
//!
//! A cursor without `WITH HOLD` lives only inside a transaction block and closes when the
//! block ends; a holdable one survives COMMIT, but goes with the block that declared it when
//! that block rolls back. A FETCH or MOVE that fails leaves the cursor listed but unusable,
//! as PostgreSQL marks the portal failed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use datafusion::arrow::array::{RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::Result;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use datafusion::sql::sqlparser::ast::{
    CloseCursor, DeclareType, FetchDirection, Statement, Value, ValueWithSpan,
};
use futures::StreamExt;

use super::session::Session;
use super::transaction::SavepointCommand;
use crate::pg_compat::catalog::CursorRow;
use crate::pg_compat::sqlstate::{self, Refusal};

/// PostgreSQL's `FETCH_ALL` (`LONG_MAX`): as many rows as there are.
const ALL: i64 = i64::MAX;

/// How a cursor was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorDeclaration {
    /// The cursor's name (unquoted names folded to lower case).
    pub name: String,
    /// `SCROLL` (`Some(true)`), `NO SCROLL` (`Some(false)`) or neither (forward only here).
    pub scroll: Option<bool>,
    /// `WITH HOLD`.
    pub hold: bool,
    /// The text of the query string that declared it, as `pg_cursors.statement` shows it.
    pub statement: String,
}

/// Where a FETCH or MOVE goes, as PostgreSQL's grammar leaves it: a count of [`ALL`] is
/// every row; a negative count reverses the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `FORWARD n`, `NEXT`, `n`, `ALL`.
    Forward(i64),
    /// `BACKWARD n`, `PRIOR`.
    Backward(i64),
    /// `ABSOLUTE n`, `FIRST`, `LAST`.
    Absolute(i64),
    /// `RELATIVE n`.
    Relative(i64),
}

/// A statement on an open cursor.
#[derive(Debug, Clone)]
pub enum CursorCommand {
    /// `FETCH`: rows come back. `columns` are the cursor's when it was open at Parse
    /// (a client describes the FETCH before it runs).
    Fetch {
        /// The cursor.
        name: String,
        /// Which rows.
        direction: Direction,
        /// The cursor's columns, when known.
        columns: Option<SchemaRef>,
    },
    /// `MOVE`: the position changes, the tag counts the rows passed.
    Move {
        /// The cursor.
        name: String,
        /// Where to.
        direction: Direction,
    },
    /// `CLOSE name`.
    Close(String),
    /// `CLOSE ALL`.
    CloseAll,
}

/// What a cursor statement answered.
#[derive(Debug)]
pub enum CursorOutcome {
    /// A FETCH's rows.
    Rows(Fetched),
    /// A MOVE: the rows it passed (its tag's count).
    Moved(u64),
    /// A CLOSE, with its tag.
    Closed(&'static str),
}

/// The rows of one FETCH, with the memory they are counted as until they are sent.
#[derive(Debug)]
pub struct Fetched {
    /// The cursor's columns.
    pub schema: SchemaRef,
    /// The rows, in the order they are returned.
    pub batches: Vec<RecordBatch>,
    /// Holds the rows' share of the query's memory; dropping it releases it.
    pub reservation: MemoryReservation,
}

/// The cursor declared by `statement` and its query, for a `DECLARE … CURSOR`; `None` for
/// other statements.
pub fn declaration(statement: &Statement) -> Option<Result<(CursorDeclaration, Statement)>> {
    let Statement::Declare { stmts } = statement else {
        return None;
    };
    let [declare] = stmts.as_slice() else {
        return None;
    };
    if declare.declare_type != Some(DeclareType::Cursor) {
        return None;
    }
    let (Some(query), [name]) = (&declare.for_query, declare.names.as_slice()) else {
        return None;
    };
    if declare.binary == Some(true) {
        // A BINARY cursor answers a simple query in binary and an extended one as the Bind
        // says: what the server cannot tell apart here.
        return Some(Err(Refusal::error(
            sqlstate::FEATURE_NOT_SUPPORTED,
            "BINARY cursors are not supported; fetch with the extended protocol's binary format",
        )));
    }
    Some(Ok((
        CursorDeclaration {
            name: SavepointCommand::name_of(name),
            scroll: declare.scroll,
            hold: declare.hold == Some(true),
            statement: statement.to_string(),
        },
        Statement::Query(query.clone()),
    )))
}

/// The cursor statement `statement` is (`FETCH`, `MOVE`, `CLOSE`); `None` for others.
pub fn command(statement: &Statement) -> Option<CursorCommand> {
    match statement {
        Statement::Fetch {
            name,
            direction,
            into,
            ..
        } => {
            let name = SavepointCommand::name_of(name);
            let direction = direction_of(direction);
            Some(if crate::pg_compat::fetch_is_move(into.as_ref()) {
                CursorCommand::Move { name, direction }
            } else {
                CursorCommand::Fetch {
                    name,
                    direction,
                    columns: None,
                }
            })
        }
        Statement::Close {
            cursor: CloseCursor::All,
        } => Some(CursorCommand::CloseAll),
        Statement::Close {
            cursor: CloseCursor::Specific { name },
        } => Some(CursorCommand::Close(SavepointCommand::name_of(name))),
        _ => None,
    }
}

/// PostgreSQL's reading of a direction (gram.y `fetch_args`).
fn direction_of(direction: &FetchDirection) -> Direction {
    let count = |limit: &ValueWithSpan| match &limit.value {
        // The parser took 32-bit integers only.
        Value::Number(n, _) => n.parse::<i64>().unwrap_or(0),
        _ => 0,
    };
    match direction {
        FetchDirection::Count { limit } => Direction::Forward(count(limit)),
        FetchDirection::Next => Direction::Forward(1),
        FetchDirection::Prior => Direction::Backward(1),
        FetchDirection::First => Direction::Absolute(1),
        FetchDirection::Last => Direction::Absolute(-1),
        FetchDirection::Absolute { limit } => Direction::Absolute(count(limit)),
        FetchDirection::Relative { limit } => Direction::Relative(count(limit)),
        FetchDirection::All | FetchDirection::ForwardAll => Direction::Forward(ALL),
        FetchDirection::Forward { limit } => Direction::Forward(limit.as_ref().map_or(1, count)),
        FetchDirection::Backward { limit } => Direction::Backward(limit.as_ref().map_or(1, count)),
        FetchDirection::BackwardAll => Direction::Backward(ALL),
    }
}

/// The open cursors of one session.
#[derive(Debug, Default)]
pub struct Cursors {
    open: HashMap<String, Cursor>,
}

impl Cursors {
    /// The columns of cursor `name`, if it is open.
    pub fn columns(&self, name: &str) -> Option<SchemaRef> {
        self.open.get(name).map(|c| Arc::clone(&c.schema))
    }

    /// `CLOSE ALL`, `DISCARD ALL`.
    pub fn close_all(&mut self) {
        self.open.clear();
    }

    /// The end of a transaction block: cursors without HOLD close, and so do holdable ones
    /// declared in a block that rolls back.
    pub fn end_block(&mut self, committed: bool) {
        self.open
            .retain(|_, cursor| cursor.declaration.hold && (committed || !cursor.in_open_block));
        for cursor in self.open.values_mut() {
            cursor.in_open_block = false;
            cursor.depth = 0;
        }
    }

    /// After a savepoint command left `depth` savepoints: a rollback closes the cursors
    /// declared since the savepoint; a release gives them to the enclosing level.
    pub fn after_savepoint(&mut self, command: &SavepointCommand, depth: usize) {
        match command {
            SavepointCommand::RollbackTo(_) => self.open.retain(|_, c| c.depth < depth),
            SavepointCommand::Release(_) => {
                for cursor in self.open.values_mut() {
                    cursor.depth = cursor.depth.min(depth);
                }
            }
            SavepointCommand::Define(_) => {}
        }
    }

    /// What `pg_cursors` lists, oldest first.
    pub fn rows(&self) -> Vec<CursorRow> {
        let mut cursors: Vec<&Cursor> = self.open.values().collect();
        cursors.sort_by_key(|c| c.created_us);
        cursors
            .into_iter()
            .map(|c| CursorRow {
                name: c.declaration.name.clone(),
                statement: c.declaration.statement.clone(),
                is_holdable: c.declaration.hold,
                is_binary: false,
                is_scrollable: c.declaration.scroll == Some(true),
                creation_time_us: c.created_us,
            })
            .collect()
    }

    fn close(&mut self, name: &str) -> Result<()> {
        self.open
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| no_such_cursor(name))
    }
}

fn no_such_cursor(name: &str) -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::INVALID_CURSOR_NAME,
        format!("cursor \"{name}\" does not exist"),
    )
}

fn forward_only() -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
        "cursor can only scan forward",
    )
}

/// The session's cursor store, shared with its `pg_cursors` listing.
pub(super) type SharedCursors = Arc<Mutex<Cursors>>;

pub(super) fn lock(cursors: &Mutex<Cursors>) -> MutexGuard<'_, Cursors> {
    // A panicking statement leaves the map valid.
    cursors.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    /// Refuses a DECLARE PostgreSQL refuses before its query starts: one without HOLD
    /// outside a transaction block (25P01), a name already open (42P03).
    pub fn check_declare(&self, declaration: &CursorDeclaration) -> Result<()> {
        if !declaration.hold && !self.transaction().in_block() {
            return Err(Refusal::error(
                sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                "DECLARE CURSOR can only be used in transaction blocks",
            ));
        }
        if lock(self.cursor_store())
            .open
            .contains_key(&declaration.name)
        {
            return Err(Refusal::error(
                sqlstate::DUPLICATE_CURSOR,
                format!("cursor \"{}\" already exists", declaration.name),
            ));
        }
        Ok(())
    }

    /// Opens a declared cursor over its query's started `stream`; `pool` is the query's
    /// memory pool (what the cursor keeps is counted there).
    pub fn open_cursor(
        &self,
        declaration: CursorDeclaration,
        stream: SendableRecordBatchStream,
        pool: &Arc<dyn MemoryPool>,
    ) -> Result<()> {
        self.check_declare(&declaration)?;
        let (in_block, depth) = {
            let block = self.transaction();
            (block.in_block(), block.depth())
        };
        let mut cursor = Cursor::new(declaration, in_block, stream, pool);
        cursor.depth = depth;
        lock(self.cursor_store())
            .open
            .insert(cursor.declaration.name.clone(), cursor);
        Ok(())
    }

    /// Runs a FETCH, MOVE or CLOSE. A FETCH or MOVE whose future is dropped before it
    /// ends (a timeout, a cancel) leaves the cursor failed, as an error does.
    pub async fn run_cursor_command(&self, command: &CursorCommand) -> Result<CursorOutcome> {
        let (name, direction, fetches) = match command {
            CursorCommand::Fetch {
                name, direction, ..
            } => (name, *direction, true),
            CursorCommand::Move { name, direction } => (name, *direction, false),
            CursorCommand::Close(name) => {
                lock(self.cursor_store()).close(name)?;
                return Ok(CursorOutcome::Closed("CLOSE CURSOR"));
            }
            CursorCommand::CloseAll => {
                lock(self.cursor_store()).close_all();
                return Ok(CursorOutcome::Closed("CLOSE CURSOR ALL"));
            }
        };
        let mut checkout = Checkout::take(self.cursor_store(), name)?;
        let cursor = checkout.cursor()?;
        let outcome = if fetches {
            let mut out = Output::new(&cursor.rows.pool);
            cursor.run_fetch(direction, Some(&mut out)).await?;
            CursorOutcome::Rows(Fetched {
                schema: Arc::clone(&cursor.schema),
                batches: out.batches,
                reservation: out.reservation,
            })
        } else {
            CursorOutcome::Moved(cursor.run_fetch(direction, None).await?)
        };
        checkout.finish();
        Ok(outcome)
    }

    /// `command` with a FETCH's columns filled in from its open cursor.
    pub(super) fn with_cursor_columns(&self, command: CursorCommand) -> CursorCommand {
        match command {
            CursorCommand::Fetch {
                name, direction, ..
            } => {
                let columns = lock(self.cursor_store()).columns(&name);
                CursorCommand::Fetch {
                    name,
                    direction,
                    columns,
                }
            }
            other => other,
        }
    }
}

/// A cursor taken out of the store while a FETCH or MOVE runs; put back when it ends,
/// failed unless [`Checkout::finish`] says it succeeded.
struct Checkout<'a> {
    store: &'a Mutex<Cursors>,
    cursor: Option<Cursor>,
}

impl<'a> Checkout<'a> {
    fn take(store: &'a Mutex<Cursors>, name: &str) -> Result<Self> {
        let cursor = lock(store)
            .open
            .remove(name)
            .ok_or_else(|| no_such_cursor(name))?;
        Ok(Checkout {
            store,
            cursor: Some(cursor),
        })
    }

    /// The cursor, or PostgreSQL's error for a failed one.
    fn cursor(&mut self) -> Result<&mut Cursor> {
        match self.cursor.as_mut() {
            Some(cursor) if !cursor.failed => Ok(cursor),
            Some(cursor) => Err(Refusal::error(
                sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("portal \"{}\" cannot be run", cursor.declaration.name),
            )),
            None => Err(datafusion::error::DataFusionError::Internal(
                "cursor checked out twice".to_owned(),
            )),
        }
    }

    fn finish(mut self) {
        if let Some(cursor) = self.cursor.take() {
            Self::put_back(self.store, cursor);
        }
    }

    fn put_back(store: &Mutex<Cursors>, cursor: Cursor) {
        lock(store)
            .open
            .insert(cursor.declaration.name.clone(), cursor);
    }
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if let Some(mut cursor) = self.cursor.take() {
            // The rows are gone with the failed statement; the name stays until CLOSE.
            cursor.failed = true;
            cursor.rows.stream = None;
            cursor.rows.kept.clear();
            cursor.rows.reservation.free();
            Self::put_back(self.store, cursor);
        }
    }
}

/// One open cursor: how it was declared, where it stands (PostgreSQL's portal position),
/// and its rows.
#[derive(Debug)]
struct Cursor {
    declaration: CursorDeclaration,
    schema: SchemaRef,
    created_us: i64,
    /// Declared in the transaction block that is still open.
    in_open_block: bool,
    /// The savepoints defined when it was declared (while they stand).
    depth: usize,
    /// A FETCH or MOVE failed: only CLOSE is left.
    failed: bool,
    /// PostgreSQL's `portalPos`, `atStart`, `atEnd`.
    position: u64,
    at_start: bool,
    at_end: bool,
    rows: Rows,
}

impl Cursor {
    fn new(
        declaration: CursorDeclaration,
        in_open_block: bool,
        stream: SendableRecordBatchStream,
        pool: &Arc<dyn MemoryPool>,
    ) -> Self {
        let schema = stream.schema();
        let scroll = declaration.scroll == Some(true);
        Cursor {
            declaration,
            schema,
            created_us: chrono::Utc::now().timestamp_micros(),
            in_open_block,
            depth: 0,
            failed: false,
            position: 0,
            at_start: true,
            at_end: false,
            rows: Rows {
                stream: Some(stream),
                kept: VecDeque::new(),
                kept_from: 1,
                read: 0,
                executor: 0,
                scroll,
                reservation: MemoryConsumer::new("cursor rows").register(pool),
                pool: Arc::clone(pool),
            },
        }
    }

    /// PostgreSQL's `DoPortalRunFetch`: rows go to `out` (FETCH) or nowhere (MOVE); the
    /// count of rows processed.
    async fn run_fetch(&mut self, direction: Direction, out: Option<&mut Output>) -> Result<u64> {
        let (mut forward, mut count) = match direction {
            Direction::Forward(n) => (n >= 0, n.saturating_abs()),
            Direction::Backward(n) => (n < 0, n.saturating_abs()),
            Direction::Absolute(n) => return self.absolute(n, out).await,
            Direction::Relative(n) if n > 0 => {
                if n > 1 {
                    self.run_select(true, n - 1, None).await?;
                }
                return self.run_select(true, 1, out).await;
            }
            Direction::Relative(n) if n < 0 => {
                if n < -1 {
                    self.run_select(false, -n - 1, None).await?;
                }
                return self.run_select(false, 1, out).await;
            }
            Direction::Relative(_) => (true, 0),
        };
        // Zero re-fetches the current row, if the cursor is on one.
        if count == 0 {
            let on_row = !self.at_start && !self.at_end;
            if out.is_none() {
                return Ok(u64::from(on_row));
            }
            if on_row {
                self.run_select(false, 1, None).await?;
                count = 1;
                forward = true;
            }
        }
        if !forward && count == ALL && out.is_none() {
            // MOVE BACKWARD ALL is a rewind, counting the rows it passes.
            let mut passed = self.position;
            if passed > 0 && !self.at_end {
                passed -= 1;
            }
            self.rewind()?;
            return Ok(passed);
        }
        self.run_select(forward, count, out).await
    }

    /// `FETCH ABSOLUTE n` as `DoPortalRunFetch` does it.
    async fn absolute(&mut self, n: i64, out: Option<&mut Output>) -> Result<u64> {
        if n > 0 {
            let target = u64::try_from(n - 1).unwrap_or(0);
            if target <= self.position / 2 || self.position >= ALL.unsigned_abs() {
                self.rewind()?;
                if n > 1 {
                    self.run_select(true, n - 1, None).await?;
                }
            } else {
                let mut pos = i64::try_from(self.position).unwrap_or(ALL);
                if self.at_end {
                    pos += 1; // one more step back when past the end
                }
                if n <= pos {
                    self.run_select(false, pos - n + 1, None).await?;
                } else if n > pos + 1 {
                    self.run_select(true, n - pos - 1, None).await?;
                }
            }
            self.run_select(true, 1, out).await
        } else if n < 0 {
            self.run_select(true, ALL, None).await?;
            if n < -1 {
                self.run_select(false, -n - 1, None).await?;
            }
            self.run_select(false, 1, out).await
        } else {
            self.rewind()?;
            self.run_select(true, 0, out).await
        }
    }

    /// PostgreSQL's `PortalRunSelect`: up to `count` rows in one direction, and the portal
    /// position kept as PostgreSQL keeps it.
    async fn run_select(
        &mut self,
        forward: bool,
        count: i64,
        out: Option<&mut Output>,
    ) -> Result<u64> {
        let rows = count.unsigned_abs();
        if forward {
            let moves = !self.at_end && count > 0;
            if !moves {
                return Ok(0);
            }
            let processed = self.rows.forward(rows, out).await?;
            if processed > 0 {
                self.at_start = false;
            }
            if count == ALL || processed < rows {
                self.at_end = true;
            }
            self.position += processed;
            Ok(processed)
        } else {
            if !self.rows.scroll {
                return Err(forward_only());
            }
            let moves = !self.at_start && count > 0;
            if !moves {
                return Ok(0);
            }
            let processed = self.rows.backward(rows, out)?;
            if processed > 0 && self.at_end {
                self.at_end = false;
                self.position += 1; // the end counts as a position
            }
            if count == ALL || processed < rows {
                self.at_start = true;
                self.position = 0;
            } else {
                self.position = self.position.saturating_sub(processed);
            }
            Ok(processed)
        }
    }

    /// PostgreSQL's `DoPortalRewind`: back before the first row; a forward-only cursor
    /// may only "rewind" where it already is.
    fn rewind(&mut self) -> Result<()> {
        if self.at_start && !self.at_end {
            return Ok(());
        }
        if !self.rows.scroll {
            return Err(forward_only());
        }
        self.rows.executor = 0;
        self.at_start = true;
        self.at_end = false;
        self.position = 0;
        Ok(())
    }
}

/// A cursor's rows: those read from the stream that may still be needed, and the stream.
struct Rows {
    /// `None` once the query has no more rows.
    stream: Option<SendableRecordBatchStream>,
    /// Batches read and kept, the first starting at row `kept_from` (rows count from 1).
    kept: VecDeque<RecordBatch>,
    kept_from: u64,
    /// Rows read from the stream so far.
    read: u64,
    /// Where the query stands: 0 before the first row, `k` on row `k`, `read + 1` past the
    /// last one.
    executor: u64,
    /// Keeps every row read (moves backward); otherwise rows passed are dropped.
    scroll: bool,
    /// The kept batches' memory.
    reservation: MemoryReservation,
    pool: Arc<dyn MemoryPool>,
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("read", &self.read)
            .field("executor", &self.executor)
            .field("scroll", &self.scroll)
            .finish_non_exhaustive()
    }
}

impl Rows {
    /// Reads the next batch with rows; false once the query has none left.
    async fn pull(&mut self) -> Result<bool> {
        while let Some(stream) = self.stream.as_mut() {
            match stream.next().await {
                Some(batch) => {
                    let batch = batch?;
                    if batch.num_rows() == 0 {
                        continue;
                    }
                    self.reservation.try_grow(batch.get_array_memory_size())?;
                    self.read += batch.num_rows() as u64;
                    self.kept.push_back(batch);
                    return Ok(true);
                }
                None => self.stream = None,
            }
        }
        Ok(false)
    }

    /// Up to `count` rows after the current one, into `out`; how many there were.
    async fn forward(&mut self, count: u64, mut out: Option<&mut Output>) -> Result<u64> {
        let mut done = 0;
        while done < count {
            if self.executor >= self.read {
                if !self.pull().await? {
                    self.executor = self.read + 1;
                    break;
                }
                continue;
            }
            let n = (self.read - self.executor).min(count - done);
            if let Some(out) = out.as_deref_mut() {
                for (batch, bytes) in self.slice(self.executor + 1, self.executor + n)? {
                    out.push(batch, bytes)?;
                }
            }
            self.executor += n;
            done += n;
            self.forget_passed();
        }
        Ok(done)
    }

    /// Up to `count` rows before the current one, nearest first, into `out` (a SCROLL
    /// cursor keeps them all); how many there were.
    fn backward(&mut self, count: u64, out: Option<&mut Output>) -> Result<u64> {
        let last = self.executor.saturating_sub(1).min(self.read);
        let n = count.min(last);
        if let Some(out) = out
            && n > 0
        {
            for (batch, _) in self.slice(last - n + 1, last)?.iter().rev() {
                let reversed: UInt32Array = (0..u32::try_from(batch.num_rows()).unwrap_or(0))
                    .rev()
                    .collect();
                let reversed = take_record_batch(batch, &reversed)?;
                let bytes = reversed.get_array_memory_size();
                out.push(reversed, bytes)?;
            }
        }
        self.executor = if n < count { 0 } else { self.executor - n };
        Ok(n)
    }

    /// Rows `from..=to`, which are kept, each slice with its share of its batch's memory
    /// (a slice shares the batch's buffers, and would count all of them).
    fn slice(&self, from: u64, to: u64) -> Result<Vec<(RecordBatch, usize)>> {
        let mut slices = Vec::new();
        let mut start = self.kept_from;
        for batch in &self.kept {
            let rows = batch.num_rows() as u64;
            let end = start + rows - 1;
            if end >= from && start <= to {
                let first = from.max(start) - start;
                let length = to.min(end) - start - first + 1;
                let share = batch.get_array_memory_size() as u64 * length / rows;
                slices.push((batch.slice(index(first)?, index(length)?), index(share)?));
            }
            start += rows;
        }
        Ok(slices)
    }

    /// Drops the batches a forward-only cursor has passed.
    fn forget_passed(&mut self) {
        if self.scroll {
            return;
        }
        while let Some(first) = self.kept.front() {
            let rows = first.num_rows() as u64;
            if self.kept_from + rows - 1 > self.executor {
                break;
            }
            self.reservation
                .shrink(first.get_array_memory_size().min(self.reservation.size()));
            self.kept_from += rows;
            self.kept.pop_front();
        }
    }
}

fn index(n: u64) -> Result<usize> {
    usize::try_from(n)
        .map_err(|_| datafusion::error::DataFusionError::Internal("row index overflow".to_owned()))
}

/// The rows one FETCH returns, counted in the query's memory pool.
struct Output {
    batches: Vec<RecordBatch>,
    reservation: MemoryReservation,
}

impl Output {
    fn new(pool: &Arc<dyn MemoryPool>) -> Self {
        Output {
            batches: Vec::new(),
            reservation: MemoryConsumer::new("cursor fetch").register(pool),
        }
    }

    /// Adds rows that take `bytes` of memory.
    fn push(&mut self, batch: RecordBatch, bytes: usize) -> Result<()> {
        self.reservation.try_grow(bytes)?;
        self.batches.push(batch);
        Ok(())
    }
}
