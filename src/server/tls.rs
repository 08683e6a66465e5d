//! TLS for the wire protocol: the certificate chain and key are read and checked at start,
//! and any problem stops the start. callqa never falls back to plain text.

use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::tokio_rustls::rustls;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;
use crate::{Error, Result};

/// The acceptor for `files`, or an error naming the file and what is wrong with it.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor> {
    let invalid = |path: &std::path::Path, reason: String| Error::InvalidArgument {
        what: format!("TLS file {}", path.display()),
        reason,
    };
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read(&files.cert)?;
    let key_pem = read(&files.key)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| invalid(&files.cert, format!("not a PEM certificate chain: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(&files.cert, "holds no certificate".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| invalid(&files.key, format!("not a PEM private key: {e}")))?;
    // One provider, named: the tree may enable more than one rustls backend.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(&files.cert, e.to_string()))?
        .with_no_client_auth()
        // Fails when the key does not belong to the certificate.
        .with_single_cert(certs, key)
        .map_err(|e| {
            invalid(
                &files.key,
                format!(
                    "does not match the certificate {}: {e}",
                    files.cert.display()
                ),
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
