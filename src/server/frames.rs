//! The frontend byte stream checked frame by frame before pgwire decodes it.
//!
//! pgwire trusts a message's length word and reads its strings lossily: a Query claiming
//! length 3 was decoded from the bytes of the messages after it, and invalid UTF-8 in a
//! query ran after U+FFFD replacement. [`CheckedFrames`] sits between the socket (after TLS)
//! and pgwire's codec, follows the framing (one untyped startup or cancel packet, then typed
//! messages) and ends the connection at the first frame PostgreSQL would refuse, with the
//! error it would send: 08P01 for a bad length, 22021 for text that is not UTF-8.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::pg_compat::sqlstate;
use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, ErrorHandler, PgWireConnectionState, PgWireServerHandlers};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::server::{negotiate_tls, process_error, process_message};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::codec::{Framed, FramedParts};

/// PostgreSQL's largest startup packet (`MAX_STARTUP_PACKET_LENGTH`).
const MAX_STARTUP_PACKET: usize = 10_000;

/// A frame PostgreSQL would refuse: the FATAL error it answers with.
#[derive(Debug)]
pub struct BadFrame {
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for BadFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

impl std::error::Error for BadFrame {}

/// Where the parser is in the stream.
#[derive(Debug)]
enum Position {
    /// In the header of a frame: its type byte (typed frames) and length word.
    Header {
        typed: bool,
        bytes: [u8; 5],
        have: usize,
    },
    /// In a frame's body: `left` bytes to go; Query and Parse bodies are kept to check.
    Body {
        kind: u8,
        left: usize,
        kept: Option<Vec<u8>>,
    },
}

/// The framing of the frontend stream, fed with every byte the socket delivers.
#[derive(Debug)]
pub struct FrameChecker {
    position: Position,
}

impl Default for FrameChecker {
    fn default() -> Self {
        FrameChecker {
            position: Position::Header {
                typed: false,
                bytes: [0; 5],
                have: 0,
            },
        }
    }
}

impl FrameChecker {
    /// Follows `bytes`; the length of the prefix that is well framed, and the error after it.
    pub fn feed(&mut self, bytes: &[u8]) -> (usize, Option<BadFrame>) {
        let mut at = 0;
        // Bytes of the current frame's start (for a refusal, nothing of it is passed on).
        let mut frame_start = 0;
        while at < bytes.len() {
            match &mut self.position {
                Position::Header {
                    typed,
                    bytes: header,
                    have,
                } => {
                    if *have == 0 {
                        frame_start = at;
                    }
                    let need = if *typed { 5 } else { 4 };
                    let take = (need - *have).min(bytes.len() - at);
                    header[*have..*have + take].copy_from_slice(&bytes[at..at + take]);
                    *have += take;
                    at += take;
                    if *have < need {
                        continue;
                    }
                    let (kind, word) = if *typed {
                        (header[0], &header[1..5])
                    } else {
                        (0, &header[0..4])
                    };
                    let length = u32::from_be_bytes([word[0], word[1], word[2], word[3]]) as usize;
                    let bad_length = if *typed {
                        length < 4
                    } else {
                        !(8..=MAX_STARTUP_PACKET).contains(&length)
                    };
                    if bad_length {
                        let message = if *typed {
                            format!("invalid message length {length}")
                        } else {
                            format!("invalid length of startup packet {length}")
                        };
                        return (
                            frame_start,
                            Some(BadFrame {
                                code: sqlstate::PROTOCOL_VIOLATION,
                                message,
                            }),
                        );
                    }
                    let kept = matches!(kind, b'Q' | b'P').then(Vec::new);
                    self.position = Position::Body {
                        kind,
                        left: length - 4,
                        kept,
                    };
                }
                Position::Body { kind, left, kept } => {
                    let take = (*left).min(bytes.len() - at);
                    if let Some(kept) = kept {
                        kept.extend_from_slice(&bytes[at..at + take]);
                    }
                    *left -= take;
                    at += take;
                    if *left > 0 {
                        continue;
                    }
                    if let Some(body) = kept
                        && let Err(bad) = check_text(*kind, body)
                    {
                        return (frame_start, Some(bad));
                    }
                    self.position = Position::Header {
                        typed: true,
                        bytes: [0; 5],
                        have: 0,
                    };
                }
            }
        }
        (bytes.len(), None)
    }
}

/// The strings of a Query (its text) or Parse (statement name and text) must be UTF-8.
fn check_text(kind: u8, body: &[u8]) -> Result<(), BadFrame> {
    let strings = if kind == b'P' { 2 } else { 1 };
    for text in body.split(|b| *b == 0).take(strings) {
        if let Err(e) = std::str::from_utf8(text) {
            let at = e.valid_up_to();
            let sequence: Vec<String> = text[at..]
                .iter()
                .take(e.error_len().unwrap_or(1))
                .map(|b| format!("0x{b:02x}"))
                .collect();
            return Err(BadFrame {
                code: sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                message: format!(
                    "invalid byte sequence for encoding \"UTF8\": {}",
                    sequence.join(" ")
                ),
            });
        }
    }
    Ok(())
}

/// A socket whose reads pass only well-framed bytes; the first bad frame ends the stream
/// with an `InvalidData` error carrying the [`BadFrame`] (after the good bytes before it).
pub struct CheckedFrames<IO> {
    io: IO,
    checker: FrameChecker,
    refused: Option<BadFrame>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for CheckedFrames<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(bad) = self.refused.take() {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, bad)));
        }
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let (good, bad) = this.checker.feed(&buf.filled()[before..]);
                if let Some(bad) = bad {
                    buf.set_filled(before + good);
                    if good == 0 {
                        return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, bad)));
                    }
                    this.refused = Some(bad);
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for CheckedFrames<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The bad frame behind a decode error, if that is what ended the stream.
fn bad_frame(error: &PgWireError) -> Option<&BadFrame> {
    match error {
        PgWireError::IoError(e) => e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<BadFrame>()),
        _ => None,
    }
}

/// pgwire's `process_socket`, reading through [`CheckedFrames`]: TLS negotiation, then one
/// message at a time to the handlers, until the client leaves or sends a bad frame (answered
/// with a FATAL error, then the connection closes).
pub async fn process_socket<H>(
    socket: tokio::net::TcpStream,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    handlers: H,
) -> io::Result<()>
where
    H: PgWireServerHandlers,
{
    let Some(framed) = negotiate_tls(socket, tls).await? else {
        return Ok(());
    };
    let parts = framed.into_parts();
    let mut checker = FrameChecker::default();
    // What pgwire read while looking for an SSLRequest is checked like the rest.
    let (good, refused) = checker.feed(&parts.read_buf);
    let mut read_buf: BytesMut = parts.read_buf;
    read_buf.truncate(good);
    let io = CheckedFrames {
        io: parts.io,
        checker,
        refused,
    };
    let mut checked = FramedParts::new(io, parts.codec);
    checked.read_buf = read_buf;
    checked.write_buf = parts.write_buf;
    let mut socket = Framed::from_parts(checked);

    let startup = handlers.startup_handler();
    let simple = handlers.simple_query_handler();
    let extended = handlers.extended_query_handler();
    let copy = handlers.copy_handler();
    let cancel = handlers.cancel_handler();
    let on_error = handlers.error_handler();
    while let Some(next) = socket.next().await {
        let message = match next {
            Ok(message) => message,
            Err(e) => {
                if let Some(bad) = bad_frame(&e) {
                    let info = ErrorInfo::new(
                        "FATAL".to_owned(),
                        bad.code.to_owned(),
                        bad.message.clone(),
                    );
                    tracing::debug!(code = bad.code, "connection refused: bad frame");
                    socket
                        .send(PgWireBackendMessage::ErrorResponse(info.into()))
                        .await?;
                }
                break;
            }
        };
        // A client that says goodbye (asyncpg waits for the close).
        if matches!(message, PgWireFrontendMessage::Terminate(_)) {
            break;
        }
        let extended_query = match socket.state() {
            PgWireConnectionState::CopyInProgress(extended_query) => extended_query,
            _ => message.is_extended_query(),
        };
        if let Err(mut e) = process_message(
            message,
            &mut socket,
            Arc::clone(&startup),
            Arc::clone(&simple),
            Arc::clone(&extended),
            Arc::clone(&copy),
            Arc::clone(&cancel),
        )
        .await
        {
            on_error.on_error(&socket, &mut e);
            process_error(&mut socket, e, extended_query).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup() -> Vec<u8> {
        let body = b"\0\x03\0\0user\0a\0\0";
        let mut bytes = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(body);
        bytes
    }

    fn typed(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn well_framed_bytes_pass_whatever_the_chunks() {
        let mut stream = startup();
        stream.extend(typed(b'Q', "select '质检'\0".as_bytes()));
        stream.extend(typed(b'P', b"\0select $1\0\0\x01\0\0\0\x17"));
        stream.extend(typed(b'S', b""));
        for chunk in [1, 2, 3, 7, stream.len()] {
            let mut checker = FrameChecker::default();
            for piece in stream.chunks(chunk) {
                assert_eq!(checker.feed(piece).into_tuple(), (piece.len(), None));
            }
        }
    }

    trait IntoTuple {
        fn into_tuple(self) -> (usize, Option<String>);
    }

    impl IntoTuple for (usize, Option<BadFrame>) {
        fn into_tuple(self) -> (usize, Option<String>) {
            (self.0, self.1.map(|b| b.to_string()))
        }
    }

    fn refusal(stream: &[u8]) -> (usize, Option<String>) {
        FrameChecker::default().feed(stream).into_tuple()
    }

    #[test]
    fn bad_lengths_and_invalid_utf8_are_refused_after_the_good_frames() {
        let good = startup().len();
        let mut short = startup();
        short.extend([b'Q', 0, 0, 0, 3]);
        assert_eq!(
            refusal(&short),
            (good, Some("08P01 invalid message length 3".to_owned()))
        );
        let mut invalid = startup();
        invalid.extend(typed(b'Q', b"select '\xff\xfe'\0"));
        assert_eq!(
            refusal(&invalid),
            (
                good,
                Some("22021 invalid byte sequence for encoding \"UTF8\": 0xff".to_owned())
            )
        );
        // In Parse the query text is checked, its parameter types (binary) are not.
        let mut parse = startup();
        parse.extend(typed(b'P', b"s1\0select \xc3\0\0\x01\0\0\0\xff"));
        assert_eq!(refusal(&parse).0, good);
        assert!(refusal(&parse).1.unwrap().starts_with("22021"));
        assert_eq!(
            refusal(&[0, 0, 0, 2]),
            (
                0,
                Some("08P01 invalid length of startup packet 2".to_owned())
            )
        );
    }
}
