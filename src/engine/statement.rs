//! The one path of a statement, for every client: parse, classify what PostgreSQL answers
//! without a query (SHOW, SET, RESET, transaction control), rewrite the rest in one order
//! ([`pg_compat::rewrite_statement`]) and plan it with callqa's refusals. The server, `callqa
//! sql` and the SQL tests all call [`Session::prepare`], so they give the same answer with
//! the same column names.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::DataFrame;
use datafusion::sql::sqlparser::ast::{
    DataType as SqlType, DiscardObject, Expr as SqlExpr, Reset, Set, Statement,
};

use super::Engine;
use super::cursors::{self, CursorCommand, CursorDeclaration, CursorOutcome};
use super::named_statements::{Deallocate, NamedStatement};
use super::plan::plan_statement;
use super::session::Session;
use super::transaction::SavepointCommand;
use crate::pg_compat::sqlstate::{self, Refusal};
use crate::pg_compat::{self, CopyFormat, CopyOut};

/// What a statement turns out to be, once parsed.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// `SHOW name` of a PostgreSQL setting (or `SHOW ALL`).
    Show(String),
    /// `SET name = value` of a PostgreSQL setting.
    Set(String, String),
    /// `RESET name`.
    Reset(String),
    /// `SET name TO DEFAULT` / `SET TIME ZONE LOCAL`: `RESET name`, answered `SET`.
    SetDefault(String),
    /// `RESET ALL` and `DISCARD ALL` (the tag): every setting back to the session's start.
    ResetAll(&'static str),
    /// A statement accepted for compatibility that changes nothing here, with its tag.
    Acknowledge(&'static str),
    /// `BEGIN` / `START TRANSACTION`.
    Begin,
    /// `COMMIT` / `ROLLBACK`, with its tag.
    End(&'static str),
    /// `SAVEPOINT`, `RELEASE [SAVEPOINT]`, `ROLLBACK TO [SAVEPOINT]`.
    Savepoint(SavepointCommand),
    /// asyncpg's type introspection query, recognised by its text in a Parse message and
    /// answered from pg_type by the server.
    TypeIntrospection,
    /// Anything DataFusion plans, with its plan.
    Plan(Box<LogicalPlan>),
    /// `COPY … TO STDOUT`: the query's plan and the output format.
    CopyOut(Box<LogicalPlan>, CopyFormat),
    /// SQL `PREPARE`: the statement, kept when it runs.
    PrepareNamed(Arc<NamedStatement>),
    /// `DEALLOCATE`.
    Deallocate(Deallocate),
    /// `DECLARE name CURSOR FOR query`: the query's plan and the declaration.
    DeclareCursor(Box<LogicalPlan>, CursorDeclaration),
    /// `FETCH`, `MOVE`, `CLOSE` of a cursor.
    Cursor(CursorCommand),
}

impl Prepared {
    /// The statement with the client's text of it, which `pg_cursors` shows for a cursor.
    pub fn with_source_text(self, sql: &str) -> Prepared {
        match self {
            Prepared::DeclareCursor(plan, declaration) => Prepared::DeclareCursor(
                plan,
                CursorDeclaration {
                    statement: sql.to_owned(),
                    ..declaration
                },
            ),
            other => other,
        }
    }
}

/// What one statement returned, run to completion: its columns (none for a command) and rows.
#[derive(Debug)]
pub struct StatementRows {
    /// The columns.
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
}

/// What a statement that runs no query answers.
#[derive(Debug)]
pub enum Answer {
    /// Rows (`SHOW`).
    Rows(RecordBatch),
    /// A command tag (`SET`, `BEGIN`, …).
    Tag(&'static str),
}

impl Prepared {
    /// Whether the statement ends a failed transaction block (`COMMIT`, `ROLLBACK`,
    /// `ROLLBACK TO SAVEPOINT`): the only ones Postgres runs in one.
    pub fn ends_failed_block(&self) -> bool {
        matches!(
            self,
            Prepared::End(_) | Prepared::Savepoint(SavepointCommand::RollbackTo(_))
        )
    }
}

impl Session {
    /// Classifies, rewrites and plans one statement. `param_types` fix the types of the
    /// leading parameters, as a client declares them in a Parse message.
    pub async fn prepare(
        &self,
        engine: &Engine,
        mut statement: Statement,
        param_types: &[SqlType],
    ) -> datafusion::error::Result<Prepared> {
        let classified = classify(&statement);
        self.admit(classified.as_ref())?;
        if let Some(prepared) = classified {
            return Ok(match prepared {
                Prepared::Cursor(command) => Prepared::Cursor(self.with_cursor_columns(command)),
                other => other,
            });
        }
        if let Some(prepared) = self.prepare_named(engine, &statement).await? {
            return Ok(prepared);
        }
        if let Some(declared) = cursors::declaration(&statement) {
            let (declaration, query) = declared?;
            return match Box::pin(self.prepare(engine, query, param_types)).await? {
                Prepared::Plan(plan) => Ok(Prepared::DeclareCursor(plan, declaration)),
                _ => Err(Refusal::error(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "DECLARE CURSOR needs a query",
                )),
            };
        }
        if let Some(copy) = pg_compat::copy_to_stdout(&statement) {
            let CopyOut {
                query,
                table,
                format,
            } = copy?;
            if let Some(table) = table {
                self.refuse_copy_from_view(&table).await?;
            }
            return match Box::pin(self.prepare(engine, query, param_types)).await? {
                Prepared::Plan(plan) => Ok(Prepared::CopyOut(plan, format)),
                _ => Err(Refusal::error(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "COPY TO STDOUT needs a query",
                )),
            };
        }
        pg_compat::rewrite_statement(&mut statement, self.ctx(), &self.settings())?;
        // Boxed: DataFusion's planning future is large, and callers hold it across awaits.
        let plan = Box::pin(plan_statement(
            self.ctx(),
            statement,
            self.role(),
            param_types,
        ))
        .await
        .map_err(|e| engine.name_unreadable_files(e))?;
        Ok(Prepared::Plan(Box::new(plan)))
    }

    /// `COPY view TO` fails as in PostgreSQL (42809), which copies tables only; a relation
    /// that does not exist is left to the query's own error.
    async fn refuse_copy_from_view(
        &self,
        table: &datafusion::sql::sqlparser::ast::ObjectName,
    ) -> datafusion::error::Result<()> {
        let name = table.to_string();
        let reference = datafusion::common::TableReference::from(name.as_str());
        let is_view = self
            .ctx()
            .table_provider(reference)
            .await
            .is_ok_and(|t| t.table_type() == datafusion::logical_expr::TableType::View);
        if is_view {
            return Err(Refusal::error(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("cannot copy from view \"{name}\""),
            ));
        }
        Ok(())
    }

    /// Answers a statement that runs no query; `None` for plans (and `COPY`, the type
    /// introspection query), which the caller runs its own way.
    pub async fn answer(&self, prepared: &Prepared) -> datafusion::error::Result<Option<Answer>> {
        Ok(Some(match prepared {
            Prepared::Show(name) => Answer::Rows(self.show(name)?),
            Prepared::Set(name, value) => {
                self.set(name, value).await?;
                Answer::Tag("SET")
            }
            Prepared::Reset(name) => {
                self.reset(name)?;
                Answer::Tag("RESET")
            }
            Prepared::SetDefault(name) => {
                self.reset(name)?;
                Answer::Tag("SET")
            }
            Prepared::ResetAll(tag) => {
                self.reset_all();
                if *tag == DISCARD_ALL {
                    self.cursors().close_all();
                    self.named_statements().lock().clear();
                }
                Answer::Tag(tag)
            }
            Prepared::PrepareNamed(statement) => {
                self.named_statements()
                    .lock()
                    .insert(Arc::clone(statement))?;
                Answer::Tag("PREPARE")
            }
            Prepared::Deallocate(which) => {
                Answer::Tag(which.apply(&mut self.named_statements().lock())?)
            }
            Prepared::Acknowledge(tag) => Answer::Tag(tag),
            Prepared::Begin => {
                self.transaction().begin();
                Answer::Tag("BEGIN")
            }
            // Postgres answers the COMMIT of a failed block with what it did: ROLLBACK.
            Prepared::End(tag) => {
                let failed = self.transaction().end();
                self.cursors().end_block(*tag == "COMMIT" && !failed);
                Answer::Tag(if failed { "ROLLBACK" } else { tag })
            }
            Prepared::Savepoint(command) => {
                let tag = self.transaction().apply(command)?;
                let depth = self.transaction().depth();
                self.cursors().after_savepoint(command, depth);
                Answer::Tag(tag)
            }
            Prepared::TypeIntrospection
            | Prepared::Plan(_)
            | Prepared::CopyOut(..)
            | Prepared::DeclareCursor(..)
            | Prepared::Cursor(_) => {
                return Ok(None);
            }
        }))
    }

    /// Refuses a statement (`None`: one `classify` does not answer) inside a failed
    /// transaction block, unless it ends the failure.
    pub fn admit(&self, prepared: Option<&Prepared>) -> datafusion::error::Result<()> {
        self.transaction()
            .admit(prepared.is_some_and(Prepared::ends_failed_block))
    }

    /// A statement of the session failed: inside a transaction block, the block fails.
    pub fn statement_failed(&self) {
        self.transaction().fail();
    }

    /// Runs `sql` statement by statement to completion, as `callqa sql` and the SQL tests
    /// do: each statement's rows (none for a command), the first failure ends the run.
    /// Queries run with the per-query memory pool, as on the wire.
    pub async fn run_sql(
        &self,
        engine: &Engine,
        sql: &str,
    ) -> datafusion::error::Result<Vec<StatementRows>> {
        let mut results = Vec::new();
        let statements =
            pg_compat::parse_statements(sql).inspect_err(|_| self.statement_failed())?;
        for statement in statements {
            let rows = match Box::pin(self.prepare(engine, statement, &[])).await {
                Ok(prepared) => self.collect(engine, &prepared.with_source_text(sql)).await,
                Err(e) => Err(e),
            };
            results.push(rows.inspect_err(|_| self.statement_failed())?);
        }
        Ok(results)
    }

    /// The rows of one prepared statement, collected.
    async fn collect(
        &self,
        engine: &Engine,
        prepared: &Prepared,
    ) -> datafusion::error::Result<StatementRows> {
        let no_rows = || StatementRows {
            schema: Arc::new(Schema::empty()),
            batches: Vec::new(),
        };
        match self.answer(prepared).await? {
            Some(Answer::Rows(batch)) => {
                return Ok(StatementRows {
                    schema: batch.schema(),
                    batches: vec![batch],
                });
            }
            Some(Answer::Tag(_)) => return Ok(no_rows()),
            None => {}
        }
        match prepared {
            Prepared::DeclareCursor(plan, declaration) => {
                self.check_declare(declaration)?;
                let state = engine
                    .query_state(self.ctx())
                    .map_err(|e| Refusal::error(sqlstate::OUT_OF_MEMORY, e.to_string()))?;
                let pool = Arc::clone(&state.runtime_env().memory_pool);
                let stream = DataFrame::new(state, plan.as_ref().clone())
                    .execute_stream()
                    .await?;
                self.open_cursor(declaration.clone(), stream, &pool)?;
                return Ok(no_rows());
            }
            Prepared::Cursor(command) => {
                return Ok(match self.run_cursor_command(command).await? {
                    CursorOutcome::Rows(fetched) => StatementRows {
                        schema: fetched.schema,
                        batches: fetched.batches,
                    },
                    CursorOutcome::Moved(_) | CursorOutcome::Closed(_) => no_rows(),
                });
            }
            _ => {}
        }
        let (Prepared::Plan(plan) | Prepared::CopyOut(plan, _)) = prepared else {
            return Err(Refusal::error(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "asyncpg's type introspection query is answered over the wire only",
            ));
        };
        let plan = plan.as_ref().clone();
        if matches!(plan, LogicalPlan::Statement(_)) {
            // `SET datafusion.x = y`: DataFusion applies it.
            self.ctx()
                .execute_logical_plan(plan)
                .await?
                .collect()
                .await?;
            return Ok(no_rows());
        }
        let state = engine
            .query_state(self.ctx())
            .map_err(|e| Refusal::error(sqlstate::OUT_OF_MEMORY, e.to_string()))?;
        let df = DataFrame::new(state, plan);
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df
            .collect()
            .await
            .map_err(|e| engine.name_unreadable_files(e))?;
        Ok(StatementRows { schema, batches })
    }
}

/// The tag of `DISCARD ALL`, which also drops the prepared statements (`RESET ALL` does not).
const DISCARD_ALL: &str = "DISCARD ALL";

/// PostgreSQL-only statements answered without DataFusion; `None` for the rest.
pub fn classify(statement: &Statement) -> Option<Prepared> {
    match statement {
        Statement::ShowVariable { variable } => {
            // `SHOW datafusion.x.y` arrives as three identifiers; DataFusion answers those.
            if variable
                .first()
                .is_some_and(|i| i.value.eq_ignore_ascii_case("datafusion"))
            {
                return None;
            }
            let name = variable
                .iter()
                .map(|i| i.value.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            Some(Prepared::Show(name))
        }
        Statement::Set(Set::SingleAssignment {
            variable, values, ..
        }) => {
            let name = variable.to_string();
            if name.to_lowercase().starts_with("datafusion.") {
                return None;
            }
            if let [value] = values.as_slice()
                && is_keyword(value, "default")
            {
                return Some(Prepared::SetDefault(name));
            }
            let value = values
                .iter()
                .map(setting_value)
                .collect::<Vec<_>>()
                .join(", ");
            Some(Prepared::Set(name, value))
        }
        Statement::Set(Set::SetTimeZone { value, .. }) => Some(
            if is_keyword(value, "default") || is_keyword(value, "local") {
                Prepared::SetDefault("timezone".to_owned())
            } else {
                Prepared::Set("timezone".to_owned(), setting_value(value))
            },
        ),
        Statement::Set(_) => Some(Prepared::Acknowledge("SET")),
        Statement::Reset(reset) => Some(match &reset.reset {
            Reset::ALL => Prepared::ResetAll("RESET"),
            Reset::ConfigurationParameter(name) => Prepared::Reset(name.to_string()),
        }),
        Statement::StartTransaction { .. } => Some(Prepared::Begin),
        Statement::Commit { .. } => Some(Prepared::End("COMMIT")),
        Statement::Rollback {
            savepoint: Some(name),
            ..
        } => Some(Prepared::Savepoint(SavepointCommand::RollbackTo(
            SavepointCommand::name_of(name),
        ))),
        Statement::Rollback { .. } => Some(Prepared::End("ROLLBACK")),
        Statement::Savepoint { name } => Some(Prepared::Savepoint(SavepointCommand::Define(
            SavepointCommand::name_of(name),
        ))),
        Statement::ReleaseSavepoint { name } => Some(Prepared::Savepoint(
            SavepointCommand::Release(SavepointCommand::name_of(name)),
        )),
        Statement::Fetch { .. } | Statement::Close { .. } => {
            cursors::command(statement).map(Prepared::Cursor)
        }
        // No notification channels exist here, so leaving any (asyncpg's pool reset does)
        // changes nothing.
        Statement::UNLISTEN { .. } => Some(Prepared::Acknowledge("UNLISTEN")),
        Statement::Discard {
            object_type: DiscardObject::ALL,
        } => Some(Prepared::ResetAll(DISCARD_ALL)),
        // Plans, sequences and temporary tables: none are kept per session here.
        Statement::Discard { object_type } => Some(Prepared::Acknowledge(match object_type {
            DiscardObject::PLANS => "DISCARD PLANS",
            DiscardObject::SEQUENCES => "DISCARD SEQUENCES",
            _ => "DISCARD TEMP",
        })),
        Statement::Deallocate { name, .. } => Some(Prepared::Deallocate(Deallocate::of(name))),
        _ => None,
    }
}

/// Whether a SET value is the unquoted word `keyword` (`SET x TO DEFAULT`, `SET TIME ZONE
/// LOCAL`), which PostgreSQL reads as `RESET x`.
fn is_keyword(value: &SqlExpr, keyword: &str) -> bool {
    matches!(value, SqlExpr::Identifier(ident)
        if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case(keyword))
}

/// A SET value as PostgreSQL stores it: strings without quotes, identifiers as written.
fn setting_value(expr: &SqlExpr) -> String {
    use datafusion::sql::sqlparser::ast::Value;
    match expr {
        SqlExpr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        SqlExpr::Identifier(ident) => ident.value.clone(),
        other => other.to_string(),
    }
}
