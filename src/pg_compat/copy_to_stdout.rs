//! `COPY (query) TO STDOUT [options]` and `COPY table [(col, …)] TO STDOUT [options]` (what
//! psql's `\copy agents to 'file'` sends): the query to run and how its rows are to be
//! written (the server's `copy_out` writes them) in the text, CSV or binary format. Options
//! that do not exist here are refused with 0A000, never ignored; options of another format
//! fail as PostgreSQL fails them.

use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, ObjectName,
    Statement,
};

use super::sqlstate::{self, Refusal};

/// How the rows are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFormat {
    /// CSV (else PostgreSQL's text format, unless binary).
    pub csv: bool,
    /// PostgreSQL's binary format (signature, header, length-prefixed binary values).
    pub binary: bool,
    /// A first line with the column names.
    pub header: bool,
    /// Between fields.
    pub delimiter: char,
    /// How NULL is written.
    pub null: String,
    /// CSV's quote character.
    pub quote: char,
}

impl CopyFormat {
    /// PostgreSQL's defaults of the text format.
    pub fn text() -> Self {
        CopyFormat {
            csv: false,
            binary: false,
            header: false,
            delimiter: '\t',
            null: "\\N".to_owned(),
            quote: '"',
        }
    }

    /// CSV, with the text defaults that differ (delimiter, NULL) changed.
    pub fn into_csv(mut self) -> Self {
        self.csv = true;
        if self.delimiter == '\t' {
            self.delimiter = ',';
        }
        if self.null == "\\N" {
            self.null = String::new();
        }
        self
    }
}

/// What a `COPY … TO STDOUT` runs and writes.
#[derive(Debug)]
pub struct CopyOut {
    /// The query whose rows are written.
    pub query: Statement,
    /// The table named by `COPY table TO`, which must not be a view (as in PostgreSQL).
    pub table: Option<ObjectName>,
    /// How the rows are written.
    pub format: CopyFormat,
}

/// For `COPY (query) TO STDOUT …` and `COPY table [(columns)] TO STDOUT …`: the query and
/// the format. `None` for other statements.
pub fn copy_to_stdout(statement: &Statement) -> Option<datafusion::error::Result<CopyOut>> {
    let Statement::Copy {
        source,
        to: true,
        target: CopyTarget::Stdout,
        options,
        legacy_options,
        ..
    } = statement
    else {
        return None;
    };
    Some(copy_format(options, legacy_options).and_then(|format| {
        Ok(match source {
            CopySource::Query(query) => CopyOut {
                query: Statement::Query(query.clone()),
                table: None,
                format,
            },
            CopySource::Table {
                table_name,
                columns,
            } => CopyOut {
                query: select_from(table_name, columns)?,
                table: Some(table_name.clone()),
                format,
            },
        })
    }))
}

/// `SELECT columns FROM table` (every column for none), parsed as any statement is so the
/// compatibility rules apply (`pg_namespace` is `pg_catalog.pg_namespace`).
fn select_from(
    table: &ObjectName,
    columns: &[datafusion::sql::sqlparser::ast::Ident],
) -> datafusion::error::Result<Statement> {
    let list = if columns.is_empty() {
        "*".to_owned()
    } else {
        columns
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut statements = super::parse_statements(&format!("SELECT {list} FROM {table}"))?;
    match (statements.pop(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        _ => Err(Refusal::error(
            sqlstate::SYNTAX_ERROR,
            format!("COPY cannot read the relation {table}"),
        )),
    }
}

fn copy_format(
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
) -> datafusion::error::Result<CopyFormat> {
    let mut format = CopyFormat::text();
    let (mut csv, mut binary, mut header) = (false, false, false);
    // Options only some formats take, to check once the format is known.
    let (mut delimiter, mut null, mut quote) = (false, false, false);
    let unsupported = |what: &str| {
        Err(Refusal::error(
            sqlstate::FEATURE_NOT_SUPPORTED,
            format!(
                "COPY TO STDOUT supports the text, csv and binary formats; {what} is not supported"
            ),
        ))
    };
    for option in options {
        match option {
            CopyOption::Format(name) => match name.value.to_ascii_lowercase().as_str() {
                "csv" => (csv, binary) = (true, false),
                "text" => (csv, binary) = (false, false),
                "binary" => (csv, binary) = (false, true),
                other => {
                    return Err(Refusal::error(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!("COPY format \"{other}\" not recognized"),
                    ));
                }
            },
            CopyOption::Header(on) => header = *on,
            CopyOption::Delimiter(c) => (format.delimiter, delimiter) = (*c, true),
            CopyOption::Null(text) => (format.null, null) = (text.clone(), true),
            CopyOption::Quote(c) => (format.quote, quote) = (*c, true),
            other => return unsupported(&other.to_string()),
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Binary => binary = true,
            CopyLegacyOption::Csv(csv_options) => {
                csv = true;
                for o in csv_options {
                    match o {
                        CopyLegacyCsvOption::Header => header = true,
                        CopyLegacyCsvOption::Quote(c) => (format.quote, quote) = (*c, true),
                        other => return unsupported(&other.to_string()),
                    }
                }
            }
            CopyLegacyOption::Delimiter(c) => (format.delimiter, delimiter) = (*c, true),
            CopyLegacyOption::Null(text) => (format.null, null) = (text.clone(), true),
            CopyLegacyOption::Header => header = true,
            other => return unsupported(&other.to_string()),
        }
    }
    if binary {
        // PostgreSQL's checks and codes (ProcessCopyOptions).
        let refuse = |code, what: &str| {
            Err(Refusal::error(
                code,
                format!("cannot specify {what} in BINARY mode"),
            ))
        };
        if delimiter {
            return refuse(sqlstate::SYNTAX_ERROR, "DELIMITER");
        }
        if null {
            return refuse(sqlstate::SYNTAX_ERROR, "NULL");
        }
        if header {
            return refuse(sqlstate::FEATURE_NOT_SUPPORTED, "HEADER");
        }
        if quote {
            return Err(Refusal::error(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "COPY quote available only in CSV mode",
            ));
        }
        format.binary = true;
        return Ok(format);
    }
    if csv {
        // Only the text defaults change; explicit choices stay.
        format = format.into_csv();
    }
    format.header = header;
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_of(sql: &str) -> CopyFormat {
        let statement = crate::pg_compat::parse_statements(sql).unwrap().remove(0);
        copy_to_stdout(&statement).unwrap().unwrap().format
    }

    #[test]
    fn psql_copy_csv_header_is_csv_with_header() {
        let f = format_of("COPY (select 1) TO STDOUT CSV HEADER");
        assert!(f.csv && f.header && f.delimiter == ',' && f.null.is_empty());
        let f =
            format_of("COPY (select 1) TO STDOUT WITH (FORMAT csv, HEADER true, DELIMITER ';')");
        assert!(f.csv && f.header && f.delimiter == ';');
        let f = format_of("COPY (select 1) TO STDOUT");
        assert_eq!(f, CopyFormat::text());
    }

    #[test]
    fn other_copies_are_not_intercepted() {
        let statement = crate::pg_compat::parse_statements("COPY (select 1) TO '/tmp/x.csv'")
            .unwrap()
            .remove(0);
        assert!(copy_to_stdout(&statement).is_none());
        let statement = crate::pg_compat::parse_statements("COPY agents FROM STDIN")
            .unwrap()
            .remove(0);
        assert!(copy_to_stdout(&statement).is_none());
    }

    #[test]
    fn binary_takes_no_text_options() {
        assert!(format_of("COPY (select 1) TO STDOUT (FORMAT binary)").binary);
        assert!(format_of("COPY (select 1) TO STDOUT WITH BINARY").binary);
        let refused = |sql: &str| {
            let statement = crate::pg_compat::parse_statements(sql).unwrap().remove(0);
            let Err(datafusion::error::DataFusionError::External(e)) =
                copy_to_stdout(&statement).unwrap()
            else {
                panic!("{sql} should be refused");
            };
            let refusal = e.downcast_ref::<Refusal>().unwrap();
            (refusal.code, refusal.to_string())
        };
        // PostgreSQL 15's codes and messages.
        assert_eq!(
            refused("COPY agents TO STDOUT (FORMAT binary, HEADER)"),
            ("0A000", "cannot specify HEADER in BINARY mode".to_owned())
        );
        assert_eq!(
            refused("COPY agents TO STDOUT (FORMAT binary, DELIMITER ',')"),
            (
                "42601",
                "cannot specify DELIMITER in BINARY mode".to_owned()
            )
        );
        assert_eq!(
            refused("COPY agents TO STDOUT (FORMAT xml)"),
            ("22023", "COPY format \"xml\" not recognized".to_owned())
        );
    }

    #[test]
    fn copy_table_selects_its_columns() {
        let statement = crate::pg_compat::parse_statements(
            "COPY agents (agent_id, \"name\") TO STDOUT CSV HEADER",
        )
        .unwrap()
        .remove(0);
        let copy = copy_to_stdout(&statement).unwrap().unwrap();
        assert_eq!(
            copy.query.to_string(),
            "SELECT agent_id, \"name\" FROM agents"
        );
        assert_eq!(copy.table.unwrap().to_string(), "agents");
        assert!(copy.format.csv && copy.format.header);
    }
}
