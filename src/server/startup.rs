//! Start-up of a connection: the TLS requirement, connection slots, SCRAM-SHA-256 against
//! the users file (or no password in sample mode), the cancel key, and the PostgreSQL version
//! callqa announces. Any refusal is FATAL and ends the connection: nothing a refused client
//! sends afterwards is read.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, ConnectionHandle, ConnectionManager, PidSecretKeyGenerator,
    RandomPidSecretKeyGenerator,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::admission::StartupGate;
use super::connection::{Planner, connection};
use super::errors::{pg_error, user_error};
use super::interrupt::{Interrupt, Interrupts};
use super::runtimes::on_planning_stack;
use super::scram;
use crate::pg_compat::SERVER_VERSION;
use crate::pg_compat::sqlstate;
use crate::users::{Role, Users};

/// Who may connect and how many at once.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Users with SCRAM verifiers; `None`: no password (loopback sample mode), everyone admin.
    pub users: Option<Arc<Users>>,
    /// Refuse connections that did not negotiate TLS.
    pub require_tls: bool,
    /// At most this many connections at once (`None`: no limit).
    pub max_connections: Option<usize>,
}

/// Startup: TLS requirement, connection slots, SCRAM-SHA-256 against the users file (or no
/// password in sample mode); registers the connection for cancel requests and announces the
/// Postgres version callqa speaks.
pub(super) struct Startup {
    /// Makes each connection's session, with its startup settings.
    pub(super) planner: Arc<Planner>,
    pub(super) connections: Arc<ConnectionManager>,
    pub(super) interrupts: Arc<Interrupts>,
    pub(super) keys: RandomPidSecretKeyGenerator,
    pub(super) access: Access,
}

impl Debug for Startup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Startup").finish_non_exhaustive()
    }
}

/// The SCRAM exchange of a connection in progress.
enum ScramState {
    AwaitingClientFirst,
    AwaitingClientFinal(scram::AwaitingClientFinal),
}

/// The role a connection authenticated as.
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnectionRole(pub(super) Role);

fn auth_failed(user: &str) -> PgWireError {
    user_error(
        sqlstate::INVALID_PASSWORD,
        format!("password authentication failed for user \"{user}\""),
    )
}

impl Startup {
    fn user<C: ClientInfo>(client: &C) -> String {
        client.metadata().get("user").cloned().unwrap_or_default()
    }

    /// Everything after the password (or without one): role, cancel key, parameters.
    async fn admit<C>(&self, client: &mut C, gate: &StartupGate, role: Role) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.session_extensions().insert(ConnectionRole(role));
        let (pid, secret) = self.keys.generate(client);
        client.set_pid_and_secret_key(pid, secret.clone());
        let interrupt = self.interrupts.register((pid, secret.to_bytes()));
        client
            .session_extensions()
            .insert::<Arc<Interrupt>>(interrupt);
        let (handle, guard) = self.connections.register(pid, secret);
        client
            .session_extensions()
            .insert::<Arc<ConnectionHandle>>(handle);
        client.session_extensions().insert(guard);
        tracing::info!(
            peer = %client.socket_addr(),
            user = Self::user(client),
            role = role.as_str(),
            tls = client.is_secure(),
            pid,
            "connection started"
        );
        // The session starts with the client's startup settings; one SET would refuse ends
        // the connection (FATAL), as in PostgreSQL.
        let conn = connection(&self.planner, client)?;
        let (planner, startup) = (Arc::clone(&self.planner), Arc::clone(&conn));
        let metadata = client.metadata().clone();
        on_planning_stack(async move {
            startup
                .session
                .apply_startup(&planner.engine, &metadata)
                .await
        })
        .await
        .and_then(|applied| applied)
        .map_err(|e| pg_error(&e))?;
        let parameters = reported_parameters(&conn.session);
        finish_authentication(client, &parameters).await?;
        gate.authenticated();
        Ok(())
    }

    /// One message of the startup phase; an error refuses the connection.
    /// Long because it is one match in protocol order (the startup message, then each step of
    /// the SCRAM exchange), so the whole handshake reads in one place.
    async fn step<C>(
        &self,
        client: &mut C,
        gate: &StartupGate,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(startup) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                if gate.over_limit() {
                    tracing::warn!(peer = %client.socket_addr(), "connection refused: too many connections");
                    return Err(user_error(
                        sqlstate::TOO_MANY_CONNECTIONS,
                        format!(
                            "sorry, too many clients already (max_connections = {})",
                            self.access.max_connections.unwrap_or(0)
                        ),
                    ));
                }
                if self.access.require_tls && !client.is_secure() {
                    tracing::warn!(peer = %client.socket_addr(), "connection refused: TLS required");
                    return Err(user_error(
                        sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                        "this server requires TLS (connect with sslmode=require)".to_owned(),
                    ));
                }
                match &self.access.users {
                    None => self.admit(client, gate, Role::Admin).await,
                    Some(_) => {
                        client
                            .session_extensions()
                            .insert(Mutex::new(Some(ScramState::AwaitingClientFirst)));
                        client.set_state(
                            pgwire::api::PgWireConnectionState::AuthenticationInProgress,
                        );
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                                vec![scram::MECHANISM.to_owned()],
                            )))
                            .await?;
                        Ok(())
                    }
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let Some(users) = &self.access.users else {
                    return Err(user_error(
                        sqlstate::PROTOCOL_VIOLATION,
                        "unexpected password message".to_owned(),
                    ));
                };
                let user = Self::user(client);
                let state = client
                    .session_extensions()
                    .get::<Mutex<Option<ScramState>>>()
                    .and_then(|s| s.lock().ok().and_then(|mut s| s.take()));
                let refused = |reason: &str| {
                    tracing::warn!(peer = %client.socket_addr(), reason, "authentication failed");
                    auth_failed(&user)
                };
                match state {
                    Some(ScramState::AwaitingClientFirst) => {
                        let initial = message.into_sasl_initial_response()?;
                        if initial.auth_method != scram::MECHANISM {
                            return Err(refused("unsupported SASL mechanism"));
                        }
                        let known = users.get(&user);
                        let (server_first, waiting) = scram::server_first(
                            initial.data.as_deref().unwrap_or_default(),
                            known.map(|u| &u.verifier),
                            &users.fake_salt(&user),
                        )
                        .map_err(|_| refused("malformed SCRAM message"))?;
                        if let Some(slot) = client
                            .session_extensions()
                            .get::<Mutex<Option<ScramState>>>()
                            && let Ok(mut slot) = slot.lock()
                        {
                            *slot = Some(ScramState::AwaitingClientFinal(waiting));
                        }
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLContinue(server_first.into_bytes().into()),
                            ))
                            .await?;
                        Ok(())
                    }
                    Some(ScramState::AwaitingClientFinal(waiting)) => {
                        let response = message.into_sasl_response()?;
                        let server_final = waiting.finish(&response.data).map_err(|e| match e {
                            scram::ScramError::WrongProof => {
                                refused("wrong password or unknown user")
                            }
                            scram::ScramError::Malformed(_) => refused("malformed SCRAM message"),
                        })?;
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLFinal(server_final.into_bytes().into()),
                            ))
                            .await?;
                        let role = users.get(&user).map_or(Role::Analyst, |u| u.role);
                        self.admit(client, gate, role).await
                    }
                    None => Err(refused("password message out of order")),
                }
            }
            _ => Err(user_error(
                sqlstate::PROTOCOL_VIOLATION,
                "invalid message during startup: expected a startup or password message",
            )),
        }
    }
}

/// The ParameterStatus values of a new connection: its session's settings, startup
/// settings applied (a `TimeZone` from `options` is the one reported).
fn reported_parameters(session: &crate::engine::Session) -> DefaultServerParameterProvider {
    let settings = session.settings();
    let reported = |name: &str| settings.get(name).unwrap_or_default().to_owned();
    let mut parameters = DefaultServerParameterProvider::default();
    parameters.server_version = SERVER_VERSION.to_owned();
    parameters.is_superuser = false;
    parameters.time_zone = reported("timezone");
    parameters.date_style = reported("datestyle");
    parameters.interval_style = reported("intervalstyle");
    parameters.client_encoding = Some(reported("client_encoding"));
    parameters.application_name = Some(reported("application_name"));
    parameters
}

/// The startup handler of one connection: runs [`Startup`] and turns any error into a
/// `FATAL` one that ends the connection (pgwire would send a non-fatal error, then
/// ReadyForQuery, and go on reading queries from an unauthenticated client).
#[derive(Debug)]
pub struct ConnectionStartup {
    pub(super) startup: Arc<Startup>,
    pub(super) gate: Arc<StartupGate>,
}

#[async_trait]
impl StartupHandler for ConnectionStartup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if self.gate.is_refused() {
            // Already refused: whatever else was in the socket's buffer is not read.
            return Ok(());
        }
        let Err(error) = self.startup.step(client, &self.gate, message).await else {
            return Ok(());
        };
        let mut info = pgwire::error::ErrorInfo::from(error);
        info.severity = "FATAL".to_owned();
        if let Err(e) = client
            .send(PgWireBackendMessage::ErrorResponse(info.into()))
            .await
        {
            tracing::debug!(error = ?e, "could not send the startup refusal");
        }
        // The state stays in startup, so pgwire sends no ReadyForQuery and runs no query;
        // the connection's task drops the socket.
        self.gate.refuse();
        Ok(())
    }
}
