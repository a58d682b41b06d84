//! TLS client settings shared by the IMAP source (rustls, ring provider).

use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::TlsClient;

/// A client configuration trusting the system's roots plus `ca_file`.
pub fn client_config(tls: &TlsClient) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A broken system certificate should not stop us; skip it.
        let _ = roots.add(cert);
    }
    if let Some(ca) = &tls.ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
            .with_context(|| format!("cannot read the CA file {}", ca.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("{} holds no valid PEM certificate", ca.display()))?;
        anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", ca.display());
        for cert in certs {
            roots
                .add(cert)
                .with_context(|| format!("cannot use the certificate in {}", ca.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("no TLS protocol version available")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Wraps `tcp` in TLS, checking the certificate against `host`.
pub async fn connect(
    config: Arc<rustls::ClientConfig>,
    host: &str,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>> {
    let name = ServerName::try_from(host.to_string())
        .with_context(|| format!("{host:?} is not a valid TLS server name"))?;
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .with_context(|| format!("TLS handshake with {host} failed"))
}
