//! SQL-level prepared statements: `PREPARE name [(types)] AS statement`, `EXECUTE name
//! [(args)]`, `DEALLOCATE [PREPARE] name | ALL`, kept per session as PostgreSQL keeps them.
//!
//! A statement is planned once, at `PREPARE`, with the declared parameter types (the rest
//! inferred from the statement); `EXECUTE` evaluates its arguments cast to those types and
//! binds them as parameter values, so the statement runs as any query does (statement
//! timeout, memory pool, result cache). Named statements outlive transaction blocks, as in
//! PostgreSQL; `DEALLOCATE ALL` and `DISCARD ALL` drop them. The session's DataFusion state
//! lists them for `pg_prepared_statements`.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Ident, ObjectName, Statement};

use super::Engine;
use super::parameter_types::parameter_types;
use super::session::Session;
use super::statement::Prepared;
use super::transaction::SavepointCommand;
use crate::pg_compat::catalog::{PreparedStatementRow, display_name, pg_type};
use crate::pg_compat::sqlstate::{self, Refusal};

/// One prepared statement.
#[derive(Debug)]
pub struct NamedStatement {
    /// Its name, folded as PostgreSQL folds identifiers.
    pub name: String,
    /// The `PREPARE` statement, as callqa's parser read it.
    pub statement: String,
    plan: LogicalPlan,
    /// One type per parameter an `EXECUTE` must give (`None`: as the argument is).
    parameters: Vec<Option<DataType>>,
    /// When it was prepared.
    pub prepared_at: DateTime<Utc>,
}

impl NamedStatement {
    /// The parameter types, as `pg_prepared_statements.parameter_types` spells them.
    pub fn parameter_type_names(&self) -> Vec<String> {
        self.parameters
            .iter()
            .map(|t| t.as_ref().map_or_else(|| "unknown".to_owned(), type_name))
            .collect()
    }

    /// The result column types, as `pg_prepared_statements.result_types` spells them.
    pub fn result_type_names(&self) -> Vec<String> {
        self.plan
            .schema()
            .fields()
            .iter()
            .map(|f| type_name(f.data_type()))
            .collect()
    }
}

/// The PostgreSQL spelling of a type (`integer`, `timestamp with time zone`).
fn type_name(data_type: &DataType) -> String {
    display_name(&pg_type(data_type))
}

/// The prepared statements of one session, by name.
#[derive(Debug, Default)]
pub struct NamedStatements {
    statements: BTreeMap<String, Arc<NamedStatement>>,
}

impl NamedStatements {
    /// Every statement, by name.
    pub fn all(&self) -> Vec<Arc<NamedStatement>> {
        self.statements.values().map(Arc::clone).collect()
    }

    pub(super) fn insert(
        &mut self,
        statement: Arc<NamedStatement>,
    ) -> datafusion::error::Result<()> {
        if self.statements.contains_key(&statement.name) {
            return Err(Refusal::error(
                sqlstate::DUPLICATE_PREPARED_STATEMENT,
                format!("prepared statement \"{}\" already exists", statement.name),
            ));
        }
        self.statements
            .insert(statement.name.clone(), Arc::clone(&statement));
        Ok(())
    }

    fn get(&self, name: &str) -> datafusion::error::Result<Arc<NamedStatement>> {
        self.statements
            .get(name)
            .map(Arc::clone)
            .ok_or_else(|| does_not_exist(name))
    }

    fn remove(&mut self, name: &str) -> datafusion::error::Result<()> {
        self.statements
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| does_not_exist(name))
    }

    /// Drops every statement (`DEALLOCATE ALL`, `DISCARD ALL`).
    pub fn clear(&mut self) {
        self.statements.clear();
    }
}

fn does_not_exist(name: &str) -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::INVALID_SQL_STATEMENT_NAME,
        format!("prepared statement \"{name}\" does not exist"),
    )
}

/// The named statements of a session, shared between the session and its DataFusion state.
#[derive(Debug, Default)]
pub struct SharedNamedStatements(Mutex<NamedStatements>);

impl SharedNamedStatements {
    /// The statements, locked.
    pub fn lock(&self) -> MutexGuard<'_, NamedStatements> {
        // A panic mid-update leaves a valid map: keep serving.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The statements as `pg_prepared_statements` lists them.
    pub fn rows(&self) -> Vec<PreparedStatementRow> {
        self.lock()
            .all()
            .iter()
            .map(|s| PreparedStatementRow {
                name: s.name.clone(),
                statement: s.statement.clone(),
                prepare_time: s.prepared_at,
                parameter_types: s.parameter_type_names(),
                result_types: s.result_type_names(),
            })
            .collect()
    }
}

/// `DEALLOCATE` of one statement or of all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deallocate {
    /// `DEALLOCATE [PREPARE] name`.
    One(String),
    /// `DEALLOCATE [PREPARE] ALL`.
    All,
}

impl Deallocate {
    /// What `DEALLOCATE [PREPARE] name` names (`ALL` unquoted: every statement).
    pub fn of(name: &Ident) -> Deallocate {
        if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
            Deallocate::All
        } else {
            Deallocate::One(SavepointCommand::name_of(name))
        }
    }

    /// Applies it; its command tag.
    pub fn apply(
        &self,
        statements: &mut NamedStatements,
    ) -> datafusion::error::Result<&'static str> {
        match self {
            Deallocate::One(name) => statements.remove(name).map(|()| "DEALLOCATE"),
            Deallocate::All => {
                statements.clear();
                Ok("DEALLOCATE ALL")
            }
        }
    }
}

impl Session {
    /// `PREPARE` and `EXECUTE`, which need the session's statements; `None` for the rest.
    pub(super) async fn prepare_named(
        &self,
        engine: &Engine,
        statement: &Statement,
    ) -> datafusion::error::Result<Option<Prepared>> {
        Ok(Some(match statement {
            Statement::Prepare {
                name,
                data_types,
                statement: inner,
            } => {
                // PostgreSQL's grammar takes queries and the writes (refused here as any write).
                let preparable = matches!(
                    inner.as_ref(),
                    Statement::Query(_)
                        | Statement::Insert(_)
                        | Statement::Update(_)
                        | Statement::Delete(_)
                        | Statement::Merge(_)
                );
                let prepared = if preparable {
                    Some(Box::pin(self.prepare(engine, inner.as_ref().clone(), data_types)).await?)
                } else {
                    None
                };
                let Some(Prepared::Plan(plan)) = prepared else {
                    return Err(Refusal::error(
                        sqlstate::SYNTAX_ERROR,
                        format!("syntax error at or near \"{}\"", statement_word(inner)),
                    ));
                };
                let plan = *plan;
                let parameters = declared_parameters(&plan, data_types.len())?;
                Prepared::PrepareNamed(Arc::new(NamedStatement {
                    name: SavepointCommand::name_of(name),
                    statement: statement.to_string(),
                    plan,
                    parameters,
                    prepared_at: Utc::now(),
                }))
            }
            Statement::Execute {
                name: Some(name),
                parameters,
                using,
                into,
                immediate: false,
                output: false,
                default: false,
                ..
            } if using.is_empty() && into.is_empty() => {
                let named = self.named_statements().lock().get(&object_name(name)?)?;
                Prepared::Plan(Box::new(self.bind(engine, &named, parameters).await?))
            }
            _ => return Ok(None),
        }))
    }

    /// The statement's plan with `args` evaluated, cast to the parameter types and bound.
    async fn bind(
        &self,
        engine: &Engine,
        named: &NamedStatement,
        args: &[SqlExpr],
    ) -> datafusion::error::Result<LogicalPlan> {
        if args.len() != named.parameters.len() {
            return Err(Refusal::with_detail(
                sqlstate::SYNTAX_ERROR,
                format!(
                    "wrong number of parameters for prepared statement \"{}\"",
                    named.name
                ),
                format!(
                    "Expected {} parameters but got {}.",
                    named.parameters.len(),
                    args.len()
                ),
            ));
        }
        if args.is_empty() {
            return Ok(named.plan.clone());
        }
        // The arguments are evaluated here, before any Bind could give `$n` a value.
        if let Some(placeholder) = args.iter().find_map(placeholder) {
            return Err(Refusal::error(
                sqlstate::UNDEFINED_PARAMETER,
                format!("there is no parameter {placeholder}"),
            ));
        }
        // Cast in SQL, so a literal reads as the type reads it here (a timestamp in the
        // session's zone), then to the placeholder's exact Arrow type.
        let select = args
            .iter()
            .zip(&named.parameters)
            .map(|(arg, data_type)| match data_type {
                Some(t) if pg_type(t) != postgres_types::Type::UNKNOWN => {
                    format!("CAST({arg} AS {})", type_name(t))
                }
                _ => arg.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let rows = Box::pin(self.run_sql(engine, &format!("SELECT {select}"))).await?;
        let batch = rows
            .first()
            .and_then(|r| r.batches.iter().find(|b| b.num_rows() > 0))
            .ok_or_else(|| {
                datafusion::error::DataFusionError::Internal(
                    "EXECUTE arguments gave no row".to_owned(),
                )
            })?;
        let mut values = Vec::with_capacity(args.len());
        for (column, data_type) in batch.columns().iter().zip(&named.parameters) {
            let value = ScalarValue::try_from_array(column, 0)?;
            values.push(match data_type {
                Some(t) if value.data_type() != *t => value.cast_to(t)?,
                _ => value,
            });
        }
        named
            .plan
            .clone()
            .replace_params_with_values(&ParamValues::List(
                values.into_iter().map(Into::into).collect(),
            ))
    }
}

/// The parameters an `EXECUTE` must give: as many as the declared types or the highest
/// `$n`, whichever is more; a number neither declared nor used has no type (42P18, as in
/// PostgreSQL).
fn declared_parameters(
    plan: &LogicalPlan,
    declared: usize,
) -> datafusion::error::Result<Vec<Option<DataType>>> {
    let used = plan.get_parameter_types()?;
    let mut types = parameter_types(plan)?;
    if types.len() < declared {
        types.resize(declared, None);
    }
    for number in declared + 1..=types.len() {
        if !used.contains_key(&format!("${number}")) {
            return Err(Refusal::error(
                sqlstate::INDETERMINATE_DATATYPE,
                format!("could not determine data type of parameter ${number}"),
            ));
        }
    }
    Ok(types)
}

/// The first `$n` in an argument of `EXECUTE`.
fn placeholder(arg: &SqlExpr) -> Option<String> {
    use datafusion::sql::sqlparser::ast::{Value, visit_expressions};
    let found = visit_expressions(arg, |expr| match expr {
        SqlExpr::Value(v) => match &v.value {
            Value::Placeholder(name) => ControlFlow::Break(name.clone()),
            _ => ControlFlow::Continue(()),
        },
        _ => ControlFlow::Continue(()),
    });
    match found {
        ControlFlow::Break(name) => Some(name),
        ControlFlow::Continue(()) => None,
    }
}

/// `EXECUTE name`: one identifier, folded as PostgreSQL folds it.
fn object_name(name: &ObjectName) -> datafusion::error::Result<String> {
    match name.0.as_slice() {
        [part] => part
            .as_ident()
            .map(SavepointCommand::name_of)
            .ok_or_else(|| does_not_exist(&name.to_string())),
        _ => Err(Refusal::error(
            sqlstate::SYNTAX_ERROR,
            format!("syntax error at or near \"{name}\""),
        )),
    }
}

/// The first word of a statement, for the refusal of one PREPARE cannot take.
fn statement_word(statement: &Statement) -> String {
    statement
        .to_string()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}
