//! `pg_get_keywords()`: PostgreSQL 15's keywords (pgjdbc's `getSQLKeywords`, psql's
//! completion). datafusion-pg-catalog's list is a later release's: it has the SQL/JSON and
//! other keywords PostgreSQL 16 and 17 added (`absent`, `json_table`, …) and lacks
//! `recheck`, which PostgreSQL 16 dropped.

use std::sync::Arc;

use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::compute::{concat_batches, take_record_batch};
use datafusion::catalog::{TableFunctionImpl, TableProvider};
use datafusion::common::Result;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;

use super::rows::{self, bools, strings};

/// Keywords of later releases that PostgreSQL 15 does not have.
const LATER_KEYWORDS: [&str; 35] = [
    "absent",
    "conditional",
    "empty",
    "enforced",
    "error",
    "format",
    "indent",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "keep",
    "keys",
    "merge_action",
    "nested",
    "objects",
    "omit",
    "path",
    "period",
    "plan",
    "quotes",
    "scalar",
    "source",
    "string",
    "system_user",
    "target",
    "unconditional",
    "virtual",
];

/// Replaces `pg_get_keywords` with PostgreSQL 15's list (the library's, corrected).
pub async fn register(ctx: &SessionContext) -> Result<()> {
    let batches = ctx
        .sql("select * from pg_get_keywords() order by word")
        .await?
        .collect()
        .await?;
    let Some(first) = batches.first() else {
        return Ok(());
    };
    let schema = rows::nullable(&first.schema());
    let all = concat_batches(&first.schema(), &batches)?;
    let all = rows::conform(&all, &schema)?;
    let words = super::string_column(&all, 0)?;
    let mut kept: Vec<(String, u32)> = words
        .iter()
        .zip(0u32..)
        .filter(|(word, _)| !LATER_KEYWORDS.contains(&word.as_str()))
        .map(|(word, row)| (word.clone(), row))
        .collect();
    let recheck = rows::batch(
        &schema,
        1,
        vec![
            ("word", strings(["recheck"])),
            ("catcode", strings(["U"])),
            ("barelabel", bools(true, 1)),
            ("catdesc", strings(["unreserved"])),
            ("baredesc", strings(["can be bare label"])),
        ],
    )?;
    let with_recheck = concat_batches(&schema, [&all, &recheck])?;
    let recheck_row = u32::try_from(all.num_rows()).unwrap_or(u32::MAX);
    kept.push(("recheck".to_owned(), recheck_row));
    kept.sort();
    let rows = UInt32Array::from_iter_values(kept.iter().map(|(_, row)| *row));
    let keywords = take_record_batch(&with_recheck, &rows)?;
    ctx.register_udtf(
        "pg_get_keywords",
        Arc::new(Keywords {
            table: rows::table(schema, vec![keywords])? as Arc<dyn TableProvider>,
        }),
    );
    Ok(())
}

/// The function: always the same table.
#[derive(Debug)]
struct Keywords {
    table: Arc<dyn TableProvider>,
}

impl TableFunctionImpl for Keywords {
    fn call(&self, _args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        Ok(Arc::clone(&self.table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_keywords_are_listed_once_and_sorted() {
        assert!(LATER_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(!LATER_KEYWORDS.contains(&"abort"));
    }
}
