//! `RESET TIME ZONE` and `RESET TRANSACTION ISOLATION LEVEL`: PostgreSQL's two-and-three
//! word spellings of `RESET timezone` / `RESET transaction_isolation`. sqlparser reads `RESET`
//! with a one-word name only, so `RESET TIME ZONE` was a syntax error; [`parse_sql`] is
//! sqlparser's statement loop reading these spellings first.

use datafusion::sql::sqlparser::ast::{Ident, ObjectName, Reset, ResetStatement, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

/// The multi-word spellings and the setting each resets.
const SPELLINGS: [(&[Keyword], &str); 2] = [
    (&[Keyword::RESET, Keyword::TIME, Keyword::ZONE], "timezone"),
    (
        &[
            Keyword::RESET,
            Keyword::TRANSACTION,
            Keyword::ISOLATION,
            Keyword::LEVEL,
        ],
        "transaction_isolation",
    ),
];

/// `Parser::parse_sql` with the PostgreSQL dialect, reading the spellings above too.
pub fn parse_sql(sql: &str) -> Result<Vec<Statement>, ParserError> {
    let mut parser = Parser::new(&PostgreSqlDialect {}).try_with_sql(sql)?;
    let mut statements = Vec::new();
    let mut expecting_delimiter = false;
    loop {
        while parser.consume_token(&Token::SemiColon) {
            expecting_delimiter = false;
        }
        if parser.peek_token_ref().token == Token::EOF {
            break;
        }
        if expecting_delimiter {
            return parser.expected_ref("end of statement", parser.peek_token_ref());
        }
        let spelled = SPELLINGS
            .iter()
            .find(|(keywords, _)| parser.parse_keywords(keywords));
        statements.push(match spelled {
            Some((_, setting)) => Statement::Reset(ResetStatement {
                reset: Reset::ConfigurationParameter(ObjectName::from(vec![Ident::new(*setting)])),
            }),
            None => parser.parse_statement()?,
        });
        expecting_delimiter = true;
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_word_resets_name_their_setting() {
        let statements =
            parse_sql("reset time zone; RESET TRANSACTION ISOLATION LEVEL; reset TimeZone")
                .unwrap();
        let names: Vec<String> = statements.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "RESET timezone",
                "RESET transaction_isolation",
                "RESET TimeZone"
            ]
        );
    }

    #[test]
    fn everything_else_parses_as_sqlparser_parses_it() {
        let sql = "select 1; set time zone 'UTC';; select 'reset time zone'";
        assert_eq!(
            parse_sql(sql).unwrap(),
            Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap()
        );
        assert!(parse_sql("reset time zone x").is_err());
        assert!(parse_sql("select 1 select 2").is_err());
    }
}
