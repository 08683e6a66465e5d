//! Transaction blocks and savepoints on a read-only server.
//!
//! Nothing callqa serves can be written, so a transaction block changes no data; but clients
//! steer by its answers. psycopg 3 wraps a nested `with conn.transaction()` (SQLAlchemy's
//! inspector, its type lookups) in `SAVEPOINT` / `RELEASE SAVEPOINT` / `ROLLBACK TO
//! SAVEPOINT`, and reads the transaction status byte of every `ReadyForQuery` to decide what
//! to send next. So savepoints are kept as Postgres keeps them — a stack of names per
//! connection, valid only inside a block — and misuse gets Postgres' errors and SQLSTATEs.
//!
//! An error inside a block fails it, as in Postgres: until `ROLLBACK`, `COMMIT` (which then
//! answers `ROLLBACK`) or a `ROLLBACK TO` a savepoint, every statement is refused with 25P02.
//! Drivers count on that refusal (and on the `E` status byte) to notice a lost transaction
//! instead of reading the answers of the statements after it as if the block were whole.

use datafusion::sql::sqlparser::ast::Ident;

use crate::pg_compat::sqlstate::{self, Refusal};

/// A savepoint statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavepointCommand {
    /// `SAVEPOINT name`.
    Define(String),
    /// `RELEASE [SAVEPOINT] name`.
    Release(String),
    /// `ROLLBACK TO [SAVEPOINT] name`.
    RollbackTo(String),
}

impl SavepointCommand {
    /// The savepoint's name as Postgres keeps it: unquoted identifiers fold to lower case.
    pub fn name_of(ident: &Ident) -> String {
        match ident.quote_style {
            Some(_) => ident.value.clone(),
            None => ident.value.to_lowercase(),
        }
    }

    /// The command tag Postgres answers with.
    pub fn tag(&self) -> &'static str {
        match self {
            SavepointCommand::Define(_) => "SAVEPOINT",
            SavepointCommand::Release(_) => "RELEASE",
            SavepointCommand::RollbackTo(_) => "ROLLBACK",
        }
    }
}

/// The transaction block of one connection: `None` outside a block, else its savepoints,
/// oldest first; and whether an error has failed it.
#[derive(Debug, Default)]
pub struct TransactionBlock {
    savepoints: Option<Vec<String>>,
    failed: bool,
}

impl TransactionBlock {
    /// `BEGIN`; inside a block Postgres only warns and keeps the block (and its savepoints).
    pub fn begin(&mut self) {
        self.savepoints.get_or_insert_with(Vec::new);
    }

    /// Whether a transaction block is open.
    pub fn in_block(&self) -> bool {
        self.savepoints.is_some()
    }

    /// How many savepoints are defined.
    pub fn depth(&self) -> usize {
        self.savepoints.as_ref().map_or(0, Vec::len)
    }

    /// `COMMIT` / `ROLLBACK`: the block and all its savepoints end. True when the block had
    /// failed: it was rolled back, whatever the statement said.
    pub fn end(&mut self) -> bool {
        self.savepoints = None;
        std::mem::take(&mut self.failed)
    }

    /// A statement failed: inside a block, the block fails (outside one there is nothing to
    /// keep: the statement's own implicit transaction ended with it).
    pub fn fail(&mut self) {
        if self.savepoints.is_some() {
            self.failed = true;
        }
    }

    /// Whether the connection is inside a transaction block (failed or not).
    pub fn is_open(&self) -> bool {
        self.savepoints.is_some()
    }

    /// Whether the connection is inside a block an error has failed.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// The refusal of a statement in a failed block, unless it is one that ends the failure
    /// (`ends_failure`: `COMMIT`, `ROLLBACK`, `ROLLBACK TO SAVEPOINT`).
    pub fn admit(&self, ends_failure: bool) -> datafusion::error::Result<()> {
        if self.failed && !ends_failure {
            return Err(Refusal::error(
                sqlstate::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        Ok(())
    }

    /// Applies a savepoint command; its tag, or Postgres' error for it.
    pub fn apply(&mut self, command: &SavepointCommand) -> datafusion::error::Result<&'static str> {
        let (statement, name) = match command {
            SavepointCommand::Define(name) => ("SAVEPOINT", name),
            SavepointCommand::Release(name) => ("RELEASE SAVEPOINT", name),
            SavepointCommand::RollbackTo(name) => ("ROLLBACK TO SAVEPOINT", name),
        };
        let Some(savepoints) = self.savepoints.as_mut() else {
            return Err(Refusal::error(
                sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                format!("{statement} can only be used in transaction blocks"),
            ));
        };
        if let SavepointCommand::Define(name) = command {
            savepoints.push(name.clone());
            return Ok(command.tag());
        }
        // The newest savepoint of that name counts (names may repeat).
        let Some(position) = savepoints.iter().rposition(|s| s == name) else {
            return Err(Refusal::error(
                sqlstate::INVALID_SAVEPOINT_SPECIFICATION,
                format!("savepoint \"{name}\" does not exist"),
            ));
        };
        match command {
            // Release destroys the savepoint and every one defined after it.
            SavepointCommand::Release(_) => savepoints.truncate(position),
            // Rolling back keeps the savepoint itself, so it can be rolled back to again; the
            // error came after it, so the block is usable again.
            _ => {
                savepoints.truncate(position + 1);
                self.failed = false;
            }
        }
        Ok(command.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::{SavepointCommand, TransactionBlock};

    fn code(result: datafusion::error::Result<&'static str>) -> String {
        match result {
            Err(datafusion::error::DataFusionError::External(e)) => e
                .downcast_ref::<crate::pg_compat::sqlstate::Refusal>()
                .map_or_else(|| e.to_string(), |refusal| refusal.code.to_owned()),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn savepoints_need_a_transaction_block() {
        let mut block = TransactionBlock::default();
        let define = SavepointCommand::Define("a".to_owned());
        assert_eq!(code(block.apply(&define)), "25P01");
        block.begin();
        assert_eq!(block.apply(&define).ok(), Some("SAVEPOINT"));
        block.end();
        let release = SavepointCommand::Release("a".to_owned());
        assert_eq!(code(block.apply(&release)), "25P01");
    }

    #[test]
    fn release_and_rollback_to_follow_postgres_stack_rules() {
        let mut block = TransactionBlock::default();
        block.begin();
        for name in ["a", "b", "c"] {
            block
                .apply(&SavepointCommand::Define(name.to_owned()))
                .unwrap();
        }
        // Rolling back to b keeps b and drops c.
        let to_b = SavepointCommand::RollbackTo("b".to_owned());
        assert_eq!(block.apply(&to_b).ok(), Some("ROLLBACK"));
        assert_eq!(block.apply(&to_b).ok(), Some("ROLLBACK"));
        let release_c = SavepointCommand::Release("c".to_owned());
        assert_eq!(code(block.apply(&release_c)), "3B001");
        // Releasing a drops a and everything after it.
        let release_a = SavepointCommand::Release("a".to_owned());
        assert_eq!(block.apply(&release_a).ok(), Some("RELEASE"));
        assert_eq!(code(block.apply(&to_b)), "3B001");
    }

    #[test]
    fn an_error_fails_the_block_until_rollback_to_a_savepoint_or_its_end() {
        let mut block = TransactionBlock::default();
        // Outside a block an error fails nothing.
        block.fail();
        assert!(block.admit(false).is_ok());
        block.begin();
        block
            .apply(&SavepointCommand::Define("a".to_owned()))
            .unwrap();
        block.fail();
        let refused = block.admit(false).map(|()| "admitted");
        assert_eq!(code(refused), "25P02");
        assert!(block.admit(true).is_ok());
        // A savepoint that does not exist leaves the block failed.
        let to_b = SavepointCommand::RollbackTo("b".to_owned());
        assert_eq!(code(block.apply(&to_b)), "3B001");
        assert!(block.is_failed());
        let to_a = SavepointCommand::RollbackTo("a".to_owned());
        assert_eq!(block.apply(&to_a).ok(), Some("ROLLBACK"));
        assert!(block.admit(false).is_ok());
        block.fail();
        assert!(block.end(), "a failed block ends rolled back");
        assert!(!block.is_failed());
        block.begin();
        assert!(!block.end());
    }
}
