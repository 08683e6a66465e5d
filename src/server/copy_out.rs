//! `COPY (query) TO STDOUT` in text or CSV format (the statement is read by
//! `pg_compat::copy_to_stdout`) — what psql's `\copy (query) to 'file' csv`
//! sends. The query runs like any other (roles, limits, timeouts, cancel); its text-format
//! rows are re-framed as COPY data. Copying to a server-side file stays refused (it writes).

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use futures::StreamExt;
use pgwire::api::results::{CopyResponse, QueryResponse};
use pgwire::messages::copy::CopyData;
use pgwire::messages::data::DataRow;

use crate::pg_compat::CopyFormat;

/// The rows of a text-format query response as COPY data, one message per row (the header,
/// when asked for, travels with the first row so the `COPY n` count stays the row count).
pub fn copy_response(rows: QueryResponse, format: CopyFormat) -> CopyResponse {
    let columns = rows.row_schema.len();
    let mut header = format.header.then(|| {
        let names: Vec<Option<&[u8]>> = rows
            .row_schema
            .iter()
            .map(|f| Some(f.name().as_bytes()))
            .collect();
        let mut line = BytesMut::new();
        write_line(&mut line, &names, &format);
        line
    });
    let format = Arc::new(format);
    let data = rows.data_rows.map(move |row| {
        let row = row?;
        let mut line = header.take().unwrap_or_default();
        write_line(&mut line, &fields(&row), &format);
        Ok(CopyData::new(line.freeze()))
    });
    CopyResponse::new(0, columns, data)
}

/// The fields of a text-format data row (length-prefixed, -1 for NULL).
fn fields(row: &DataRow) -> Vec<Option<&[u8]>> {
    let mut out = Vec::with_capacity(usize::try_from(row.field_count).unwrap_or(0));
    let mut rest: &[u8] = &row.data;
    while rest.len() >= 4 {
        let len = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        rest = &rest[4..];
        match usize::try_from(len) {
            Ok(len) if len <= rest.len() => {
                out.push(Some(&rest[..len]));
                rest = &rest[len..];
            }
            _ => out.push(None),
        }
    }
    out
}

fn write_line(out: &mut BytesMut, fields: &[Option<&[u8]>], format: &CopyFormat) {
    let mut delimiter = [0u8; 4];
    let delimiter = format.delimiter.encode_utf8(&mut delimiter).as_bytes();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.put_slice(delimiter);
        }
        match field {
            None => out.put_slice(format.null.as_bytes()),
            Some(value) if format.csv => write_csv_field(out, value, format, delimiter),
            Some(value) => write_text_field(out, value, format.delimiter),
        }
    }
    out.put_u8(b'\n');
}

/// CSV as Postgres writes it: quoted when the value holds the delimiter, the quote, a line
/// break, or could be mistaken for NULL; quotes doubled.
fn write_csv_field(out: &mut BytesMut, value: &[u8], format: &CopyFormat, delimiter: &[u8]) {
    let quote = u8::try_from(format.quote).unwrap_or(b'"');
    let needs_quotes = value.is_empty() && format.null.is_empty()
        || value == format.null.as_bytes()
        || value.contains(&quote)
        || value.contains(&b'\n')
        || value.contains(&b'\r')
        || value.windows(delimiter.len()).any(|w| w == delimiter);
    if !needs_quotes {
        out.put_slice(value);
        return;
    }
    out.put_u8(quote);
    for &b in value {
        if b == quote {
            out.put_u8(quote);
        }
        out.put_u8(b);
    }
    out.put_u8(quote);
}

/// Text format: backslash escapes for the delimiter, line breaks and the backslash.
fn write_text_field(out: &mut BytesMut, value: &[u8], delimiter: char) {
    for &b in value {
        match b {
            b'\\' => out.put_slice(b"\\\\"),
            b'\n' => out.put_slice(b"\\n"),
            b'\r' => out.put_slice(b"\\r"),
            b'\t' if delimiter == '\t' => out.put_slice(b"\\t"),
            b if char::from(b) == delimiter => {
                out.put_u8(b'\\');
                out.put_u8(b);
            }
            b => out.put_u8(b),
        }
    }
}

/// One line as written, for tests.
#[cfg(test)]
fn line_of(fields: &[Option<&[u8]>], format: &CopyFormat) -> BytesMut {
    let mut out = BytesMut::new();
    write_line(&mut out, fields, format);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg_compat::CopyFormat;

    #[test]
    fn csv_quotes_like_postgres() {
        let f = CopyFormat::text().into_csv();
        let line = line_of(
            &[
                Some(b"plain"),
                Some(b"a,b"),
                Some(b"say \"hi\""),
                Some(b""),
                None,
                Some(b"x\ny"),
            ],
            &f,
        );
        assert_eq!(
            &line[..],
            b"plain,\"a,b\",\"say \"\"hi\"\"\",\"\",,\"x\ny\"\n"
        );
    }

    #[test]
    fn text_format_escapes_tabs_and_newlines() {
        let line = line_of(
            &[Some(b"a\tb"), None, Some(b"c\\d\ne")],
            &CopyFormat::text(),
        );
        assert_eq!(&line[..], b"a\\tb\t\\N\tc\\\\d\\ne\n");
    }
}
