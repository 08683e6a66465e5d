//! Cursors for wire clients: DECLARE starts the query on the query runtime and hands its
//! stream to the session's cursor; FETCH and MOVE run under the connection's statement
//! timeout and cancel, and a FETCH's rows go out in the client's formats with the `FETCH n`
//! tag. A cursor is also a portal to the extended protocol: psycopg 3 describes its named
//! cursor with a Describe of the portal of that name.

use std::sync::Arc;

use datafusion::common::ParamValues;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::DataFrame;
use futures::StreamExt;
use futures::stream;
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::error::PgWireResult;
use pgwire::types::format::FormatOptions;

use super::connection::Connection;
use super::errors::{pg_error, user_error};
use super::interrupt::{AbortOnDrop, canceled_by_user, timed_out};
use super::query::{QueryService, statement_deadline};
use super::runtimes::query_runtime;
use crate::engine::{CursorCommand, CursorDeclaration, CursorOutcome, Fetched};
use crate::pg_compat::sqlstate;

impl QueryService {
    /// `DECLARE … CURSOR`: the query starts (its plan bound with `params`) and its stream
    /// becomes the cursor's.
    pub(super) async fn declare_cursor(
        &self,
        conn: &Connection,
        plan: &LogicalPlan,
        declaration: &CursorDeclaration,
        params: Option<ParamValues>,
    ) -> PgWireResult<Response> {
        let engine = &self.planner.engine;
        conn.session
            .check_declare(declaration)
            .map_err(|e| pg_error(&e))?;
        let mut plan = plan.clone();
        if let Some(params) = params {
            plan = plan
                .replace_params_with_values(&params)
                .map_err(|e| pg_error(&e))?;
        }
        // The cursor's query has a memory pool of its own, as any query.
        let state = engine
            .query_state(conn.session.ctx())
            .map_err(|e| user_error(sqlstate::OUT_OF_MEMORY, e.to_string()))?;
        let pool = Arc::clone(&state.runtime_env().memory_pool);
        let df = DataFrame::new(state, plan);
        // Columns that cannot go on the wire are refused now, not at the first FETCH.
        super::wire_types::pg_fields(df.schema().as_arrow(), &Format::UnifiedText, None)?;
        let start = start_on_query_runtime(df);
        let stream = match statement_deadline(conn) {
            Some(deadline) => tokio::time::timeout_at(deadline, start)
                .await
                .map_err(|_| timed_out())?,
            None => start.await,
        }
        .map_err(|e| pg_error(&engine.name_unreadable_files(e)))?;
        conn.session
            .open_cursor(declaration.clone(), stream, &pool)
            .map_err(|e| pg_error(&e))?;
        Ok(Response::Execution(Tag::new("DECLARE CURSOR")))
    }

    /// `FETCH`, `MOVE`, `CLOSE`: FETCH and MOVE end with 57014 on cancel or past the
    /// statement timeout (the cursor is then failed, as PostgreSQL leaves it).
    pub(super) async fn run_cursor_command(
        &self,
        conn: &Connection,
        command: &CursorCommand,
        format: &Format,
        format_options: Arc<FormatOptions>,
    ) -> PgWireResult<Response> {
        let engine = &self.planner.engine;
        let epoch = conn.interrupt.epoch();
        let deadline = statement_deadline(conn);
        let past_deadline = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            outcome = conn.session.run_cursor_command(command) => {
                outcome.map_err(|e| pg_error(&engine.name_unreadable_files(e)))?
            }
            () = conn.interrupt.cancelled_since(epoch) => return Err(canceled_by_user()),
            () = past_deadline => return Err(timed_out()),
        };
        Ok(match outcome {
            CursorOutcome::Rows(fetched) => {
                Response::Query(fetched_rows(conn, fetched, format, format_options)?)
            }
            CursorOutcome::Moved(rows) => Response::Execution(
                Tag::new("MOVE").with_rows(usize::try_from(rows).unwrap_or(usize::MAX)),
            ),
            CursorOutcome::Closed(tag) => Response::Execution(Tag::new(tag)),
        })
    }
}

/// The columns of the open cursor `name` in text format, as a Describe of the portal of that
/// name answers; `None` when no cursor of that name is open.
pub(super) fn cursor_fields(conn: &Connection, name: &str) -> PgWireResult<Option<Vec<FieldInfo>>> {
    let Some(schema) = conn.session.cursors().columns(name) else {
        return Ok(None);
    };
    super::wire_types::pg_fields(&schema, &Format::UnifiedText, None).map(Some)
}

/// A FETCH's rows encoded for the client, tagged `FETCH n`. The rows keep their memory
/// counted until they are sent.
fn fetched_rows(
    conn: &Connection,
    fetched: Fetched,
    format: &Format,
    format_options: Arc<FormatOptions>,
) -> PgWireResult<QueryResponse> {
    let Fetched {
        schema,
        batches,
        reservation,
    } = fetched;
    let fields = Arc::new(super::wire_types::pg_fields(
        &schema,
        format,
        Some(format_options),
    )?);
    let batches: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(
        schema,
        stream::iter(batches.into_iter().map(Ok)),
    ));
    let time_zone = super::wire_types::arrow_time_zone(conn.session.time_zone().as_deref());
    let object_names = conn
        .session
        .ctx()
        .state_ref()
        .read()
        .config()
        .get_extension::<crate::pg_compat::catalog::ObjectNames>();
    let batches = super::wire_types::wire_stream(batches, time_zone, &fields, object_names);
    let encode_fields = Arc::clone(&fields);
    let rows = batches.flat_map(move |batch| {
        let _counted = &reservation;
        let rows: Box<dyn Iterator<Item = PgWireResult<pgwire::messages::data::DataRow>> + Send> =
            match batch {
                Ok(batch) => {
                    arrow_pg::datatypes::encode_recordbatch(Arc::clone(&encode_fields), batch)
                }
                Err(e) => Box::new(std::iter::once(Err(pg_error(&e)))),
            };
        stream::iter(rows)
    });
    let mut response = QueryResponse::new(fields, rows);
    response.set_command_tag("FETCH");
    Ok(response)
}

/// Starts `df` on the query runtime (operators spawn their tasks there) and pulls its
/// batches there too, one ahead of what the cursor has asked for; dropping the returned
/// stream stops the query.
async fn start_on_query_runtime(
    df: DataFrame,
) -> datafusion::error::Result<SendableRecordBatchStream> {
    let mut batches = query_runtime()
        .spawn(df.execute_stream())
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))??;
    let schema = batches.schema();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let pump = AbortOnDrop(query_runtime().spawn(async move {
        while let Some(batch) = batches.next().await {
            if tx.send(batch).await.is_err() {
                break; // the cursor is closed
            }
        }
    }));
    let received = stream::unfold((rx, pump), |(mut rx, pump)| async move {
        let batch = rx.recv().await?;
        Some((batch, (rx, pump)))
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, received)))
}
