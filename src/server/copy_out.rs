//! `COPY … TO STDOUT` in the text, CSV or binary format (the statement is read by
//! `pg_compat::copy_to_stdout`) — what psql's `\copy … to 'file' csv`, psycopg's
//! `cursor.copy()` and ConnectorX (polars' `read_database_uri`) send. The query runs like any
//! other (roles, limits, timeouts, cancel); its rows, in text format or in the binary format
//! of each type, are re-framed as COPY data. Copying to a server-side file stays refused (it
//! writes).
//!
//! The binary format is PostgreSQL's: the 11-byte signature, flags and header-extension
//! length (both 0), then per row a 16-bit field count and each field as a 32-bit length (-1
//! for NULL) and its binary value — exactly a binary DataRow's fields — and the trailer -1
//! (which pgwire appends).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use pgwire::api::results::{CopyResponse, QueryResponse};
use pgwire::messages::copy::CopyData;
use pgwire::messages::data::DataRow;

use crate::pg_compat::CopyFormat;

/// The binary format's signature, flags (no OIDs) and header-extension length.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The rows of a query response (binary-format rows for the binary format, text-format ones
/// else) as COPY data, one message per row. A header — the binary signature, or the column
/// names when asked for — travels with the first row so the `COPY n` count stays the row
/// count; without rows it is sent alone (and pgwire counts it as a row).
pub fn copy_response(rows: QueryResponse, format: CopyFormat) -> CopyResponse {
    let columns = rows.row_schema.len();
    let header: Option<Bytes> = if format.binary {
        Some(Bytes::from_static(BINARY_HEADER))
    } else {
        format.header.then(|| {
            let names: Vec<Option<&[u8]>> = rows
                .row_schema
                .iter()
                .map(|f| Some(f.name().as_bytes()))
                .collect();
            let mut line = BytesMut::new();
            write_line(&mut line, &names, &format);
            line.freeze()
        })
    };
    let binary = format.binary;
    let sent = Arc::new(AtomicBool::new(header.is_none()));
    let format = Arc::new(format);
    let data = {
        let (sent, header) = (Arc::clone(&sent), header.clone());
        rows.data_rows.map(move |row| {
            let row = row?;
            let mut message = BytesMut::new();
            if !sent.swap(true, Ordering::Relaxed)
                && let Some(header) = &header
            {
                message.put_slice(header);
            }
            if format.binary {
                write_binary_tuple(&mut message, &row);
            } else {
                write_line(&mut message, &fields(&row), &format);
            }
            Ok(CopyData::new(message.freeze()))
        })
    };
    let header_alone = futures::stream::once(async move {
        match header {
            Some(header) if !sent.swap(true, Ordering::Relaxed) => Some(Ok(CopyData::new(header))),
            _ => None,
        }
    })
    .filter_map(futures::future::ready);
    CopyResponse::new(i8::from(binary), columns, data.chain(header_alone))
}

/// One binary tuple: the field count, then the row's length-prefixed binary fields.
fn write_binary_tuple(out: &mut BytesMut, row: &DataRow) {
    out.put_i16(row.field_count);
    out.put_slice(&row.data);
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
