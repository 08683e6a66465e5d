//! `quote_ident(text)`, `quote_literal(value)`, `quote_nullable(value)`: PostgreSQL's
//! quoting of identifiers and literals, also used by `format`'s `%I` and `%L`.
//!
//! `quote_ident` replaces the library's, which left mixed-case names and keywords such as
//! `user` unquoted (a name that then means something else when the SQL is run).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, Signature, SimpleScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;

/// PostgreSQL 15's keywords that are not unreserved (`pg_get_keywords()` where `catcode` is
/// not `U`): an identifier spelled like one is quoted.
const QUOTED_KEYWORDS: [&str; 151] = [
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `quote_ident`: bare when the name is lower-case letters, digits, `_` and `$` (not first a
/// digit or `$`) and no keyword, else in double quotes with inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && QUOTED_KEYWORDS.binary_search(&name).is_err();
    if bare {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `quote_literal`: in single quotes with inner quotes doubled; a value with a backslash is
/// written `E'…'` with its backslashes doubled.
pub fn quote_literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if text.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

/// Registers `quote_ident`, `quote_literal` and `quote_nullable`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(create_udf(
        "quote_ident",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| quote_each(args, |t| t.map(quote_ident))),
    ));
    // The value's text is quoted, as PostgreSQL's `quote_literal(anyelement)` quotes it.
    ctx.register_udf(
        SimpleScalarUDF::new_with_signature(
            "quote_literal",
            Signature::any(1, Volatility::Immutable),
            DataType::Utf8,
            Arc::new(|args: &[ColumnarValue]| quote_each(args, |t| t.map(quote_literal))),
        )
        .into(),
    );
    ctx.register_udf(
        SimpleScalarUDF::new_with_signature(
            "quote_nullable",
            Signature::any(1, Volatility::Immutable),
            DataType::Utf8,
            Arc::new(|args: &[ColumnarValue]| {
                quote_each(args, |t| {
                    Some(t.map_or_else(|| "NULL".to_owned(), quote_literal))
                })
            }),
        )
        .into(),
    );
}

/// Applies `quote` to each value of the one text argument.
fn quote_each(
    args: &[ColumnarValue],
    quote: impl Fn(Option<&str>) -> Option<String>,
) -> Result<ColumnarValue> {
    let [arg] = args else {
        return exec_err!("quoting functions take one argument");
    };
    let scalar = matches!(arg, ColumnarValue::Scalar(_));
    let array = arg.to_array(1)?;
    let texts = super::format::value_texts(&array)?;
    let quoted: StringArray = texts.iter().map(quote).collect();
    let quoted: ArrayRef = Arc::new(quoted);
    if scalar && quoted.len() == 1 {
        return Ok(ColumnarValue::Scalar(
            datafusion::scalar::ScalarValue::try_from_array(&quoted, 0)?,
        ));
    }
    Ok(ColumnarValue::Array(quoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_the_search() {
        assert!(QUOTED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn identifiers_are_quoted_as_postgres_quotes_them() {
        assert_eq!(quote_ident("calls"), "calls");
        assert_eq!(quote_ident("agent_id2"), "agent_id2");
        assert_eq!(quote_ident("Calls"), "\"Calls\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("name"), "name");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("2x"), "\"2x\"");
    }

    #[test]
    fn literals_are_quoted_as_postgres_quotes_them() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"E'a\\b'");
    }
}
