//! `generate_series` in `FROM` typed and named as PostgreSQL's: a series of `integer`
//! arguments is `integer` (DataFusion's is always `bigint`), and its column is named
//! `generate_series` (DataFusion's: `value`), so `select * from generate_series(1, 3)` and
//! `… as h left join calls on extract(hour …) = h` describe what PostgreSQL describes; a
//! series of dates is `timestamptz` (in a UTC session).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::datasource::{ViewTable, provider_as_source};
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlanBuilder, cast, col};
use datafusion::prelude::SessionContext;

/// The name PostgreSQL gives the series' column.
const NAME: &str = "generate_series";

/// DataFusion's `generate_series` table function, its output retyped and renamed.
#[derive(Debug)]
struct PostgresGenerateSeries {
    inner: Arc<dyn TableFunctionImpl>,
}

/// Replaces DataFusion's `generate_series` table function on `ctx` by PostgreSQL's form.
pub fn register(ctx: &SessionContext) -> Result<()> {
    let inner = ctx.table_function(NAME)?;
    ctx.register_udtf(
        NAME,
        Arc::new(PostgresGenerateSeries {
            inner: Arc::clone(inner.function()),
        }),
    );
    Ok(())
}

impl TableFunctionImpl for PostgresGenerateSeries {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let int4 = !args.exprs().is_empty() && args.exprs().iter().all(is_int4);
        let dates = args.exprs().first().is_some_and(|e| {
            e.get_type(&DFSchema::empty())
                .is_ok_and(|t| t == DataType::Date32)
        });
        let utc = super::is_utc_session(args.session().config_options());
        let provider = self.inner.call_with_args(args)?;
        let schema = provider.schema();
        let value = col(schema.field(0).name());
        let value = if int4 {
            cast(value, DataType::Int32)
        } else if dates && utc {
            // A series of dates is one of `timestamptz` midnights in PostgreSQL (the dates
            // are cast to it); in a UTC session those are the timestamps' instants.
            cast(
                value,
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            )
        } else {
            value
        };
        let plan = LogicalPlanBuilder::scan(NAME, provider_as_source(provider), None)?
            .project([value.alias(NAME)])?
            .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}

/// Whether an argument is PostgreSQL `integer`: an `int4` expression, or an integer
/// literal that fits in 32 bits (how PostgreSQL types a literal).
fn is_int4(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(ScalarValue::Int64(Some(v)), _) => i32::try_from(*v).is_ok(),
        Expr::Negative(inner) => is_int4(inner),
        other => other
            .get_type(&DFSchema::empty())
            .is_ok_and(|t| t == DataType::Int32),
    }
}
