//! The `callqa` command: parse flags, run, and turn errors into one line and an exit code.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use callqa::cli::{Cli, Command, OutputFormat, UserCommand};
use callqa::config::{EngineConfig, ServerConfig};
use callqa::generate::{GenerateOptions, generate, generate_jsonl};
use callqa::ingest::{IngestOptions, ingest};
use callqa::server::Server;
use callqa::users::{Role, add_user};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_writer(std::io::stderr)
        .init();
    // Statements are planned and run on threads of their own (`server::runtimes`); these
    // get a larger stack too, for what a deep statement leaves to its connection's task.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("callqa: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("callqa: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Crates whose debug output carries SQL text, literals, plans or bound values (sqlparser
/// logs every token; DataFusion every plan): capped at `warn` whatever `RUST_LOG` asks, so no
/// level of logging writes a transcript or a customer's number.
const CHATTY_DEPENDENCIES: [&str; 6] = [
    "sqlparser",
    "datafusion",
    "arrow",
    "parquet",
    "pgwire",
    "object_store",
];

/// `RUST_LOG` (default `info`), with [`CHATTY_DEPENDENCIES`] capped.
fn log_filter() -> EnvFilter {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for target in CHATTY_DEPENDENCIES {
        if let Ok(directive) = format!("{target}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// Runs one command. Long because it is one arm per subcommand, each a few lines of wiring.
async fn run(cli: Cli) -> callqa::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = ServerConfig::from(&args);
            let server = Server::bind(&config).await?;
            // Install the handlers before announcing the address: a Ctrl-C right after the
            // announcement must stop the server cleanly, not kill it.
            let stop = shutdown_signal().map_err(|e| callqa::Error::Internal {
                what: "signal handler".to_owned(),
                reason: e.to_string(),
            })?;
            let engine = server.engine();
            println!(
                "callqa listening on {} (data {}: {})",
                server.local_addr(),
                engine.root(),
                engine.tables_line()
            );
            server.run(stop).await;
            Ok(())
        }
        Command::Generate(args) => {
            let options = GenerateOptions::from(&args);
            let started = std::time::Instant::now();
            let format = args.format;
            let summary = blocking("generate", move || match format {
                OutputFormat::Parquet => generate(&options),
                OutputFormat::Jsonl => generate_jsonl(&options),
            })
            .await?;
            let rows = rows_line(summary.rows.iter().map(|(table, n)| (table, n)));
            println!(
                "wrote {} in {:.1}s: {rows}",
                args.out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Ingest(args) => {
            let options = IngestOptions::from(&args);
            let started = std::time::Instant::now();
            let summary = blocking("ingest", move || ingest(&options)).await?;
            let recovered = &summary.recovered;
            if recovered.completed_runs + recovered.discarded_runs > 0 {
                eprintln!(
                    "recovered interrupted runs first: {} finished, {} discarded",
                    recovered.completed_runs, recovered.discarded_runs
                );
            }
            for r in summary.rejected.iter().take(10) {
                eprintln!("rejected {}:{}: {}", r.file, r.line, r.reason);
            }
            if summary.rejected.len() > 10 {
                eprintln!("… and {} more rejected", summary.rejected.len() - 10);
            }
            let rows = rows_line(summary.rows.iter());
            println!(
                "ingested {} calls, {} agents into {} in {:.1}s ({} files; {rows}); {} rejected",
                summary.calls,
                summary.agents,
                args.data.display(),
                started.elapsed().as_secs_f64(),
                summary.files.len(),
                summary.rejected.len()
            );
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let role = Role::parse(&args.role).unwrap_or(Role::Analyst);
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|source| callqa::Error::Io {
                    path: "<stdin>".into(),
                    source,
                })?;
            let password = password.trim_end_matches(['\n', '\r']);
            add_user(&args.users, &args.name, role, password)?;
            println!(
                "{} {} in {} (password stored as a SCRAM-SHA-256 verifier)",
                args.name,
                role.as_str(),
                args.users.display()
            );
            Ok(())
        }
        Command::Sql(args) => {
            let output = Box::pin(callqa::engine::sql_shell::run_sql(
                &EngineConfig::from(&args.data),
                &args.command,
            ))
            .await?;
            print!("{output}");
            Ok(())
        }
    }
}

/// "calls 12, utterances 281, …": rows written per table.
fn rows_line<'a>(rows: impl Iterator<Item = (&'a &'static str, &'a u64)>) -> String {
    rows.map(|(table, n)| format!("{table} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs blocking work (file I/O, Parquet encoding) off the async runtime.
async fn blocking<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> callqa::Result<T> + Send + 'static,
) -> callqa::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| callqa::Error::Internal {
            what: what.to_owned(),
            reason: e.to_string(),
        })?
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM; registered as soon as this is called.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}
