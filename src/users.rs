//! Who may connect: the users file (`--users`), its roles and SCRAM-SHA-256 verifiers.
//!
//! One user per line, `#` starts a comment:
//!
//! ```text
//! # name   role     verifier (PostgreSQL's pg_authid format)
//! lena     analyst  SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>
//! ops      admin    SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>
//! ```
//!
//! The verifier holds the salt, the iteration count and two keys derived from the password
//! (RFC 5802): enough to check a client's proof, not enough to log in, and never the password.
//! `callqa user add NAME` writes an entry.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::{digest, hmac, pbkdf2};

use crate::{Error, Result};

/// Bytes of salt in new verifiers (PostgreSQL's length).
pub const SALT_BYTES: usize = 16;

/// Iterations of PBKDF2 for new verifiers (PostgreSQL's default).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Read: SELECT, SHOW, EXPLAIN, SET of session settings.
    Analyst,
    /// Read, and reload rules.
    Admin,
}

impl Role {
    /// The name in the users file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// Reads a role name.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A SCRAM-SHA-256 verifier: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramVerifier {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// Salt.
    pub salt: Vec<u8>,
    /// SHA-256(HMAC(SaltedPassword, "Client Key")).
    pub stored_key: Vec<u8>,
    /// HMAC(SaltedPassword, "Server Key").
    pub server_key: Vec<u8>,
}

// Keys stay out of logs and debug output.
impl fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramVerifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl ScramVerifier {
    /// The verifier of `password` with `salt`.
    pub fn from_password(password: &str, salt: &[u8], iterations: u32) -> Self {
        // SASLprep as PostgreSQL and libpq do; a password it rejects is used as given.
        let prepared = stringprep::saslprep(password)
            .map(|p| p.into_owned())
            .unwrap_or_else(|_| password.to_owned());
        let mut salted = [0u8; 32];
        let rounds =
            std::num::NonZeroU32::new(iterations.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            rounds,
            salt,
            prepared.as_bytes(),
            &mut salted,
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, &salted);
        let client_key = hmac::sign(&key, b"Client Key");
        let server_key = hmac::sign(&key, b"Server Key");
        ScramVerifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: digest::digest(&digest::SHA256, client_key.as_ref())
                .as_ref()
                .to_vec(),
            server_key: server_key.as_ref().to_vec(),
        }
    }

    /// A verifier of `password` with a fresh random salt.
    pub fn new_random(password: &str) -> Self {
        let salt: [u8; SALT_BYTES] = rand::random();
        Self::from_password(password, &salt, SCRAM_ITERATIONS)
    }

    /// Reads the textual form.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let bad =
            || "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>".to_owned();
        let rest = text.strip_prefix("SCRAM-SHA-256$").ok_or_else(bad)?;
        let (params, keys) = rest.split_once('$').ok_or_else(bad)?;
        let (iterations, salt) = params.split_once(':').ok_or_else(bad)?;
        let (stored, server) = keys.split_once(':').ok_or_else(bad)?;
        let iterations: u32 = iterations
            .parse()
            .map_err(|_| format!("iteration count '{iterations}' is not a number"))?;
        if iterations == 0 {
            return Err("iteration count must be positive".to_owned());
        }
        let decode = |what: &str, b64: &str| {
            STANDARD
                .decode(b64)
                .map_err(|e| format!("{what} is not base64: {e}"))
        };
        let verifier = ScramVerifier {
            iterations,
            salt: decode("salt", salt)?,
            stored_key: decode("StoredKey", stored)?,
            server_key: decode("ServerKey", server)?,
        };
        if verifier.stored_key.len() != 32 || verifier.server_key.len() != 32 {
            return Err("StoredKey and ServerKey must be 32 bytes (SHA-256)".to_owned());
        }
        Ok(verifier)
    }
}

impl fmt::Display for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }
}

/// One user.
#[derive(Debug, Clone)]
pub struct User {
    /// Role.
    pub role: Role,
    /// How the password is checked.
    pub verifier: ScramVerifier,
}

/// The users allowed to connect.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: BTreeMap<String, User>,
}

impl Users {
    /// Reads a users file; a bad line is an error naming the file and line.
    pub fn load(path: &Path) -> Result<Users> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        warn_if_readable_by_others(path);
        Users::parse(&path.display().to_string(), &text)
    }

    /// Parses the text of a users file (`file` names it in errors).
    pub fn parse(file: &str, text: &str) -> Result<Users> {
        let mut users = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |reason: String| Error::InvalidArgument {
                what: format!("users file {file}:{}", index + 1),
                reason,
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, role, verifier] = fields[..] else {
                return Err(bad(format!(
                    "expected 'NAME ROLE VERIFIER', found {} fields",
                    fields.len()
                )));
            };
            let role = Role::parse(role)
                .ok_or_else(|| bad(format!("unknown role '{role}' (analyst or admin)")))?;
            let verifier = ScramVerifier::parse(verifier).map_err(bad)?;
            if users
                .insert(name.to_owned(), User { role, verifier })
                .is_some()
            {
                return Err(bad(format!("user '{name}' is listed twice")));
            }
        }
        Ok(Users { users })
    }

    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// The salt an unknown user `name` is shown: the same on every attempt and every restart
    /// (an HMAC of the name under a key only the users file holds), so an unknown name looks
    /// like a known one whose password is wrong.
    pub fn fake_salt(&self, name: &str) -> Vec<u8> {
        use ring::{digest, hmac};
        let mut secret = digest::Context::new(&digest::SHA256);
        for user in self.users.values() {
            secret.update(&user.verifier.server_key);
            secret.update(&user.verifier.stored_key);
        }
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.finish().as_ref());
        let tag = hmac::sign(&key, format!("callqa unknown user salt\0{name}").as_bytes());
        tag.as_ref()[..SALT_BYTES].to_vec()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// The users file holds password verifiers: readable by anyone but its owner, they can be
/// attacked offline. Said at start-up (as ssh says of a key file), not refused.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                file = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "the users file is readable by other users: chmod 600 it"
            );
        }
    }
}

/// Adds `name` to the users file at `path` (creating it), or replaces its entry. The file is
/// rewritten whole under a temporary name and renamed, so a crash never leaves half a file.
pub fn add_user(path: &Path, name: &str, role: Role, password: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidArgument {
        what: format!("user name '{name}'"),
        reason: reason.to_owned(),
    };
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '#') {
        return Err(invalid("must be non-empty, without spaces or '#'"));
    }
    if password.is_empty() {
        return Err(Error::InvalidArgument {
            what: "password".to_owned(),
            reason: "must not be empty".to_owned(),
        });
    }
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    // Refuse to rewrite a file we cannot read back.
    Users::parse(&path.display().to_string(), &existing)?;
    let entry = format!(
        "{name} {} {}",
        role.as_str(),
        ScramVerifier::new_random(password)
    );
    let mut out = String::new();
    let mut replaced = false;
    for line in existing.lines() {
        if line.split_whitespace().next() == Some(name) {
            out.push_str(&entry);
            replaced = true;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !replaced {
        if out.is_empty() {
            out.push_str(
                "# callqa users: NAME ROLE SCRAM-SHA-256 verifier (see `callqa user add`)\n",
            );
        }
        out.push_str(&entry);
        out.push('\n');
    }
    let tmp = temp_path(path);
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // Readable by its owner only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(out.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_users_get_a_stable_salt_of_their_own() {
        let text = format!("lena analyst {}\n", ScramVerifier::new_random("pw"));
        let users = Users::parse("users", &text).unwrap();
        let nobody = users.fake_salt("nobody");
        assert_eq!(nobody.len(), SALT_BYTES);
        assert_eq!(nobody, users.fake_salt("nobody"));
        assert_ne!(nobody, users.fake_salt("nobody2"));
        let again = Users::parse("users", &text).unwrap();
        assert_eq!(
            again.fake_salt("nobody"),
            nobody,
            "the same after a restart"
        );
    }

    #[test]
    fn verifier_text_round_trips() {
        // The derivation itself is checked against RFC 7677's exchange in server::scram.
        let v = ScramVerifier::new_random("pencil");
        assert_eq!(v.iterations, SCRAM_ITERATIONS);
        assert_eq!(ScramVerifier::parse(&v.to_string()).unwrap(), v);
        assert!(ScramVerifier::parse("md5abc").is_err());
    }

    #[test]
    fn bad_lines_name_the_line() {
        let err = Users::parse("users", "# ok\nlena analyst nope\n").unwrap_err();
        assert!(err.to_string().contains("users:2"), "{err}");
        let err = Users::parse("users", "lena boss SCRAM-SHA-256$1:AA==$AA==:AA==").unwrap_err();
        assert!(err.to_string().contains("unknown role 'boss'"), "{err}");
    }

    #[test]
    fn add_writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        add_user(&path, "lena", Role::Analyst, "secret").unwrap();
        add_user(&path, "ops", Role::Admin, "other").unwrap();
        add_user(&path, "lena", Role::Admin, "new").unwrap();
        let users = Users::load(&path).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users.get("lena").unwrap().role, Role::Admin);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret") && !text.contains("new "), "{text}");
        assert!(add_user(&path, "bad name", Role::Admin, "x").is_err());
    }
}
