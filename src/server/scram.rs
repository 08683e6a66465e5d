//! The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) against stored verifiers, as
//! PostgreSQL does it: the client proves it knows the password without sending it, and the
//! server proves it holds the verifier. Channel binding (`-PLUS`) is not offered.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::{digest, hmac};

use crate::users::ScramVerifier;

/// The mechanism offered to clients.
pub const MECHANISM: &str = "SCRAM-SHA-256";

/// Why an exchange failed. The client only ever learns "authentication failed".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScramError {
    /// A message that does not follow RFC 5802.
    Malformed(&'static str),
    /// The proof does not match: wrong password (or unknown user).
    WrongProof,
}

/// After the server-first message: what is needed to check the client's proof.
#[derive(Debug)]
pub struct AwaitingClientFinal {
    verifier: ScramVerifier,
    /// False for an unknown user: the exchange runs to the end, then fails.
    known_user: bool,
    gs2_header: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

/// Answers the client-first message: returns the server-first message to send.
/// `verifier` is `None` for an unknown user, who gets a plausible exchange that fails at the
/// proof, so user names cannot be probed.
pub fn server_first(
    client_first: &[u8],
    verifier: Option<&ScramVerifier>,
    unknown_user_salt: &[u8],
) -> Result<(String, AwaitingClientFinal), ScramError> {
    let text = std::str::from_utf8(client_first).map_err(|_| ScramError::Malformed("not UTF-8"))?;
    // gs2-header: "n,," or "y,," (no channel binding); "p=…" needs -PLUS, which is not offered.
    let (gs2_header, bare) = match text.as_bytes().first() {
        Some(b'n') | Some(b'y') => {
            let mut parts = text.splitn(3, ',');
            let flag = parts.next().unwrap_or("");
            let authzid = parts.next().ok_or(ScramError::Malformed("gs2 header"))?;
            let bare = parts.next().ok_or(ScramError::Malformed("gs2 header"))?;
            if !authzid.is_empty() {
                return Err(ScramError::Malformed(
                    "authorization identity not supported",
                ));
            }
            (format!("{flag},,"), bare)
        }
        Some(b'p') => return Err(ScramError::Malformed("channel binding was not offered")),
        _ => return Err(ScramError::Malformed("gs2 header")),
    };
    if bare.starts_with("m=") {
        return Err(ScramError::Malformed("mandatory extension not supported"));
    }
    let client_nonce = attribute(bare, 'r').ok_or(ScramError::Malformed("client nonce"))?;
    if client_nonce.is_empty() || client_nonce.contains(',') {
        return Err(ScramError::Malformed("client nonce"));
    }
    let (verifier, known_user) = match verifier {
        Some(v) => (v.clone(), true),
        None => (
            ScramVerifier {
                iterations: crate::users::SCRAM_ITERATIONS,
                salt: unknown_user_salt.to_vec(),
                stored_key: vec![0; 32],
                server_key: vec![0; 32],
            },
            false,
        ),
    };
    let server_nonce = STANDARD.encode(rand::random::<[u8; 18]>());
    let nonce = format!("{client_nonce}{server_nonce}");
    let server_first = format!(
        "r={nonce},s={},i={}",
        STANDARD.encode(&verifier.salt),
        verifier.iterations
    );
    Ok((
        server_first.clone(),
        AwaitingClientFinal {
            verifier,
            known_user,
            gs2_header,
            client_first_bare: bare.to_owned(),
            server_first,
            nonce,
        },
    ))
}

impl AwaitingClientFinal {
    /// Checks the client-final message; on success returns the server-final message.
    pub fn finish(self, client_final: &[u8]) -> Result<String, ScramError> {
        let text =
            std::str::from_utf8(client_final).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or(ScramError::Malformed("client proof"))?;
        let binding =
            attribute(without_proof, 'c').ok_or(ScramError::Malformed("channel binding"))?;
        if STANDARD.decode(binding).ok().as_deref() != Some(self.gs2_header.as_bytes()) {
            return Err(ScramError::Malformed("channel binding does not match"));
        }
        if attribute(without_proof, 'r') != Some(self.nonce.as_str()) {
            return Err(ScramError::Malformed("nonce does not match"));
        }
        let proof = STANDARD
            .decode(proof)
            .map_err(|_| ScramError::Malformed("client proof"))?;
        let auth_message = format!(
            "{},{},{}",
            self.client_first_bare, self.server_first, without_proof
        );
        let stored = hmac::Key::new(hmac::HMAC_SHA256, &self.verifier.stored_key);
        let client_signature = hmac::sign(&stored, auth_message.as_bytes());
        if proof.len() != client_signature.as_ref().len() {
            return Err(ScramError::WrongProof);
        }
        let client_key: Vec<u8> = proof
            .iter()
            .zip(client_signature.as_ref())
            .map(|(p, s)| p ^ s)
            .collect();
        let hashed = digest::digest(&digest::SHA256, &client_key);
        if !self.known_user || !constant_time_eq(hashed.as_ref(), &self.verifier.stored_key) {
            return Err(ScramError::WrongProof);
        }
        let server = hmac::Key::new(hmac::HMAC_SHA256, &self.verifier.server_key);
        let server_signature = hmac::sign(&server, auth_message.as_bytes());
        Ok(format!("v={}", STANDARD.encode(server_signature.as_ref())))
    }
}

/// The value of attribute `name` (`name=value`) in a comma-separated SCRAM message.
fn attribute(message: &str, name: char) -> Option<&str> {
    message.split(',').find_map(|part| {
        let mut chars = part.chars();
        (chars.next() == Some(name) && chars.next() == Some('=')).then(|| &part[2..])
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3: user "user", password "pencil".
    #[test]
    fn rfc7677_example() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let verifier = ScramVerifier::from_password("pencil", &salt, 4096);
        let (first, waiting) =
            server_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO", Some(&verifier), &[]).unwrap();
        assert!(first.starts_with("r=rOprNGfwEbeRWgbNEkqO"));
        // Replay the RFC's server nonce so its client proof applies.
        let rfc_nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let waiting = AwaitingClientFinal {
            server_first: format!("r={rfc_nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
            nonce: rfc_nonce.to_owned(),
            ..waiting
        };
        let client_final =
            format!("c=biws,r={rfc_nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assert_eq!(
            waiting.finish(client_final.as_bytes()).unwrap(),
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }

    #[test]
    fn wrong_password_and_unknown_user_fail_alike() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let other = ScramVerifier::from_password("not pencil", &salt, 4096);
        let rfc_nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let client_final =
            format!("c=biws,r={rfc_nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        for verifier in [Some(&other), None] {
            let (_, waiting) =
                server_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO", verifier, &salt).unwrap();
            let waiting = AwaitingClientFinal {
                server_first: format!("r={rfc_nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
                nonce: rfc_nonce.to_owned(),
                ..waiting
            };
            assert_eq!(
                waiting.finish(client_final.as_bytes()),
                Err(ScramError::WrongProof)
            );
        }
    }

    #[test]
    fn malformed_messages_are_rejected() {
        for bad in [
            &b""[..],
            b"x,,n=u,r=a",
            b"p=tls-server-end-point,,n=u,r=a",
            b"n,a=admin,n=u,r=a",
            b"n,,n=u",
            b"\xff",
        ] {
            assert!(server_first(bad, None, &[]).is_err(), "{bad:?}");
        }
    }
}
