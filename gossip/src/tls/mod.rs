//! TLS for the mesh's QUIC endpoint. QUIC always encrypts; what varies is how
//! peers are authenticated:
//!
//! * a `TlsConfig` (CA + server cert): mutual TLS, both sides must present a
//!   certificate signed by the CA; with `verify_server_hostname` the peer's
//!   certificate must also name `server.<its region>.nomad` (checked in the
//!   connection hello, once the peer has said its name);
//! * no `TlsConfig`: a generated self-signed certificate; peers are
//!   authenticated only by the gossip key, if any (see `keyring`).

pub mod certs;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;

pub(crate) use self::verify::cert_names_region;
use self::verify::{AnyServerCert, CaChainVerifier};
use crate::error::{Error, Result};

/// ALPN of the mesh protocol.
pub(crate) const ALPN: &[u8] = b"nomad-mesh/1";

/// Nomad's `tls` block, as far as the mesh needs it.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Require the peer's certificate to name `server.<region>.nomad` for the
    /// region it claims.
    pub verify_server_hostname: bool,
}

/// Installs ring as rustls's process-wide provider; harmless if one is set.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The QUIC crypto for one endpoint.
pub(crate) struct TlsSetup {
    pub(crate) server: Arc<QuicServerConfig>,
    pub(crate) client: Arc<QuicClientConfig>,
    /// Whether the certificate must name the peer's region.
    pub(crate) verify_region: bool,
    /// Whether a CA authenticates peers.
    pub(crate) ca_authenticated: bool,
}

fn tls_err(context: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{context}: {e}"))
}

fn load_certs(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_err(&path.display().to_string(), e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_err(&path.display().to_string(), e))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!(
            "{}: no certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

fn load_key(path: &PathBuf) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| tls_err(&path.display().to_string(), e))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the endpoint's crypto for `region`.
pub(crate) fn build(tls: Option<&TlsConfig>, region: &str) -> Result<TlsSetup> {
    install_crypto_provider();
    let provider = provider();
    let versions = &[&rustls::version::TLS13];
    let (mut server, mut client, verify_region, ca_authenticated) = match tls {
        Some(cfg) => {
            let mut roots = RootCertStore::empty();
            for ca in load_certs(&cfg.ca_file)? {
                roots
                    .add(ca)
                    .map_err(|e| tls_err(&cfg.ca_file.display().to_string(), e))?;
            }
            let roots = Arc::new(roots);
            let chain = load_certs(&cfg.cert_file)?;
            let key = load_key(&cfg.key_file)?;
            let client_verifier =
                WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .build()
                    .map_err(|e| tls_err("client verifier", e))?;
            let server = rustls::ServerConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(versions)
                .map_err(|e| tls_err("server config", e))?
                .with_client_cert_verifier(client_verifier)
                .with_single_cert(chain.clone(), key.clone_key())
                .map_err(|e| tls_err(&cfg.cert_file.display().to_string(), e))?;
            let server_verifier =
                WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                    .build()
                    .map_err(|e| tls_err("server verifier", e))?;
            let client = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(versions)
                .map_err(|e| tls_err("client config", e))?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(CaChainVerifier::new(server_verifier)))
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_err(&cfg.cert_file.display().to_string(), e))?;
            (server, client, cfg.verify_server_hostname, true)
        }
        None => {
            let generated = rcgen::generate_simple_self_signed(vec![certs::server_name(region)])
                .map_err(|e| tls_err("self-signed certificate", e))?;
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                generated.signing_key.serialize_der(),
            ));
            let server = rustls::ServerConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(versions)
                .map_err(|e| tls_err("server config", e))?
                .with_no_client_auth()
                .with_single_cert(vec![generated.cert.der().clone()], key)
                .map_err(|e| tls_err("self-signed certificate", e))?;
            let client = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(versions)
                .map_err(|e| tls_err("client config", e))?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCert::new(provider)))
                .with_no_client_auth();
            (server, client, false, false)
        }
    };
    server.alpn_protocols = vec![ALPN.to_vec()];
    client.alpn_protocols = vec![ALPN.to_vec()];
    let server = QuicServerConfig::try_from(server).map_err(|e| tls_err("quic server", e))?;
    let client = QuicClientConfig::try_from(client).map_err(|e| tls_err("quic client", e))?;
    Ok(TlsSetup {
        server: Arc::new(server),
        client: Arc::new(client),
        verify_region,
        ca_authenticated,
    })
}
