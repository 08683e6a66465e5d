//! The simple query protocol: one Query message, its statements run in order on the
//! planning stack (the first failure ends the batch, as in PostgreSQL), with the
//! ParameterStatus messages their settings changes report.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::portal::Format;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::Response;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::TransactionStatus;
use pgwire::types::format::FormatOptions;

use super::connection::{Connection, connection};
use super::errors::{map_api_error, pg_error};
use super::query::QueryService;
use super::reported_settings::reported_settings;
use super::runtimes::on_planning_stack;
use crate::engine::{Prepared, SavepointCommand, classify};

#[async_trait]
impl SimpleQueryHandler for QueryService {
    async fn on_query<C>(
        &self,
        client: &mut C,
        query: pgwire::messages::simplequery::Query,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if client.transaction_status() == TransactionStatus::Error {
            let planner = Arc::clone(&self.planner);
            let sql = query.query.clone();
            let rolls_back = on_planning_stack(async move {
                planner.parse(&sql).is_ok_and(|statements| {
                    statements.first().is_some_and(|first| {
                        matches!(
                            classify(first),
                            Some(Prepared::Savepoint(SavepointCommand::RollbackTo(_)))
                        )
                    })
                })
            })
            .await
            .unwrap_or(false);
            if rolls_back {
                leave_failed_block(client);
            }
        }
        let outcome = self._on_query(client, query).await;
        if outcome.is_err() {
            // pgwire keeps a Query's status in a local until the end: an error while rows
            // stream would be reported with the status from before the Query (idle after
            // `BEGIN; select …`). The session knows where the block stands.
            let status = client
                .session_extensions()
                .get::<Connection>()
                .map(|conn| transaction_status(&conn.session));
            if let Some(status) = status {
                client.set_transaction_status(status);
            }
        }
        outcome
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        tracing::debug!(peer = %client.socket_addr(), "simple query");
        let conn = connection(&self.planner, client)?;
        let format_options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
        let service = self.clone();
        let sql = query.to_owned();
        let (responses, statuses) =
            on_planning_stack(async move { service.run_simple(&conn, &sql, format_options).await })
                .await
                .map_err(|e| pg_error(&e))??;
        for status in statuses {
            client.feed(status).await?;
        }
        Ok(responses)
    }
}

impl QueryService {
    /// The statements of one simple Query message, run in order on the planning stack; with
    /// the ParameterStatus messages their settings changes report.
    async fn run_simple(
        &self,
        conn: &Connection,
        sql: &str,
        format_options: Arc<FormatOptions>,
    ) -> PgWireResult<(Vec<Response>, Vec<PgWireBackendMessage>)> {
        let mut statuses = Vec::new();
        let statements = self.planner.parse(sql)?;
        if statements.is_empty() {
            return Ok((vec![Response::EmptyQuery], statuses));
        }
        let mut responses = Vec::with_capacity(statements.len());
        for statement in statements {
            // Like Postgres, the first failing statement ends the batch; earlier results stay.
            let outcome = match Box::pin(self.planner.prepare(conn, statement, &[])).await {
                Ok(prepared) => {
                    let prepared = prepared.with_source_text(sql);
                    let outcome = self
                        .execute(
                            conn,
                            &prepared,
                            None,
                            &Format::UnifiedText,
                            Arc::clone(&format_options),
                        )
                        .await;
                    if outcome.is_ok() {
                        statuses.extend(reported_settings(&conn.session, &prepared));
                    }
                    outcome
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(response) => responses.push(response),
                Err(mut error) => {
                    conn.session.statement_failed();
                    map_api_error(&mut error);
                    responses.push(Response::Error(Box::new(error.into())));
                    break;
                }
            }
        }
        Ok((responses, statuses))
    }
}

/// The status byte of the session's transaction block (before the error being reported,
/// which pgwire then applies).
fn transaction_status(session: &crate::engine::Session) -> TransactionStatus {
    let block = session.transaction();
    if block.is_failed() {
        TransactionStatus::Error
    } else if block.is_open() {
        TransactionStatus::Transaction
    } else {
        TransactionStatus::Idle
    }
}

/// `ROLLBACK TO SAVEPOINT` is the one statement that takes a failed transaction block back
/// to a usable one (status `E` to `T`). pgwire only moves a failed block to idle, so the
/// status is set before the statement runs; should the rollback itself fail, pgwire marks
/// the block failed again.
pub(super) fn leave_failed_block<C: ClientInfo>(client: &mut C) {
    client.set_transaction_status(TransactionStatus::Transaction);
}
