//! The `callqa` binary as a user runs it: bad input gets one clear line and a non-zero exit,
//! `serve` announces its address and stops cleanly on Ctrl-C, `sql -c` prints or fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn callqa() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callqa"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn");
    command
}

/// `callqa serve` on the sample data and a free loopback port: the process, the line it
/// announced itself with, and the port.
fn serve_on_a_free_port() -> (std::process::Child, String, u16) {
    let mut child = callqa()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (line, port) = announced_port(&mut child);
    (child, line, port)
}

/// The line a `callqa serve` child announced itself with on stdout, and its port.
fn announced_port(child: &mut std::process::Child) -> (String, u16) {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("callqa listening on 127.0.0.1:"), "{line}");
    let port = line["callqa listening on 127.0.0.1:".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (line, port)
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_unknown_flag_is_refused() {
    let output = callqa().args(["serve", "--no-such-flag"]).output().unwrap();
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("--no-such-flag"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn a_missing_data_root_is_one_clear_line() {
    let output = callqa()
        .args([
            "serve",
            "--data",
            "/no/such/root",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert_eq!(
        stderr.trim(),
        "callqa: data root /no/such/root: no such directory"
    );
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = callqa()
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr
            .trim()
            .starts_with(&format!("callqa: cannot listen on {addr}:")),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn env_vars_configure_flags() {
    let output = callqa()
        .args(["serve"])
        .env("CALLQA_DATA", "/no/such/env/root")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("/no/such/env/root"));
}

#[test]
fn sql_prints_a_table_and_fails_with_exit_code_1() {
    let output = callqa()
        .args(["sql", "-c", "select count(*) from agents"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("| count |"), "{stdout}");
    assert!(stdout.contains("(1 row)"), "{stdout}");

    let output = callqa()
        .args(["sql", "-c", "select * from no_such_table"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("no_such_table"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn serve_announces_address_and_tables_then_stops_on_ctrl_c() {
    let (mut child, line, port) = serve_on_a_free_port();
    for table in ["calls", "utterances", "audio_features", "surveys", "agents"] {
        assert!(line.contains(&format!("{table} ")), "{line}");
    }
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "serve exits 0 after Ctrl-C: {status}");
}

/// The committed sample data is exactly what its documented command produces.
#[test]
fn sample_data_is_what_the_documented_generate_command_writes() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("sample");
    let output = callqa()
        .args([
            "generate", "--calls", "3000", "--days", "14", "--agents", "40", "--seed", "42",
            "--quiet", "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/README.md"),
    )
    .unwrap();
    assert!(
        readme.contains("generate --calls 3000 --days 14 --agents 40 --seed 42 --out sample_data")
    );
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let mut compared = 0;
    let mut stack = vec![dir.clone()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(&dir).unwrap();
            let committed = std::fs::read(sample.join(relative)).unwrap_or_default();
            assert!(
                committed == std::fs::read(&path).unwrap(),
                "sample_data/{} differs",
                relative.display()
            );
            compared += 1;
        }
    }
    assert_eq!(
        compared,
        14 * 4 + 1,
        "one file per table and day, plus agents"
    );
}

#[test]
fn user_add_stores_a_verifier_and_serve_refuses_an_open_address_without_users() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users");
    let mut child = callqa()
        .args(["user", "add", "lena", "--role", "admin", "--users"])
        .arg(&users)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(&users).unwrap();
    assert!(text.contains("lena admin SCRAM-SHA-256$4096:"), "{text}");
    assert!(!text.contains("correct horse"));

    let open = callqa()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(open.status.code(), Some(1));
    let stderr = stderr_of(&open);
    assert!(
        stderr.contains("only listens on loopback") && stderr.contains("callqa user add"),
        "{stderr}"
    );
}

/// pgbench (Debian postgresql-15), 32 clients for a bounded time with the dashboard script
/// `tests/load/dashboards.sql`, simple and extended protocol: no failed transaction and the
/// server's peak RSS under 1.5 GB. Prints the p99 latency. `CALLQA_LOAD_SECONDS` sets the
/// duration (default 30).
#[test]
fn pgbench_dashboards_32_clients_without_failures() {
    let installed = Command::new("pgbench")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        installed || std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
        "pgbench is required (CALLQA_REQUIRE_CLIENTS is set): install postgresql-15"
    );
    if !installed {
        eprintln!("pgbench is not installed; skipping (CI installs postgresql-15)");
        return;
    }
    let seconds = std::env::var("CALLQA_LOAD_SECONDS").unwrap_or_else(|_| "30".to_owned());
    let (mut server, _, port) = serve_on_a_free_port();
    let port = port.to_string();
    let logs = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/load/dashboards.sql");
    for mode in ["simple", "extended"] {
        let prefix = logs.path().join(mode);
        let output = Command::new("pgbench")
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "analyst", "-n"])
            .args([
                "-c",
                "32",
                "-j",
                "2",
                "-T",
                &seconds,
                "-M",
                mode,
                "-l",
                "--log-prefix",
            ])
            .arg(&prefix)
            .arg("-f")
            .arg(&script)
            .arg("callqa")
            .current_dir(logs.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "pgbench {mode}:\n{stdout}\n{}",
            stderr_of(&output)
        );
        assert!(
            stdout.contains("number of failed transactions: 0 (0.000%)"),
            "{mode}: {stdout}"
        );
        let processed: u64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("number of transactions actually processed: "))
            .and_then(|n| n.split('/').next()?.trim().parse().ok())
            .unwrap_or(0);
        assert!(processed > 0, "{mode}: {stdout}");
        // Per-transaction log lines: client_id transaction_no latency_us script_no time_epoch time_us
        let mut latencies: Vec<u64> = std::fs::read_dir(logs.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(mode))
            .flat_map(|p| {
                std::fs::read_to_string(p)
                    .unwrap()
                    .lines()
                    .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
                    .collect::<Vec<u64>>()
            })
            .collect();
        latencies.sort_unstable();
        let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
        eprintln!(
            "pgbench {mode}: {processed} transactions of 5 dashboard queries in {seconds} s, \
             32 clients: p50 {:.0} ms, p99 {:.0} ms",
            p(0.5),
            p(0.99)
        );
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    eprintln!("server peak RSS {} MB", peak_kb / 1024);
    assert!(
        peak_kb < 1536 * 1024,
        "server peak RSS {peak_kb} kB over 1.5 GB"
    );
    // The server still answers correctly after the load.
    let after = Command::new("psql")
        .args([
            "-X",
            "-A",
            "-t",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "analyst",
            "-d",
            "callqa",
        ])
        .args(["-c", "select count(*) from calls"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&after.stdout).trim(), "3000");
    let _ = server.kill();
    let _ = server.wait();
}

/// `RUST_LOG=trace`, the most a user can ask for: queries with a planted literal, a bound
/// parameter and transcript rows in their results leave none of them in the log.
#[tokio::test(flavor = "multi_thread")]
async fn no_log_level_writes_sql_literals_parameters_or_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("callqa.log");
    let mut child = callqa()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let (_, port) = announced_port(&mut child);
    let conninfo = format!("host=127.0.0.1 port={port} user=analyst dbname=callqa");
    let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let literal = "PLANTED-LITERAL-4471";
    let parameter = "PLANTED-PARAM-9923";
    client
        .simple_query(&format!(
            "select count(*) from calls where queue = '{literal}'"
        ))
        .await
        .unwrap();
    client
        .query("select count(*) from calls where queue = $1", &[&parameter])
        .await
        .unwrap();
    let failing = format!("select '{literal}'::int");
    assert!(client.simple_query(&failing).await.is_err());
    let rows = client
        .query(
            "select text from utterances where length(text) > 20 limit 3",
            &[],
        )
        .await
        .unwrap();
    let transcript: String = rows[0].get(0);
    drop(client);
    // Let the server log the connection's end before it is killed.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("connection started"),
        "trace logging is on: {log}"
    );
    for secret in [literal, parameter, transcript.as_str(), "queue = "] {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
}

/// Out of file descriptors: 300 sockets against a server allowed 100 files. The accept loop
/// backs off instead of spinning (a handful of warnings, not millions of lines) and serves
/// again once the sockets are gone.
#[tokio::test(flavor = "multi_thread")]
async fn accept_backs_off_when_file_descriptors_run_out() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("callqa.log");
    let mut child = Command::new("sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "-c",
            "ulimit -n 100 && exec \"$0\" serve --listen 127.0.0.1:0 --max-connections 0",
            env!("CARGO_BIN_EXE_callqa"),
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let (_, port) = announced_port(&mut child);
    let addr = format!("127.0.0.1:{port}");
    let mut held = Vec::new();
    for _ in 0..300 {
        match tokio::net::TcpStream::connect(&addr).await {
            Ok(socket) => held.push(socket),
            Err(_) => break,
        }
    }
    // The sockets stay for three seconds: a spinning loop would log thousands of lines.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    drop(held);
    let conninfo =
        format!("host=127.0.0.1 port={port} user=analyst dbname=callqa connect_timeout=20");
    let mut answered = None;
    for _ in 0..40 {
        if let Ok((client, connection)) =
            tokio_postgres::connect(&conninfo, tokio_postgres::NoTls).await
        {
            tokio::spawn(connection);
            let n: i64 = client
                .query_one("select count(*) from calls", &[])
                .await
                .unwrap()
                .get(0);
            answered = Some(n);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let warnings = log.lines().filter(|l| l.contains("accept failed")).count();
    assert!(warnings >= 1, "descriptors ran out: {log}");
    assert!(warnings <= 20, "{warnings} accept warnings: the loop spins");
    assert_eq!(
        answered,
        Some(3000),
        "served again after the sockets closed"
    );
}
