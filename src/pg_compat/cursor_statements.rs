//! `DECLARE … CURSOR`, `FETCH` and `MOVE` read with PostgreSQL's grammar.
//!
//! sqlparser reads only part of it: its FETCH needs a count after FORWARD / BACKWARD and a
//! FROM or IN (`FETCH c`, `FETCH FORWARD FROM c`, `FETCH NEXT c` fail), takes no sign
//! (`FETCH ABSOLUTE -1`), and it has no MOVE at all; its DECLARE takes the options in one
//! order only. So a statement that begins with one of these words is read here, from
//! sqlparser's tokens, and becomes the sqlparser statement the engine classifies:
//!
//! - `FETCH` is `Statement::Fetch` with the direction as PostgreSQL's grammar gives it
//!   (counts may be negative) and always `FROM`;
//! - `MOVE` is the same `Statement::Fetch` with `into` set to an object name without parts,
//!   which no SQL text can produce (PostgreSQL's FETCH has no INTO, and one written here is
//!   a syntax error): see [`is_move`];
//! - `DECLARE` is `Statement::Declare` whose query is parsed from its own text by the
//!   server's parser, so it gets every rewrite a plain query gets and answers the same.
//!
//! Other statements of the same text are handed to the server's parser as they are.

use datafusion::error::{DataFusionError, Result};
use datafusion::sql::sqlparser::ast::{
    Declare, DeclareType, FetchDirection, FetchPosition, Ident, ObjectName, Statement, Value,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

/// Parses `sql` when one of its statements is a cursor statement (`None` otherwise, and when
/// the text cannot be tokenized: `parse` then reports what is wrong with it). `parse` reads
/// every other statement, and the query of each DECLARE.
pub fn parse(
    sql: &str,
    parse: impl Fn(&str) -> Result<Vec<Statement>>,
) -> Option<Result<Vec<Statement>>> {
    if !mentions_cursor_word(sql) {
        return None;
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    let statements = split(&tokens);
    if !statements
        .iter()
        .any(|s| leading_word(s).is_some_and(is_cursor_word))
    {
        return None;
    }
    let offsets = Offsets::new(sql);
    let mut parsed = Vec::new();
    let run = || -> Result<()> {
        for tokens in statements {
            let Some(first) = tokens.iter().find(|t| !is_blank(&t.token)) else {
                continue;
            };
            let text = || {
                let end = tokens.last().map_or(first.span.end, |t| t.span.end);
                &sql[offsets.of(first.span.start)..offsets.of(end)]
            };
            match leading_word(tokens) {
                Some(word) if word.eq_ignore_ascii_case("fetch") => {
                    parsed.push(fetch(&words(tokens)[1..], false)?);
                }
                Some(word) if word.eq_ignore_ascii_case("move") => {
                    parsed.push(fetch(&words(tokens)[1..], true)?);
                }
                Some(word) if word.eq_ignore_ascii_case("declare") => {
                    let (declare, query_start) = declare_header(tokens)?;
                    let end = tokens.last().map_or(query_start, |t| t.span.end);
                    let query = &sql[offsets.of(query_start)..offsets.of(end)];
                    parsed.push(declare_statement(declare, parse(query)?)?);
                }
                _ => parsed.extend(parse(text())?),
            }
        }
        Ok(())
    };
    Some(run().map(|()| parsed))
}

/// Whether `into` marks a `Statement::Fetch` as a MOVE (see the module header).
pub fn is_move(into: Option<&ObjectName>) -> bool {
    into.is_some_and(|name| name.0.is_empty())
}

/// A cheap test before tokenizing: does any of the words appear at all.
fn mentions_cursor_word(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    ["fetch", "move", "declare"]
        .iter()
        .any(|w| lower.contains(w))
}

fn is_cursor_word(word: &str) -> bool {
    ["fetch", "move", "declare"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
}

fn is_blank(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_))
}

/// The statements of a token list, split at top-level semicolons (the semicolons dropped).
fn split(tokens: &[TokenWithSpan]) -> Vec<&[TokenWithSpan]> {
    let mut statements = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::SemiColon if depth == 0 => {
                statements.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    statements.push(&tokens[start..]);
    statements
}

/// The first word of a statement when it is an unquoted word.
fn leading_word(tokens: &[TokenWithSpan]) -> Option<&str> {
    match tokens.iter().map(|t| &t.token).find(|t| !is_blank(t))? {
        Token::Word(word) if word.quote_style.is_none() => Some(word.value.as_str()),
        _ => None,
    }
}

/// The tokens of a statement without whitespace and comments.
fn words(tokens: &[TokenWithSpan]) -> Vec<&TokenWithSpan> {
    tokens.iter().filter(|t| !is_blank(&t.token)).collect()
}

/// `FETCH` / `MOVE` arguments (after the first word), PostgreSQL's `fetch_args`.
fn fetch(args: &[&TokenWithSpan], is_move: bool) -> Result<Statement> {
    let mut rest = args;
    let keyword = |rest: &[&TokenWithSpan], word: &str| match rest.first().map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => w.value.eq_ignore_ascii_case(word),
        _ => false,
    };
    // A direction word followed by nothing is the cursor's name (`FETCH next`).
    let directed = |rest: &[&TokenWithSpan], word: &str| keyword(rest, word) && rest.len() > 1;
    let number = |rest: &mut &[&TokenWithSpan]| -> Option<String> {
        let (sign, after) = match rest.first().map(|t| &t.token) {
            Some(Token::Minus) => ("-", &rest[1..]),
            Some(Token::Plus) => ("", &rest[1..]),
            _ => ("", *rest),
        };
        match after.first().map(|t| &t.token) {
            // PostgreSQL's integer constants are 32-bit; a longer one is a syntax error.
            Some(Token::Number(digits, false))
                if digits.bytes().all(|b| b.is_ascii_digit()) && digits.parse::<i32>().is_ok() =>
            {
                *rest = &after[1..];
                Some(format!("{sign}{digits}"))
            }
            _ => None,
        }
    };
    let count = |value: String| Some(Value::Number(value, false).with_empty_span());
    let direction = if directed(rest, "next") {
        rest = &rest[1..];
        FetchDirection::Next
    } else if directed(rest, "prior") {
        rest = &rest[1..];
        FetchDirection::Prior
    } else if directed(rest, "first") {
        rest = &rest[1..];
        FetchDirection::First
    } else if directed(rest, "last") {
        rest = &rest[1..];
        FetchDirection::Last
    } else if keyword(rest, "absolute") || keyword(rest, "relative") {
        let absolute = keyword(rest, "absolute");
        rest = &rest[1..];
        let Some(n) = number(&mut rest) else {
            return Err(syntax_error(rest.first().copied()));
        };
        let limit = Value::Number(n, false).with_empty_span();
        if absolute {
            FetchDirection::Absolute { limit }
        } else {
            FetchDirection::Relative { limit }
        }
    } else if directed(rest, "all") {
        rest = &rest[1..];
        FetchDirection::All
    } else if directed(rest, "forward") || directed(rest, "backward") {
        let forward = keyword(rest, "forward");
        rest = &rest[1..];
        if directed(rest, "all") {
            rest = &rest[1..];
            if forward {
                FetchDirection::ForwardAll
            } else {
                FetchDirection::BackwardAll
            }
        } else {
            let limit = number(&mut rest).and_then(count);
            if forward {
                FetchDirection::Forward { limit }
            } else {
                FetchDirection::Backward { limit }
            }
        }
    } else if let Some(n) = number(&mut rest) {
        FetchDirection::Count {
            limit: Value::Number(n, false).with_empty_span(),
        }
    } else {
        FetchDirection::Next
    };
    if (keyword(rest, "from") || keyword(rest, "in")) && rest.len() > 1 {
        rest = &rest[1..];
    }
    let name = match rest {
        [name] => match &name.token {
            Token::Word(word)
                if word.quote_style.is_none()
                    && ["from", "in"]
                        .iter()
                        .any(|w| word.value.eq_ignore_ascii_case(w)) =>
            {
                return Err(syntax_error(None));
            }
            Token::Word(word) => Ident {
                value: word.value.clone(),
                quote_style: word.quote_style,
                span: name.span,
            },
            _ => return Err(syntax_error(Some(name))),
        },
        [] => return Err(syntax_error(None)),
        [first, extra, ..] => {
            let unexpected = match first.token {
                Token::Word(_) => extra,
                _ => first,
            };
            return Err(syntax_error(Some(unexpected)));
        }
    };
    Ok(Statement::Fetch {
        name,
        direction,
        position: FetchPosition::From,
        into: is_move.then(|| ObjectName(Vec::new())),
    })
}

/// `DECLARE name [options] CURSOR [{WITH | WITHOUT} HOLD] FOR`: the declaration without
/// its query, and where the query's text starts.
fn declare_header(tokens: &[TokenWithSpan]) -> Result<(Declare, Location)> {
    let words = words(tokens);
    let mut rest = &words[1..];
    let Some(name) = rest.first() else {
        return Err(syntax_error(None));
    };
    let Token::Word(name_word) = &name.token else {
        return Err(syntax_error(Some(name)));
    };
    let name = Ident {
        value: name_word.value.clone(),
        quote_style: name_word.quote_style,
        span: name.span,
    };
    rest = &rest[1..];
    let word_is = |token: Option<&&TokenWithSpan>, word: &str| match token.map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => w.value.eq_ignore_ascii_case(word),
        _ => false,
    };
    // PostgreSQL takes the options in any order, and refuses contradictions once all are
    // read: SCROLL against NO SCROLL first.
    let (mut binary, mut scroll, mut no_scroll, mut insensitive, mut asensitive) =
        (false, false, false, false, false);
    loop {
        let first = rest.first();
        if word_is(first, "binary") {
            binary = true;
        } else if word_is(first, "insensitive") {
            insensitive = true;
        } else if word_is(first, "asensitive") {
            asensitive = true;
        } else if word_is(first, "scroll") {
            scroll = true;
        } else if word_is(first, "no") && word_is(rest.get(1), "scroll") {
            no_scroll = true;
            rest = &rest[1..];
        } else {
            break;
        }
        rest = &rest[1..];
    }
    if !word_is(rest.first(), "cursor") {
        return Err(syntax_error(rest.first().copied()));
    }
    rest = &rest[1..];
    let hold = if word_is(rest.first(), "with") || word_is(rest.first(), "without") {
        let with = word_is(rest.first(), "with");
        if !word_is(rest.get(1), "hold") {
            return Err(syntax_error(rest.get(1).copied()));
        }
        rest = &rest[2..];
        Some(with)
    } else {
        None
    };
    let Some(for_word) = rest.first().filter(|t| word_is(Some(t), "for")) else {
        return Err(syntax_error(rest.first().copied()));
    };
    if scroll && no_scroll {
        return Err(conflicting_options("SCROLL", "NO SCROLL"));
    }
    if insensitive && asensitive {
        return Err(conflicting_options("ASENSITIVE", "INSENSITIVE"));
    }
    let declare = Declare {
        names: vec![name],
        data_type: None,
        assignment: None,
        declare_type: Some(DeclareType::Cursor),
        binary: Some(binary),
        sensitive: (insensitive || asensitive).then_some(insensitive),
        scroll: (scroll || no_scroll).then_some(scroll),
        hold,
        for_query: None,
    };
    Ok((declare, for_word.span.end))
}

/// The declaration with its query: exactly one query statement.
fn declare_statement(mut declare: Declare, query: Vec<Statement>) -> Result<Statement> {
    let mut query = query.into_iter();
    match (query.next(), query.next()) {
        (Some(Statement::Query(query)), None) => {
            declare.for_query = Some(query);
            Ok(Statement::Declare {
                stmts: vec![declare],
            })
        }
        _ => Err(DataFusionError::SQL(
            Box::new(ParserError::ParserError(
                "DECLARE CURSOR needs a SELECT or VALUES query".to_owned(),
            )),
            None,
        )),
    }
}

/// PostgreSQL's message for an unexpected token (or the end of the statement).
fn syntax_error(token: Option<&TokenWithSpan>) -> DataFusionError {
    let message = match token {
        Some(token) => format!("syntax error at or near \"{}\"", token.token),
        None => "syntax error at end of input".to_owned(),
    };
    DataFusionError::SQL(Box::new(ParserError::ParserError(message)), None)
}

fn conflicting_options(a: &str, b: &str) -> DataFusionError {
    crate::pg_compat::sqlstate::Refusal::error(
        crate::pg_compat::sqlstate::INVALID_CURSOR_DEFINITION,
        format!("cannot specify both {a} and {b}"),
    )
}

/// Byte offsets of the tokenizer's locations (lines from 1, columns in characters from 1).
struct Offsets<'a> {
    sql: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(sql: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Offsets { sql, line_starts }
    }

    fn of(&self, location: Location) -> usize {
        let line = usize::try_from(location.line).unwrap_or(usize::MAX);
        let Some(&start) = line.checked_sub(1).and_then(|l| self.line_starts.get(l)) else {
            return self.sql.len();
        };
        let column = usize::try_from(location.column.saturating_sub(1)).unwrap_or(usize::MAX);
        self.sql[start..]
            .char_indices()
            .nth(column)
            .map_or(self.sql.len(), |(i, _)| start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(sql: &str) -> Vec<Statement> {
        parse(sql, crate::pg_compat::parse_statements)
            .expect("a cursor statement")
            .unwrap()
    }

    fn fetch_parts(statement: &Statement) -> (String, String, bool) {
        let Statement::Fetch {
            name,
            direction,
            into,
            ..
        } = statement
        else {
            panic!("not a FETCH: {statement}");
        };
        (
            name.to_string(),
            direction.to_string(),
            is_move(into.as_ref()),
        )
    }

    #[test]
    fn fetch_and_move_take_postgres_directions() {
        let cases = [
            ("fetch c", "c", "NEXT", false),
            ("FETCH FROM \"C\"", "\"C\"", "NEXT", false),
            ("fetch next c", "c", "NEXT", false),
            ("fetch forward from c", "c", "FORWARD", false),
            ("fetch backward c", "c", "BACKWARD", false),
            (
                "fetch forward 100 from \"x\"",
                "\"x\"",
                "FORWARD 100",
                false,
            ),
            ("fetch 100 in \"SQL_CUR1\"", "\"SQL_CUR1\"", "100", false),
            ("fetch -3 c", "c", "-3", false),
            ("fetch absolute -1 in c", "c", "ABSOLUTE -1", false),
            ("fetch relative +2 c", "c", "RELATIVE 2", false),
            ("fetch all c", "c", "ALL", false),
            ("fetch backward all from c", "c", "BACKWARD ALL", false),
            ("move absolute 5 c", "c", "ABSOLUTE 5", true),
            ("MOVE 3 FROM c", "c", "3", true),
            ("fetch next", "next", "NEXT", false),
        ];
        for (sql, name, direction, moves) in cases {
            let statements = parse_all(sql);
            assert_eq!(statements.len(), 1, "{sql}");
            assert_eq!(
                fetch_parts(&statements[0]),
                (name.to_owned(), direction.to_owned(), moves),
                "{sql}"
            );
        }
    }

    #[test]
    fn other_statements_of_the_text_parse_as_before() {
        let statements = parse_all(
            "declare \"SQL_CUR4\" cursor with hold for select 1 as a;fetch 100 in \"SQL_CUR4\"; select 'x;y'",
        );
        assert_eq!(statements.len(), 3);
        let Statement::Declare { stmts } = &statements[0] else {
            panic!("not a DECLARE: {}", statements[0]);
        };
        assert_eq!(stmts[0].hold, Some(true));
        assert_eq!(stmts[0].names[0].value, "SQL_CUR4");
        assert_eq!(
            stmts[0].for_query.as_ref().map(ToString::to_string),
            Some("SELECT 1 AS a".to_owned())
        );
        assert_eq!(statements[2].to_string(), "SELECT 'x;y'");
        assert!(parse("select 1; select 2", crate::pg_compat::parse_statements).is_none());
    }

    #[test]
    fn declare_takes_options_in_any_order_and_refuses_conflicts() {
        let statements = parse_all("declare c scroll binary cursor without hold for values (1)");
        let Statement::Declare { stmts } = &statements[0] else {
            panic!("not a DECLARE");
        };
        assert_eq!(
            (stmts[0].scroll, stmts[0].binary, stmts[0].hold),
            (Some(true), Some(true), Some(false))
        );
        let conflict = parse("declare c scroll no scroll cursor for select 1", |_| {
            Ok(Vec::new())
        })
        .unwrap();
        assert!(conflict.is_err());
        let missing_for = parse("declare c cursor select 1", |_| Ok(Vec::new())).unwrap();
        assert!(matches!(
            missing_for,
            Err(DataFusionError::SQL(e, _))
                if e.to_string().contains("syntax error at or near \"select\"")
        ));
        let not_a_query = parse(
            "declare c cursor for set x = 1",
            crate::pg_compat::parse_statements,
        )
        .unwrap();
        assert!(not_a_query.is_err());
    }

    #[test]
    fn fetch_into_and_trailing_words_are_syntax_errors() {
        for sql in [
            "fetch 1 from c into x",
            "fetch 1 from",
            "move",
            "fetch 2147483648 from c",
        ] {
            let result = parse(sql, crate::pg_compat::parse_statements).unwrap();
            assert!(result.is_err(), "{sql}");
        }
    }
}
