//! A throw-away PostgreSQL cluster, the oracle the differential test compares callqa with.
//!
//! `initdb` into a temporary folder, started on a Unix socket in that folder (no TCP port, so
//! nothing on the machine can collide with it), stopped and deleted on drop. PostgreSQL
//! refuses to run as root, so as root the cluster runs as the `postgres` user Debian's package
//! creates.

use std::path::{Path, PathBuf};
use std::process::Command;

use tokio_postgres::{Client, NoTls};

/// A running cluster; stopped on drop.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    run_as: Option<&'static str>,
}

/// The binaries of the newest PostgreSQL installed (`CALLQA_PG_BIN` overrides), if any.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CALLQA_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

impl Postgres {
    /// Starts a cluster, or `None` when PostgreSQL is not installed (a failure instead when
    /// `CALLQA_REQUIRE_CLIENTS` is set, as in CI).
    pub fn start() -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
                "PostgreSQL is required (CALLQA_REQUIRE_CLIENTS is set): apt-get install postgresql-15"
            );
            eprintln!("PostgreSQL is not installed; skipping (apt-get install postgresql-15)");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("callqa-pg")
            .tempdir()
            .unwrap();
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let run_as = root.then_some("postgres");
        if let Some(user) = run_as {
            let chown = Command::new("chown")
                .args(["-R", user])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chown.success(), "chown {user} {}", dir.path().display());
        }
        let cluster = Postgres { bin, dir, run_as };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        let options = format!(
            "-c listen_addresses='' -k {} -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("log").display().to_string();
        cluster.run(
            "pg_ctl",
            &["-D", &data, "-o", &options, "-l", &log, "-w", "start"],
        );
        Some(cluster)
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one of PostgreSQL's programs (as the cluster's user), panicking with its output
    /// when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A command for one of PostgreSQL's programs, run as the cluster's user.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    /// The folder of the cluster's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A tokio-postgres connection string for database `dbname`.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port=5432 user=postgres dbname={dbname}",
            self.socket_dir().display()
        )
    }

    /// Connects a new tokio-postgres client to database `dbname`.
    pub async fn connect(&self, dbname: &str) -> Client {
        let (client, connection) = tokio_postgres::connect(&self.conninfo(dbname), NoTls)
            .await
            .expect("connects to PostgreSQL");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}
