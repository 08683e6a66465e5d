//! `format(formatstr text, VARIADIC args "any") -> text`, PostgreSQL's: `%s` an argument's
//! text (NULL as nothing), `%I` it quoted as an identifier (NULL is an error), `%L` quoted
//! as a literal (NULL as `NULL`), `%%` a percent sign; `%2$s` takes argument 2 (the next
//! unnumbered one is 3), `%-10s` / `%10s` / `%*s` pad to a width. A NULL format string gives
//! NULL. Metabase's sync names tables with `format('%I.%I', schema, table)`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

use super::quote::{quote_ident, quote_literal};
use super::sqlstate::{self, Refusal};

/// Registers `format`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(Format {
        signature: Signature::variadic_any(Volatility::Stable),
    }));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Format {
    signature: Signature,
}

impl ScalarUDFImpl for Format {
    fn name(&self) -> &str {
        "format"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let texts = args
            .args
            .iter()
            .map(|a| value_texts(&a.to_array(rows)?))
            .collect::<Result<Vec<_>>>()?;
        let Some((template, values)) = texts.split_first() else {
            return Err(invalid("function format() requires at least one argument"));
        };
        let mut out = StringBuilder::new();
        for row in 0..template.len() {
            if template.is_null(row) {
                out.append_null();
                continue;
            }
            let arguments: Vec<Option<&str>> = values
                .iter()
                .map(|v| v.is_valid(row).then(|| v.value(row)))
                .collect();
            out.append_value(format_row(template.value(row), &arguments)?);
        }
        let result: ArrayRef = Arc::new(out.finish());
        if scalar && result.len() == 1 {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?));
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// A value's text as PostgreSQL writes it where it differs from Arrow's (`t` / `f` for a
/// boolean), else Arrow's.
pub fn value_texts(array: &ArrayRef) -> Result<StringArray> {
    if array.data_type() == &DataType::Boolean {
        return Ok(array
            .as_boolean()
            .iter()
            .map(|b| b.map(|b| if b { "t" } else { "f" }))
            .collect());
    }
    let texts = datafusion::arrow::compute::cast(array, &DataType::Utf8)?;
    Ok(texts.as_string::<i32>().clone())
}

fn invalid(message: impl Into<String>) -> DataFusionError {
    Refusal::error(sqlstate::INVALID_PARAMETER_VALUE, message)
}

/// One row: the format string with its specifiers replaced by the arguments.
fn format_row(template: &str, arguments: &[Option<&str>]) -> Result<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut chars = template.chars().peekable();
    // The next unnumbered argument (0-based into `arguments`).
    let mut next = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = String::new();
        let kind = loop {
            match chars.next() {
                Some(c) if c.is_ascii_digit() || matches!(c, '$' | '-' | '*') => spec.push(c),
                Some(c) => break c,
                None => return Err(invalid("unterminated format() type specifier")),
            }
        };
        let specifier = Specifier::parse(&spec)?;
        let mut take = |position: Option<usize>| -> Result<Option<&str>> {
            let index = match position {
                Some(0) => {
                    return Err(invalid(
                        "format specifies argument 0, but arguments are numbered from 1",
                    ));
                }
                Some(p) => p - 1,
                None => next,
            };
            next = index + 1;
            arguments
                .get(index)
                .copied()
                .ok_or_else(|| invalid("too few arguments for format()"))
        };
        let mut width = specifier.width;
        let mut left = specifier.left;
        if let Some(position) = specifier.width_argument {
            let text = take(position)?.unwrap_or("0");
            let w: i64 = text.trim().parse().map_err(|_| {
                invalid(format!("invalid input syntax for type integer: \"{text}\""))
            })?;
            left |= w < 0;
            width = usize::try_from(w.unsigned_abs()).unwrap_or(usize::MAX);
        }
        let value = take(specifier.position)?;
        let text = match kind {
            's' => value.unwrap_or_default().to_owned(),
            'I' => quote_ident(value.ok_or_else(|| {
                Refusal::error(
                    sqlstate::NULL_VALUE_NOT_ALLOWED,
                    "null values cannot be formatted as an SQL identifier",
                )
            })?),
            'L' => value.map_or_else(|| "NULL".to_owned(), quote_literal),
            other => {
                return Err(invalid(format!(
                    "unrecognized format() type specifier \"{other}\""
                )));
            }
        };
        let padding = width.saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', padding));
        } else {
            out.extend(std::iter::repeat_n(' ', padding));
            out.push_str(&text);
        }
    }
    Ok(out)
}

/// What is between `%` and the type letter: `[n$][-][width | * | *m$]`.
#[derive(Debug, Default, PartialEq)]
struct Specifier {
    position: Option<usize>,
    left: bool,
    width: usize,
    /// The width comes from an argument: the next one (`*`) or a numbered one (`*m$`).
    width_argument: Option<Option<usize>>,
}

impl Specifier {
    fn parse(spec: &str) -> Result<Specifier> {
        let bad = || invalid("unterminated format() type specifier");
        let number = |digits: &str| digits.parse::<usize>().map_err(|_| bad());
        let mut out = Specifier::default();
        let mut rest = spec;
        if let Some((digits, after)) = rest.split_once('$')
            && !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
        {
            out.position = Some(number(digits)?);
            rest = after;
        }
        while let Some(after) = rest.strip_prefix('-') {
            out.left = true;
            rest = after;
        }
        if let Some(after) = rest.strip_prefix('*') {
            out.width_argument = Some(match after.strip_suffix('$') {
                Some(digits) => Some(number(digits)?),
                None if after.is_empty() => None,
                None => return Err(bad()),
            });
        } else if !rest.is_empty() {
            out.width = number(rest)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::format_row;

    fn format(template: &str, arguments: &[Option<&str>]) -> String {
        format_row(template, arguments).unwrap()
    }

    // Expected values are PostgreSQL 15's answers.
    #[test]
    fn specifiers_format_as_postgres_formats_them() {
        assert_eq!(
            format("%I.%I", &[Some("public"), Some("Calls")]),
            "public.\"Calls\""
        );
        assert_eq!(
            format("%s = %L", &[Some("queue"), Some("it's")]),
            "queue = 'it''s'"
        );
        assert_eq!(format("[%s] %L", &[None, None]), "[] NULL");
        assert_eq!(format("100%%", &[]), "100%");
        assert_eq!(
            format("%2$s %1$s %s", &[Some("a"), Some("b"), Some("c")]),
            "b a b"
        );
        assert_eq!(
            format("|%5s|%-5s|", &[Some("ab"), Some("cd")]),
            "|   ab|cd   |"
        );
        assert_eq!(format("|%*s|", &[Some("-4"), Some("x")]), "|x   |");
        assert_eq!(format("|%1$*2$s|", &[Some("x"), Some("3")]), "|  x|");
    }

    #[test]
    fn misuse_is_refused() {
        assert!(format_row("%s %s", &[Some("a")]).is_err());
        assert!(format_row("%x", &[Some("a")]).is_err());
        assert!(format_row("%", &[]).is_err());
        assert!(format_row("%0$s", &[Some("a")]).is_err());
        assert!(format_row("%I", &[None]).is_err());
    }
}
