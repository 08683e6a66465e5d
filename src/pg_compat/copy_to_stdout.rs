//! `COPY (query) TO STDOUT [options]`: the query to run and how its rows are to be written
//! (the server's `copy_out` writes them). Only the text and CSV formats exist here; other
//! options are refused with 0A000, never ignored.

use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};

use super::sqlstate::{self, Refusal};

/// How the rows are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFormat {
    /// CSV (else PostgreSQL's text format).
    pub csv: bool,
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

/// For `COPY (query) TO STDOUT …`: the query and the format. `None` for other statements.
pub fn copy_to_stdout(
    statement: &Statement,
) -> Option<datafusion::error::Result<(Statement, CopyFormat)>> {
    let Statement::Copy {
        source: CopySource::Query(query),
        to: true,
        target: CopyTarget::Stdout,
        options,
        legacy_options,
        ..
    } = statement
    else {
        return None;
    };
    Some(copy_format(options, legacy_options).map(|f| (Statement::Query(query.clone()), f)))
}

fn copy_format(
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
) -> datafusion::error::Result<CopyFormat> {
    let mut format = CopyFormat::text();
    let mut csv = false;
    let mut header = false;
    let unsupported = |what: &str| {
        Err(Refusal::error(
            sqlstate::FEATURE_NOT_SUPPORTED,
            format!("COPY TO STDOUT supports the text and csv formats; {what} is not supported"),
        ))
    };
    for option in options {
        match option {
            CopyOption::Format(name) => match name.value.to_ascii_lowercase().as_str() {
                "csv" => csv = true,
                "text" => csv = false,
                other => return unsupported(&format!("format {other}")),
            },
            CopyOption::Header(on) => header = *on,
            CopyOption::Delimiter(c) => format.delimiter = *c,
            CopyOption::Null(null) => format.null = null.clone(),
            CopyOption::Quote(c) => format.quote = *c,
            other => return unsupported(&other.to_string()),
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Csv(csv_options) => {
                csv = true;
                for o in csv_options {
                    match o {
                        CopyLegacyCsvOption::Header => header = true,
                        CopyLegacyCsvOption::Quote(c) => format.quote = *c,
                        other => return unsupported(&other.to_string()),
                    }
                }
            }
            CopyLegacyOption::Delimiter(c) => format.delimiter = *c,
            CopyLegacyOption::Null(null) => format.null = null.clone(),
            CopyLegacyOption::Header => header = true,
            other => return unsupported(&other.to_string()),
        }
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
        copy_to_stdout(&statement).unwrap().unwrap().1
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
        let statement =
            crate::pg_compat::parse_statements("COPY (select 1) TO STDOUT (FORMAT binary)")
                .unwrap()
                .remove(0);
        assert!(copy_to_stdout(&statement).unwrap().is_err());
    }
}
