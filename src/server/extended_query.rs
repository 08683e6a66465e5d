//! The extended query protocol: Parse plans a statement once (with the parameter types the
//! client declared), Bind checks the message before anything is decoded, Execute runs the
//! portal and streams every row at the pace the client reads.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use futures::{Sink, SinkExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::TransactionStatus;
use pgwire::types::format::FormatOptions;

use super::connection::{Planner, connection};
use super::errors::{pg_error, user_error};
use super::params::bind_parameters;

/// The plan with its placeholders typed as PostgreSQL types them.
fn type_placeholders(plan: LogicalPlan) -> PgWireResult<LogicalPlan> {
    super::parameter_inference::type_placeholders(plan).map_err(|e| pg_error(&e))
}
use super::query::QueryService;
use super::reported_settings::{reported_settings, show_column_name};
use super::runtimes::on_planning_stack;
use super::simple_query::leave_failed_block;
use super::type_introspection;
use crate::engine::{CursorCommand, Prepared, SavepointCommand};
use crate::pg_compat::sqlstate;

/// A statement kept by the extended protocol between Parse and Execute.
pub type StatementEntry = Arc<Prepared>;

#[async_trait]
impl QueryParser for Planner {
    type Statement = StatementEntry;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        tracing::debug!(peer = %client.socket_addr(), "parse");
        if type_introspection::is_asyncpg_introspection(sql) {
            return Ok(Some(Arc::new(Prepared::TypeIntrospection)));
        }
        let conn = connection(self, client)?;
        let declared = super::params::declared_types(types);
        let planner = self.clone();
        let sql = sql.to_owned();
        // Boxed: the planning future is large and is moved to another runtime.
        on_planning_stack(Box::pin(async move {
            let mut statements = planner.parse(&sql)?;
            if statements.len() > 1 {
                return Err(user_error(
                    sqlstate::SYNTAX_ERROR,
                    "cannot insert multiple commands into a prepared statement",
                ));
            }
            let Some(statement) = statements.pop() else {
                return Ok(None);
            };
            let prepared = match Box::pin(planner.prepare(&conn, statement, &declared)).await? {
                Prepared::Plan(plan) => Prepared::Plan(Box::new(type_placeholders(*plan)?)),
                Prepared::CopyOut(plan, format) => {
                    Prepared::CopyOut(Box::new(type_placeholders(*plan)?), format)
                }
                other => other,
            };
            Ok(Some(Arc::new(prepared.with_source_text(&sql))))
        }))
        .await
        .map_err(|e| pg_error(&e))?
    }

    fn get_parameter_types(&self, statement: &Self::Statement) -> PgWireResult<Vec<Type>> {
        match statement.as_ref() {
            Prepared::Plan(plan)
            | Prepared::CopyOut(plan, _)
            | Prepared::DeclareCursor(plan, _) => parameter_types(plan)?
                .iter()
                .map(|t| match t {
                    Some(data_type) => arrow_pg::datatypes::into_pg_type(data_type),
                    None => Ok(Type::UNKNOWN),
                })
                .collect(),
            Prepared::TypeIntrospection => Ok(type_introspection::parameter_types()),
            _ => Ok(Vec::new()),
        }
    }

    fn get_result_schema(
        &self,
        statement: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        let format = column_format.unwrap_or(&Format::UnifiedText);
        match statement.as_ref() {
            Prepared::Plan(plan) if !matches!(plan.as_ref(), LogicalPlan::Statement(_)) => {
                super::wire_types::pg_fields(plan.schema().as_arrow(), format, None)
            }
            Prepared::Cursor(CursorCommand::Fetch {
                columns: Some(schema),
                ..
            }) => super::wire_types::pg_fields(schema, format, None),
            Prepared::TypeIntrospection => arrow_pg::datatypes::arrow_schema_to_pg_fields(
                &type_introspection::schema(),
                format,
                None,
            ),
            Prepared::Show(name) if name.eq_ignore_ascii_case("all") => {
                Ok(["name", "setting", "description"]
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        FieldInfo::new(
                            (*n).to_owned(),
                            None,
                            None,
                            Type::TEXT,
                            format.format_for(i),
                        )
                    })
                    .collect())
            }
            Prepared::Show(name) => Ok(vec![FieldInfo::new(
                show_column_name(name),
                None,
                None,
                Type::TEXT,
                format.format_for(0),
            )]),
            _ => Ok(Vec::new()),
        }
    }
}

/// Parameter types of a plan in `$1, $2, …` order; `None` where DataFusion cannot tell.
pub fn parameter_types(plan: &LogicalPlan) -> PgWireResult<Vec<Option<DataType>>> {
    crate::engine::parameter_types(plan).map_err(|e| pg_error(&e))
}

#[async_trait]
impl ExtendedQueryHandler for QueryService {
    type Statement = StatementEntry;
    type QueryParser = Planner;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::clone(&self.planner)
    }

    async fn on_bind<C>(
        &self,
        client: &mut C,
        message: pgwire::messages::extendedquery::Bind,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // pgwire's own Bind, after the checks Postgres makes of the message.
        let statement_name = message
            .statement_name
            .as_deref()
            .unwrap_or(pgwire::api::DEFAULT_NAME);
        let portal_name = message
            .portal_name
            .as_deref()
            .unwrap_or(pgwire::api::DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(pgwire::api::store::Entry::Value(statement)) => {
                // A statement parsed before its block failed is refused here, as in Postgres.
                connection(&self.planner, client)?
                    .session
                    .admit(Some(statement.statement.as_ref()))
                    .map_err(|e| pg_error(&e))?;
                let placeholders = match statement.statement.as_ref() {
                    Prepared::Plan(plan)
                    | Prepared::CopyOut(plan, _)
                    | Prepared::DeclareCursor(plan, _) => parameter_types(plan)?,
                    Prepared::TypeIntrospection => {
                        vec![None; type_introspection::parameter_types().len()]
                    }
                    _ => Vec::new(),
                };
                super::params::validate_bind(
                    &message,
                    statement_name,
                    &placeholders,
                    &statement.parameter_types,
                )?;
                let portal = Portal::try_new(&message, statement)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(pgwire::api::store::Entry::Empty) => {
                super::params::validate_bind(&message, statement_name, &[], &[])?;
                client.portal_store().put_empty_portal(portal_name);
            }
            None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
        }
        client
            .send(PgWireBackendMessage::BindComplete(
                pgwire::messages::extendedquery::BindComplete::new(),
            ))
            .await?;
        Ok(())
    }

    async fn on_execute<C>(
        &self,
        client: &mut C,
        message: pgwire::messages::extendedquery::Execute,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if client.transaction_status() == TransactionStatus::Error {
            let name = message.name.as_deref().unwrap_or(pgwire::api::DEFAULT_NAME);
            if let Some(pgwire::api::store::Entry::Value(portal)) =
                client.portal_store().get_portal(name)
                && matches!(
                    portal.statement.statement.as_ref(),
                    Prepared::Savepoint(SavepointCommand::RollbackTo(_))
                )
            {
                leave_failed_block(client);
            }
        }
        self._on_execute(client, message).await
    }

    async fn on_describe<C>(
        &self,
        client: &mut C,
        message: pgwire::messages::extendedquery::Describe,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // A cursor DECLAREd in SQL is a portal of its name to PostgreSQL (psycopg 3 describes
        // its named cursors so).
        if message.target_type == pgwire::messages::extendedquery::TARGET_TYPE_BYTE_PORTAL
            && let Some(name) = message.name.as_deref()
            && client.portal_store().get_portal(name).is_none()
        {
            let conn = connection(&self.planner, client)?;
            if let Some(fields) = super::cursor_commands::cursor_fields(&conn, name)? {
                let response = pgwire::api::results::DescribePortalResponse::new(fields);
                return pgwire::api::query::send_describe_response(client, &response).await;
            }
        }
        self._on_describe(client, message).await
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        tracing::debug!(peer = %client.socket_addr(), "execute");
        let conn = connection(&self.planner, client)?;
        let prepared = portal.statement.statement.as_ref();
        let params = match prepared {
            Prepared::Plan(plan)
            | Prepared::CopyOut(plan, _)
            | Prepared::DeclareCursor(plan, _) => {
                Some(bind_parameters(portal, &parameter_types(plan)?)?)
            }
            Prepared::TypeIntrospection => Some(ParamValues::List(
                type_introspection::bind(portal)?
                    .into_iter()
                    .map(|oid| datafusion::scalar::ScalarValue::UInt32(Some(oid)).into())
                    .collect(),
            )),
            _ => None,
        };
        let format_options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
        let service = self.clone();
        let (run_conn, statement) = (Arc::clone(&conn), Arc::clone(&portal.statement.statement));
        let format = portal.result_column_format.clone();
        let outcome = on_planning_stack(async move {
            service
                .execute(&run_conn, &statement, params, &format, format_options)
                .await
        })
        .await
        .map_err(|e| pg_error(&e))
        .and_then(|outcome| outcome);
        if outcome.is_ok() {
            for status in reported_settings(&conn.session, prepared) {
                client.feed(status).await?;
            }
        }
        match outcome {
            // pgwire would collect every row of the portal before sending the first one (its
            // `Portal::fetch`), holding a whole export in memory; an Execute that asks for all
            // rows streams them here instead, at the pace the client reads them.
            Ok(Response::Query(rows)) if max_rows == 0 => {
                stream_all_rows(client, portal, rows).await
            }
            other => other,
        }
    }
}

/// Sends every row of `rows` to the client and answers with the `SELECT n` tag, as a portal
/// executed to completion does. The portal is left finished: executing it again returns no
/// rows, like Postgres.
async fn stream_all_rows<C>(
    client: &mut C,
    portal: &Portal<StatementEntry>,
    mut rows: QueryResponse,
) -> PgWireResult<Response>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let mut count = 0;
    while let Some(row) = futures::StreamExt::next(rows.data_rows()).await {
        client.feed(PgWireBackendMessage::DataRow(row?)).await?;
        count += 1;
    }
    let tag = Tag::new(rows.command_tag()).with_rows(count);
    portal
        .start(QueryResponse::new(
            rows.row_schema(),
            futures::stream::empty(),
        ))
        .await;
    Ok(Response::Execution(tag))
}
