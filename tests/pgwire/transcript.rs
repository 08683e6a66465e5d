//! A bare protocol-3 client that writes down what the server answers, message for message:
//! command tags, SQLSTATEs, rows, and the transaction status byte of every ReadyForQuery —
//! what tokio-postgres keeps to itself. The same script runs against callqa and, when it is
//! installed, a throw-away PostgreSQL, and both transcripts must be the expected one.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::common::postgres::Postgres;
use crate::harness::TestServer;

/// Codes whose message text is part of the transcript (callqa words the others its own way,
/// e.g. division by zero).
const WORDED: [&str; 9] = [
    "25P01", "25P02", "26000", "3B001", "42601", "42P05", "42P18", "42704", "22023",
];

/// Settings whose ParameterStatus is written down at start-up (the rest vary by server).
const REPORTED: [&str; 2] = ["TimeZone", "application_name"];

trait Socket: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Socket for T {}

/// One connection.
pub struct Wire {
    socket: Box<dyn Socket>,
}

/// Where a script runs.
pub enum Target<'a> {
    Callqa(&'a TestServer),
    Postgres(&'a Postgres),
}

impl Wire {
    /// Connects with `parameters` besides user and database; the start-up transcript (the
    /// reported settings, a refusal) and the connection, if it was not refused.
    pub async fn connect(
        target: &Target<'_>,
        parameters: &[(&str, &str)],
    ) -> (Vec<String>, Option<Wire>) {
        let (socket, user, database): (Box<dyn Socket>, _, _) = match target {
            Target::Callqa(server) => (
                Box::new(tokio::net::TcpStream::connect(server.addr).await.unwrap()),
                "analyst",
                "callqa",
            ),
            Target::Postgres(postgres) => (
                Box::new(
                    tokio::net::UnixStream::connect(postgres.socket_dir().join(".s.PGSQL.5432"))
                        .await
                        .unwrap(),
                ),
                "postgres",
                "postgres",
            ),
        };
        let mut wire = Wire { socket };
        let mut body = 196_608u32.to_be_bytes().to_vec();
        for (name, value) in [("user", user), ("database", database)]
            .iter()
            .chain(parameters)
        {
            for text in [name, value] {
                body.extend_from_slice(text.as_bytes());
                body.push(0);
            }
        }
        body.push(0);
        let mut packet = (body.len() as u32 + 4).to_be_bytes().to_vec();
        packet.extend(body);
        wire.socket.write_all(&packet).await.unwrap();
        // ParameterStatus lines sorted: servers send them in an order of their own.
        let mut reported = Vec::new();
        let mut lines = Vec::new();
        loop {
            let Some((kind, body)) = wire.read().await else {
                reported.sort();
                reported.extend(lines);
                return (reported, None);
            };
            if kind == b'S' {
                let mut fields = body.split(|b| *b == 0).map(String::from_utf8_lossy);
                let (name, value) = (fields.next().unwrap(), fields.next().unwrap());
                if REPORTED.contains(&name.as_ref()) {
                    reported.push(format!("S {name}={value}"));
                }
                continue;
            }
            let done = kind == b'Z';
            lines.extend(line(kind, &body));
            if done {
                reported.sort();
                reported.extend(lines);
                return (reported, Some(wire));
            }
        }
    }

    /// A simple Query; the answer up to ReadyForQuery.
    pub async fn simple(&mut self, sql: &str) -> Vec<String> {
        self.send(b'Q', &cstring(sql)).await;
        self.until_ready().await
    }

    /// Parse (into `statement`, "" for the unnamed one), Bind, Execute and Sync of `sql`;
    /// the answer up to ReadyForQuery.
    pub async fn extended(&mut self, statement: &str, sql: &str) -> Vec<String> {
        self.parse(statement, sql).await;
        self.execute(statement).await
    }

    /// Parse of `sql` into `statement`, then Sync; the answer up to ReadyForQuery.
    pub async fn parse_only(&mut self, statement: &str, sql: &str) -> Vec<String> {
        self.parse(statement, sql).await;
        self.send(b'S', &[]).await;
        self.until_ready().await
    }

    /// Bind of `statement` (no parameters, text results), Execute and Sync.
    pub async fn execute(&mut self, statement: &str) -> Vec<String> {
        let mut bind = cstring("");
        bind.extend(cstring(statement));
        bind.extend([0, 0, 0, 0, 0, 0]);
        self.send(b'B', &bind).await;
        let mut execute = cstring("");
        execute.extend(0u32.to_be_bytes());
        self.send(b'E', &execute).await;
        self.send(b'S', &[]).await;
        self.until_ready().await
    }

    async fn parse(&mut self, statement: &str, sql: &str) {
        let mut parse = cstring(statement);
        parse.extend(cstring(sql));
        parse.extend(0u16.to_be_bytes());
        self.send(b'P', &parse).await;
    }

    async fn send(&mut self, kind: u8, body: &[u8]) {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        bytes.extend_from_slice(body);
        self.socket.write_all(&bytes).await.unwrap();
    }

    async fn until_ready(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let (kind, body) = self.read().await.expect("the connection stays open");
            lines.extend(line(kind, &body));
            if kind == b'Z' {
                return lines;
            }
        }
    }

    /// The next message; `None` once the server has closed the connection.
    async fn read(&mut self) -> Option<(u8, Vec<u8>)> {
        let read = async {
            let mut head = [0u8; 5];
            self.socket.read_exact(&mut head).await.ok()?;
            let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            let mut body = vec![0u8; len - 4];
            self.socket.read_exact(&mut body).await.ok()?;
            Some((head[0], body))
        };
        tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .expect("the server answers")
    }
}

fn cstring(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// The transcript line of one backend message (`None` for those the scripts do not compare:
/// notices, ParameterStatus after start-up, key data, authentication).
fn line(kind: u8, body: &[u8]) -> Option<String> {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    Some(match kind {
        b'C' => format!("C {}", text(body.split(|b| *b == 0).next()?)),
        b'E' => {
            let field = |tag: u8| {
                body.split(|b| *b == 0)
                    .find(|f| f.first() == Some(&tag))
                    .map(|f| text(&f[1..]))
            };
            let severity = field(b'V').or_else(|| field(b'S')).unwrap_or_default();
            let code = field(b'C').unwrap_or_default();
            let mut line = match severity.as_str() {
                "ERROR" => format!("E {code}"),
                other => format!("E {other} {code}"),
            };
            if WORDED.contains(&code.as_str()) {
                line.push_str(&format!(" {}", field(b'M').unwrap_or_default()));
                if let Some(detail) = field(b'D') {
                    line.push_str(&format!(" / {detail}"));
                }
            }
            line
        }
        b'T' => {
            let count = u16::from_be_bytes([body[0], body[1]]) as usize;
            let mut names = Vec::with_capacity(count);
            let mut rest = &body[2..];
            for _ in 0..count {
                let end = rest.iter().position(|b| *b == 0)?;
                names.push(text(&rest[..end]));
                rest = &rest[end + 1 + 18..];
            }
            format!("T {}", names.join(","))
        }
        b'D' => {
            let count = u16::from_be_bytes([body[0], body[1]]) as usize;
            let mut values = Vec::with_capacity(count);
            let mut rest = &body[2..];
            for _ in 0..count {
                let len = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
                rest = &rest[4..];
                if len < 0 {
                    values.push("NULL".to_owned());
                } else {
                    values.push(text(&rest[..len as usize]));
                    rest = &rest[len as usize..];
                }
            }
            format!("D {}", values.join("|"))
        }
        b'Z' => format!("Z {}", char::from(body[0])),
        b'1' => "ParseComplete".to_owned(),
        b'2' => "BindComplete".to_owned(),
        b'I' => "EmptyQuery".to_owned(),
        b's' => "PortalSuspended".to_owned(),
        _ => return None,
    })
}

/// One step of a script.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// A simple Query.
    Simple(&'a str),
    /// Parse (unnamed), Bind, Execute, Sync.
    Extended(&'a str),
    /// Parse into a named statement, Sync.
    Parse(&'a str, &'a str),
    /// Bind of a named statement, Execute, Sync.
    Execute(&'a str),
}

/// A step and the transcript PostgreSQL 15 answers it with.
pub type Script<'a> = &'a [(Step<'a>, &'a [&'a str])];

impl Target<'_> {
    fn name(&self) -> &'static str {
        match self {
            Target::Callqa(_) => "callqa",
            Target::Postgres(_) => "PostgreSQL",
        }
    }
}

/// Runs `script` on one connection to `target` (started with `TimeZone=UTC`, so both servers
/// start alike) and checks every step's transcript.
pub async fn check(target: &Target<'_>, script: Script<'_>) {
    let (_, wire) = Wire::connect(target, &[("TimeZone", "UTC")]).await;
    let mut wire = wire.expect("connected");
    for (step, expected) in script {
        let got = match *step {
            Step::Simple(sql) => wire.simple(sql).await,
            Step::Extended(sql) => wire.extended("", sql).await,
            Step::Parse(name, sql) => wire.parse_only(name, sql).await,
            Step::Execute(name) => wire.execute(name).await,
        };
        assert_eq!(got, *expected, "{}: {step:?}", target.name());
    }
}

/// Checks `script` on callqa, and on a throw-away PostgreSQL when one is installed (the
/// expected transcripts are PostgreSQL's).
pub async fn check_like_postgres(server: &TestServer, script: Script<'_>) {
    check(&Target::Callqa(server), script).await;
    if let Some(postgres) = tokio::task::block_in_place(Postgres::start) {
        check(&Target::Postgres(&postgres), script).await;
    }
}
