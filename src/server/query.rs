//! Running one prepared statement for a wire client: statements without a query are the
//! engine session's to answer; queries run with the per-query memory pool, the result cache,
//! the statement timeout and cancel, and stream back in the client's formats.

use std::sync::Arc;

use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::DataFrame;
use pgwire::api::portal::Format;
use pgwire::api::results::{QueryResponse, Response, Tag};
use pgwire::error::PgWireResult;
use pgwire::types::format::FormatOptions;

use super::connection::{Connection, Planner};
use super::errors::{pg_error, user_error};
use super::interrupt::{guarded_rows, timed_out};
use super::result_cache::{Cached, ResultCache};
use super::type_introspection;
use crate::engine::{Answer, Prepared, one_value};
use crate::pg_compat::sqlstate;

/// Answers queries of every connection.
#[derive(Debug, Clone)]
pub struct QueryService {
    pub(super) planner: Arc<Planner>,
    pub(super) cache: Arc<ResultCache>,
}

impl QueryService {
    /// Runs a prepared statement; `params` are bound into plans that have placeholders.
    pub(super) async fn execute(
        &self,
        conn: &Connection,
        prepared: &Prepared,
        params: Option<ParamValues>,
        format: &Format,
        format_options: Arc<FormatOptions>,
    ) -> PgWireResult<Response> {
        // A portal bound before its block failed is refused when it runs, as in Postgres.
        conn.session
            .admit(Some(prepared))
            .map_err(|e| pg_error(&e))?;
        let batch = match prepared {
            Prepared::Show(name) if super::result_cache::is_stats_name(name) => one_value(
                super::result_cache::STATS_NAME.to_owned(),
                self.cache.stats_line(),
            )
            .map_err(|e| pg_error(&e))?,
            Prepared::TypeIntrospection => {
                let oids: Vec<u32> = match params {
                    Some(ParamValues::List(values)) => values
                        .iter()
                        .filter_map(|v| match v.value {
                            datafusion::scalar::ScalarValue::UInt32(oid) => oid,
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                type_introspection::answer(conn.session.ctx(), &oids).await?
            }
            Prepared::CopyOut(plan, copy_format) => {
                // The query runs as any other, in text format (binary for the binary
                // format); its rows become COPY data.
                let rows_format = if copy_format.binary {
                    Format::UnifiedBinary
                } else {
                    Format::UnifiedText
                };
                let rows = self
                    .run_plan(conn, plan, params, &rows_format, format_options)
                    .await?;
                return Ok(match rows {
                    Response::Query(rows) => {
                        Response::CopyOut(super::copy_out::copy_response(rows, copy_format.clone()))
                    }
                    other => other,
                });
            }
            Prepared::Plan(plan) => {
                return self
                    .run_plan(conn, plan, params, format, format_options)
                    .await;
            }
            Prepared::DeclareCursor(plan, declaration) => {
                return self.declare_cursor(conn, plan, declaration, params).await;
            }
            Prepared::Cursor(command) => {
                return self
                    .run_cursor_command(conn, command, format, format_options)
                    .await;
            }
            other => match conn.session.answer(other).await.map_err(|e| pg_error(&e))? {
                Some(Answer::Rows(batch)) => batch,
                Some(Answer::Tag(tag)) => {
                    return Ok(match other {
                        Prepared::Begin => Response::TransactionStart(Tag::new(tag)),
                        Prepared::End(_) => Response::TransactionEnd(Tag::new(tag)),
                        _ => Response::Execution(Tag::new(tag)),
                    });
                }
                None => return Ok(Response::EmptyQuery),
            },
        };
        let df = conn
            .session
            .ctx()
            .read_batch(batch)
            .map_err(|e| pg_error(&e))?;
        let rows =
            arrow_pg::datatypes::df::encode_dataframe(df, format, Some(format_options)).await?;
        Ok(Response::Query(rows))
    }

    /// Runs a plan: a `SET datafusion.…` statement applied, or a query streamed under the
    /// connection's timeout and cancel flag, answered from the result cache when fresh.
    /// Long because its steps (SET, the query's memory pool, the result cache, timeout and
    /// cancel) work on the one plan and connection in order.
    async fn run_plan(
        &self,
        conn: &Connection,
        plan: &LogicalPlan,
        params: Option<ParamValues>,
        format: &Format,
        format_options: Arc<FormatOptions>,
    ) -> PgWireResult<Response> {
        let engine = &self.planner.engine;
        let mut plan = plan.clone();
        if let Some(params) = params {
            plan = plan
                .replace_params_with_values(&params)
                .map_err(|e| pg_error(&e))?;
        }
        if matches!(plan, LogicalPlan::Statement(_)) {
            // `SET datafusion.x = y` and friends: DataFusion applies it, nothing to return.
            let df = conn
                .session
                .ctx()
                .execute_logical_plan(plan)
                .await
                .map_err(|e| pg_error(&e))?;
            df.collect().await.map_err(|e| pg_error(&e))?;
            return Ok(Response::Execution(Tag::new("SET")));
        }
        // A query runs with a memory pool of its own (the per-query limit).
        let state = engine
            .query_state(conn.session.ctx())
            .map_err(|e| user_error(sqlstate::OUT_OF_MEMORY, e.to_string()))?;
        // Dashboards send the same query from many viewers at once: a fresh result of the
        // same plan on the same data is answered from memory.
        let time_zone = conn.session.time_zone();
        let cached = self
            .cache
            .lookup(
                engine,
                &plan,
                &state,
                conn.session.role(),
                time_zone.as_deref(),
            )
            .await;
        let df = DataFrame::new(state, plan);
        let epoch = conn.interrupt.epoch();
        let deadline = statement_deadline(conn);
        let fields = Arc::new(super::wire_types::pg_fields(
            df.schema().as_arrow(),
            format,
            Some(format_options),
        )?);
        // Operators may spawn their tasks when the stream is created: create it on the
        // query runtime too.
        let start = async move {
            super::runtimes::query_runtime()
                .spawn(df.execute_stream())
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?
        };
        let batches = match cached {
            Cached::Hit(batches) => batches,
            Cached::Miss(_) | Cached::Skip => {
                let batches = match deadline {
                    Some(deadline) => tokio::time::timeout_at(deadline, start)
                        .await
                        .map_err(|_| timed_out())?,
                    None => start.await,
                }
                .map_err(|e| pg_error(&engine.name_unreadable_files(e)))?;
                match cached {
                    Cached::Miss(pending) => pending.tee(batches),
                    _ => batches,
                }
            }
        };
        let time_zone = super::wire_types::arrow_time_zone(time_zone.as_deref());
        let object_names = conn
            .session
            .ctx()
            .state_ref()
            .read()
            .config()
            .get_extension::<crate::pg_compat::catalog::ObjectNames>();
        let batches = super::wire_types::wire_stream(batches, time_zone, &fields, object_names);
        let engine = Arc::clone(engine);
        let rows = guarded_rows(
            batches,
            Arc::clone(&fields),
            Arc::clone(&conn.interrupt),
            epoch,
            deadline,
            move |e| engine.name_unreadable_files(e),
        );
        Ok(Response::Query(QueryResponse::new(fields, rows)))
    }
}

/// When the running statement must end, from the connection's `statement_timeout`.
pub(super) fn statement_deadline(conn: &Connection) -> Option<tokio::time::Instant> {
    let ms = conn.session.statement_timeout_ms()?;
    (ms > 0).then(|| tokio::time::Instant::now() + std::time::Duration::from_millis(ms))
}
