//! One client's session: its DataFusion context, its PostgreSQL settings, its role and its
//! transaction block — the same for a wire connection, `callqa sql` and the SQL tests.
//!
//! The session time zone lives in two copies: `TimeZone` among the PostgreSQL settings (what
//! `SHOW` and ParameterStatus report) and DataFusion's `execution.time_zone` (what literals,
//! casts, `now()`, `extract` and `date_trunc` compute with). [`Session::set_time_zone`] is the
//! one place the second is written; `set`, `reset` and `reset_all` keep both equal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::config::ConfigOptions;
use datafusion::prelude::SessionContext;

use super::cursors::{self, Cursors, SharedCursors};
use super::named_statements::SharedNamedStatements;
use super::transaction::TransactionBlock;
use crate::config::parse_timeout_ms;
use crate::pg_compat::catalog::SessionPreparedStatements;
use crate::pg_compat::sqlstate::{self, Refusal};
use crate::pg_compat::{
    PgSettings, normalize_setting, settings_column_name, startup_settings, time_zone_setting,
};
use crate::users::Role;

/// Who starts a session: the user and the server's defaults (a wire connection's startup
/// parameters are applied afterwards, by [`Session::apply_startup`]).
#[derive(Debug, Clone)]
pub struct SessionStart<'a> {
    /// The role the user authenticated as.
    pub role: Role,
    /// The login name (`session_user`).
    pub user: &'a str,
    /// The backend process id clients see (`pg_backend_pid()`).
    pub pid: i32,
    /// The server's `--statement-timeout` in milliseconds (0: none): the session's default.
    pub statement_timeout_ms: u64,
}

/// The state of one session.
pub struct Session {
    ctx: SessionContext,
    /// The session's DataFusion options as it started (for `RESET` of `datafusion.*`).
    initial_options: Mutex<ConfigOptions>,
    settings: Mutex<PgSettings>,
    transaction: Mutex<TransactionBlock>,
    cursors: SharedCursors,
    /// SQL `PREPARE`d statements; also in the DataFusion state, for `pg_prepared_statements`.
    named: Arc<SharedNamedStatements>,
    role: Role,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("session", &self.ctx.session_id())
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session over `ctx` (a fresh clone of the engine's template) for `start`.
    pub(super) fn new(ctx: SessionContext, start: &SessionStart<'_>) -> Session {
        let mut settings = PgSettings::default();
        settings.start_with("statement_timeout", &start.statement_timeout_ms.to_string());
        if let Some(zone) = settings
            .get("timezone")
            .and_then(|zone| time_zone_setting(zone).ok())
        {
            set_time_zone(&ctx, &zone.arrow);
        }
        let initial_options = ctx.state().config().options().as_ref().clone();
        // Advisory locks belong to the session: released when it is dropped.
        crate::pg_compat::register_session_functions(&ctx, start.user, start.pid);
        let cursors = SharedCursors::default();
        list_cursors_in_catalog(&ctx, &cursors);
        let named = Arc::new(SharedNamedStatements::default());
        let listed = Arc::clone(&named);
        ctx.state_ref()
            .write()
            .config_mut()
            .set_extension(Arc::new(SessionPreparedStatements(Arc::new(move || {
                listed.rows()
            }))));
        Session {
            ctx,
            initial_options: Mutex::new(initial_options),
            settings: Mutex::new(settings),
            transaction: Mutex::default(),
            cursors,
            named,
            role: start.role,
        }
    }

    /// The DataFusion context statements are planned and run in.
    pub fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    /// The role of the session's user.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The PostgreSQL settings of the session.
    pub fn settings(&self) -> MutexGuard<'_, PgSettings> {
        // A poisoned lock only means another statement panicked mid-update; the settings
        // map is still a valid map, so keep serving.
        self.settings.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session's transaction block.
    pub fn transaction(&self) -> MutexGuard<'_, TransactionBlock> {
        // As for the settings: the block is valid whatever a panicking statement left.
        self.transaction
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The session's open cursors.
    pub fn cursors(&self) -> MutexGuard<'_, Cursors> {
        cursors::lock(&self.cursors)
    }

    pub(super) fn cursor_store(&self) -> &Mutex<Cursors> {
        &self.cursors
    }

    /// The session's SQL-level prepared statements.
    pub fn named_statements(&self) -> &SharedNamedStatements {
        &self.named
    }

    /// The session's time zone as DataFusion computes with it (an IANA name or an ISO offset:
    /// `TimeZone = '+08:00'` is `-08:00` here, as PostgreSQL reads the POSIX sign).
    pub fn time_zone(&self) -> Option<String> {
        self.ctx
            .state_ref()
            .read()
            .config_options()
            .execution
            .time_zone
            .clone()
    }

    /// Applies a wire connection's startup settings (the `options` parameter's `-c` settings,
    /// then the parameters that are settings, such as `TimeZone`) exactly as `SET` would; they
    /// become what `RESET` restores. The first one `SET` would refuse is the error, and the
    /// connection ends with it.
    pub async fn apply_startup(
        &self,
        engine: &super::Engine,
        parameters: &HashMap<String, String>,
    ) -> datafusion::error::Result<()> {
        for (name, value) in startup_settings(parameters)? {
            // Only a plain name can be a setting (and reads as one in SET).
            let plain = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !plain {
                return Err(unknown_setting(&name));
            }
            let sql = format!("SET {name} = '{}'", value.replace('\'', "''"));
            Box::pin(self.run_sql(engine, &sql)).await?;
        }
        self.settings().mark_started();
        *self
            .initial_options
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            self.ctx.state().config().options().as_ref().clone();
        Ok(())
    }

    /// The `statement_timeout` in milliseconds; `None` or 0 mean no limit.
    pub fn statement_timeout_ms(&self) -> Option<u64> {
        self.settings()
            .get("statement_timeout")
            .and_then(parse_timeout_ms)
    }

    /// `SHOW name` / `SHOW ALL`: one column named as PostgreSQL names it (three for `ALL`).
    pub fn show(&self, name: &str) -> datafusion::error::Result<RecordBatch> {
        if name.eq_ignore_ascii_case("all") {
            let all = self.settings().all();
            let column = |f: fn(&(String, String, String)) -> &str| -> ArrayRef {
                Arc::new(all.iter().map(|row| Some(f(row))).collect::<StringArray>())
            };
            return Ok(RecordBatch::try_new(
                Arc::new(Schema::new(vec![
                    Field::new("name", DataType::Utf8, false),
                    Field::new("setting", DataType::Utf8, false),
                    Field::new("description", DataType::Utf8, false),
                ])),
                vec![column(|r| &r.0), column(|r| &r.1), column(|r| &r.2)],
            )?);
        }
        let value = self
            .settings()
            .get(name)
            .map(str::to_owned)
            .ok_or_else(|| unknown_setting(name))?;
        one_value(settings_column_name(name), value)
    }

    /// `SET name = value` of a PostgreSQL setting (the time zone in both copies).
    pub async fn set(&self, name: &str, value: &str) -> datafusion::error::Result<()> {
        if normalize_setting(name) == "timezone" {
            // Read as PostgreSQL reads a zone; DataFusion's copy is the zone it names.
            let zone = time_zone_setting(value)?;
            if !self.settings().set(name, &zone.shown) {
                return Err(unknown_setting(name));
            }
            set_time_zone(&self.ctx, &zone.arrow);
            return Ok(());
        }
        if normalize_setting(name) == "client_encoding" {
            let encoding = client_encoding(value)?;
            self.settings().set(name, encoding);
            return Ok(());
        }
        if normalize_setting(name) == "statement_timeout" && parse_timeout_ms(value).is_none() {
            return Err(Refusal::error(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"statement_timeout\": \"{value}\""),
            ));
        }
        if self.settings().set(name, value) {
            Ok(())
        } else {
            Err(unknown_setting(name))
        }
    }

    /// `RESET name`: a PostgreSQL setting back to the session's start (the time zone in both
    /// copies), a `datafusion.*` option back to the session's start.
    pub fn reset(&self, name: &str) -> datafusion::error::Result<()> {
        let option = name.to_ascii_lowercase();
        if option.starts_with("datafusion.") {
            let initial = self
                .initial_options
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entries()
                .into_iter()
                .find(|entry| entry.key == option)
                .ok_or_else(|| unknown_setting(name))?;
            let state = self.ctx.state_ref();
            let mut state = state.write();
            return state
                .config_mut()
                .options_mut()
                .set(&option, initial.value.as_deref().unwrap_or_default());
        }
        let restored = {
            let mut settings = self.settings();
            if !settings.reset(name) {
                return Err(unknown_setting(name));
            }
            settings.get("timezone").map(str::to_owned)
        };
        if normalize_setting(name) == "timezone"
            && let Some(zone) = restored.and_then(|shown| time_zone_setting(&shown).ok())
        {
            set_time_zone(&self.ctx, &zone.arrow);
        }
        Ok(())
    }

    /// `RESET ALL` / `DISCARD ALL`: every setting and option back to the session's start.
    pub fn reset_all(&self) {
        self.settings().reset_all();
        let initial = self
            .initial_options
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        *self.ctx.state_ref().write().config_mut().options_mut() = initial;
    }
}

/// The session's time zone for DataFusion: `timestamptz` literals, casts, `now()`,
/// `extract` and `date_trunc` carry it, as in PostgreSQL (DataFusion's default is none: they
/// would come back as `timestamp`).
fn set_time_zone(ctx: &SessionContext, time_zone: &str) {
    ctx.state_ref()
        .write()
        .config_mut()
        .options_mut()
        .execution
        .time_zone = Some(time_zone.to_owned());
}

/// Lets `pg_cursors` list the session's cursors. Weak: a cursor's query holds the session's
/// config, which must not keep the cursors alive.
fn list_cursors_in_catalog(ctx: &SessionContext, cursors: &SharedCursors) {
    let cursors = Arc::downgrade(cursors);
    let listing = crate::pg_compat::catalog::SessionCursors::new(move || {
        cursors
            .upgrade()
            .map(|c| cursors::lock(&c).rows())
            .unwrap_or_default()
    });
    ctx.state_ref()
        .write()
        .config_mut()
        .set_extension(Arc::new(listing));
}

/// A `client_encoding` callqa can keep: rows go out as UTF-8, which is what UTF8 (any
/// spelling) and SQL_ASCII (no conversion) clients read. Another encoding would need a
/// conversion callqa does not make: refused rather than announced and not kept.
fn client_encoding(value: &str) -> datafusion::error::Result<&'static str> {
    let spelled: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    match spelled.as_str() {
        "UTF8" | "UNICODE" => Ok("UTF8"),
        "SQLASCII" => Ok("SQL_ASCII"),
        _ => Err(Refusal::error(
            sqlstate::FEATURE_NOT_SUPPORTED,
            format!("client_encoding \"{value}\" is not supported: callqa sends UTF8 only"),
        )),
    }
}

fn unknown_setting(name: &str) -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::UNDEFINED_OBJECT,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

/// A one-row, one-column text answer.
pub fn one_value(column: String, value: String) -> datafusion::error::Result<RecordBatch> {
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(column, DataType::Utf8, false)])),
        vec![Arc::new(StringArray::from(vec![value]))],
    )?)
}
