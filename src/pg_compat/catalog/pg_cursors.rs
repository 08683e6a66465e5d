//! `pg_cursors`: the cursors open in the session that reads it (psycopg 3 checks a named
//! cursor's existence there before it closes it).
//!
//! The catalog is shared by every session, so the table's rows come from the reading
//! session at scan time: each session puts a [`SessionCursors`] in its DataFusion config,
//! which the scan finds in the state it runs with. The result cache never keeps an answer
//! of this table (it is one of [`super::SESSION_VIEWS`]): another session's cursors are not
//! this one's.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, BooleanArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::common::Result;
use datafusion::logical_expr::TableType;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::Expr;

use super::rows::strings;

/// One open cursor, as `pg_cursors` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorRow {
    /// `name`.
    pub name: String,
    /// `statement`: the query string that declared it.
    pub statement: String,
    /// `is_holdable` (WITH HOLD).
    pub is_holdable: bool,
    /// `is_binary` (BINARY).
    pub is_binary: bool,
    /// `is_scrollable` (SCROLL).
    pub is_scrollable: bool,
    /// `creation_time`, microseconds since the epoch.
    pub creation_time_us: i64,
}

/// How the scan of `pg_cursors` reaches the reading session's cursors: a SessionConfig
/// extension the session sets.
pub struct SessionCursors {
    list: Box<dyn Fn() -> Vec<CursorRow> + Send + Sync>,
}

impl SessionCursors {
    /// The cursors `list` returns, at every scan.
    pub fn new(list: impl Fn() -> Vec<CursorRow> + Send + Sync + 'static) -> Self {
        SessionCursors {
            list: Box::new(list),
        }
    }
}

impl std::fmt::Debug for SessionCursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCursors").finish_non_exhaustive()
    }
}

/// The `pg_cursors` view.
#[derive(Debug)]
pub struct PgCursors {
    schema: SchemaRef,
}

impl PgCursors {
    /// The view with PostgreSQL's columns.
    pub fn new() -> Self {
        PgCursors {
            schema: Arc::new(Schema::new(vec![
                Field::new("name", DataType::Utf8, true),
                Field::new("statement", DataType::Utf8, true),
                Field::new("is_holdable", DataType::Boolean, true),
                Field::new("is_binary", DataType::Boolean, true),
                Field::new("is_scrollable", DataType::Boolean, true),
                Field::new(
                    "creation_time",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    true,
                ),
            ])),
        }
    }
}

impl Default for PgCursors {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl TableProvider for PgCursors {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // A context without a session's cursors (start-up, tests) has none open.
        let rows = state
            .config()
            .get_extension::<SessionCursors>()
            .map(|cursors| (cursors.list)())
            .unwrap_or_default();
        let flags = |f: fn(&CursorRow) -> bool| -> ArrayRef {
            Arc::new(rows.iter().map(|r| Some(f(r))).collect::<BooleanArray>())
        };
        let columns: Vec<ArrayRef> = vec![
            strings(rows.iter().map(|r| r.name.as_str())),
            strings(rows.iter().map(|r| r.statement.as_str())),
            flags(|r| r.is_holdable),
            flags(|r| r.is_binary),
            flags(|r| r.is_scrollable),
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.creation_time_us))
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC"),
            ),
        ];
        let batch =
            datafusion::arrow::array::RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        MemTable::try_new(Arc::clone(&self.schema), vec![vec![batch]])?
            .scan(state, projection, filters, limit)
            .await
    }
}
