//! `RpcEndpoint`: the agent's QUIC endpoint for RPC. A server binds the RPC port and accepts; every agent
//! can call out, on one cached connection per peer (a broken one is dropped and redialed on the next
//! call). A dial runs in its own task, shared by every caller waiting for that peer, so that a caller
//! that gives up early (openraft drops a vote or AppendEntries after 2 s, less than a dial may take) does not
//! abort the handshake: the next call finds the connection made. QUIC always encrypts; without a `tls` block the certificate is generated at start and peers
//! are not authenticated (the agent warns once), as the mesh does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{Connection, Endpoint, TransportConfig, VarInt};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::wire::{self, Envelope, FrameError, Reply};

/// How long a dial (handshake included) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A connection whose peer stays silent this long is closed, so that calls to a dead server fail
/// within seconds; keep-alives (a quarter of it) hold live ones open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// The RTT a new connection assumes before measuring one. RPC peers share a LAN; with quinn's
/// default (333 ms, for unknown paths) a handshake whose first packet reached a server that was not
/// listening yet (servers of a region start together) is resent only after about a second, and every
/// Raft vote to that peer waits for it: that made one failover in ten take a second instead of 250 ms.
const INITIAL_RTT: Duration = Duration::from_millis(20);

/// Why a call got no reply.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcTransportError {
    /// No connection could be made (nothing listens, not an RPC endpoint, timed out).
    #[error("cannot reach {addr}: {reason}")]
    Connect { addr: SocketAddr, reason: String },
    /// The connection broke, or the reply did not come in time.
    #[error("call to {addr} failed: {reason}")]
    Call { addr: SocketAddr, reason: String },
    /// The endpoint could not be set up.
    #[error("rpc endpoint: {0}")]
    Setup(String),
}

/// The QUIC endpoint (cheap to clone).
#[derive(Clone)]
pub struct RpcEndpoint {
    endpoint: Endpoint,
    conns: Arc<Mutex<HashMap<SocketAddr, Connection>>>,
    /// Dials in flight; the sender is held by the dialing task, which fills in its outcome.
    dialing: Arc<Mutex<HashMap<SocketAddr, DialWatch>>>,
}

type DialWatch = watch::Receiver<Option<Result<Connection, RpcTransportError>>>;

impl RpcEndpoint {
    /// A listening endpoint on `bind` (servers). `region` names the generated certificate.
    pub fn server(bind: SocketAddr, region: &str) -> Result<Self, RpcTransportError> {
        let (server, client) = crypto(region)?;
        let mut sc = quinn::ServerConfig::with_crypto(server);
        sc.transport_config(transport()?);
        let mut endpoint =
            Endpoint::server(sc, bind).map_err(|e| setup(format!("bind {bind}: {e}")))?;
        endpoint.set_default_client_config(client_config(client)?);
        Ok(Self::wrap(endpoint))
    }

    /// A calling-only endpoint on an ephemeral port (client-only agents).
    pub fn client(region: &str) -> Result<Self, RpcTransportError> {
        let (_, client) = crypto(region)?;
        let bind = SocketAddr::from(([0, 0, 0, 0], 0));
        let mut endpoint = Endpoint::client(bind).map_err(|e| setup(format!("bind: {e}")))?;
        endpoint.set_default_client_config(client_config(client)?);
        Ok(Self::wrap(endpoint))
    }

    fn wrap(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            conns: Arc::new(Mutex::new(HashMap::new())),
            dialing: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.endpoint.local_addr().ok()
    }

    /// The quinn endpoint (the server side accepts on it).
    pub(super) fn quinn(&self) -> &Endpoint {
        &self.endpoint
    }

    fn cached(&self, addr: SocketAddr) -> Option<Connection> {
        let conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        conns
            .get(&addr)
            .filter(|c| c.close_reason().is_none())
            .cloned()
    }

    async fn connection(&self, addr: SocketAddr) -> Result<Connection, RpcTransportError> {
        if let Some(c) = self.cached(addr) {
            return Ok(c);
        }
        let mut outcome = {
            let mut dialing = self.dialing.lock().unwrap_or_else(|p| p.into_inner());
            match dialing.get(&addr) {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    dialing.insert(addr, rx.clone());
                    let this = self.clone();
                    tokio::spawn(async move {
                        let result = this.dial(addr).await;
                        // Cached before the dial is forgotten, so no caller can miss both.
                        if let Ok(conn) = &result {
                            this.conns
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .insert(addr, conn.clone());
                        }
                        this.dialing
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&addr);
                        let _ = tx.send(Some(result));
                    });
                    rx
                }
            }
        };
        let done = outcome.wait_for(Option::is_some).await;
        match done.as_deref() {
            Ok(Some(result)) => result.clone(),
            _ => Err(RpcTransportError::Connect {
                addr,
                reason: "the dial was abandoned".into(),
            }),
        }
    }

    /// One dial, handshake included, bounded by `CONNECT_TIMEOUT`.
    async fn dial(&self, addr: SocketAddr) -> Result<Connection, RpcTransportError> {
        let connect_err = |reason: String| RpcTransportError::Connect { addr, reason };
        let connecting = self
            .endpoint
            .connect(addr, "nomad-rpc")
            .map_err(|e| connect_err(e.to_string()))?;
        let conn = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .map_err(|_| connect_err("timed out (is it a Nomad server's RPC port?)".into()))?
            .map_err(|e| connect_err(e.to_string()))?;
        Ok(conn)
    }

    /// Sends one call to `addr` and waits up to `timeout` for the reply.
    pub async fn call(
        &self,
        addr: SocketAddr,
        envelope: &Envelope,
        timeout: Duration,
    ) -> Result<Reply, RpcTransportError> {
        let conn = self.connection(addr).await?;
        let exchange = async {
            let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
            wire::write_msg(&mut send, envelope)
                .await
                .map_err(|e| e.to_string())?;
            send.finish().map_err(|e| e.to_string())?;
            wire::read_msg::<Reply>(&mut recv)
                .await
                .map_err(|e: FrameError| e.to_string())
        };
        let out = tokio::time::timeout(timeout, exchange).await;
        let reason = match out {
            Ok(Ok(reply)) => return Ok(reply),
            Ok(Err(reason)) => reason,
            Err(_) => format!("no reply within {timeout:?}"),
        };
        // Whatever broke, the next call dials afresh.
        self.forget(addr);
        Err(RpcTransportError::Call { addr, reason })
    }

    fn forget(&self, addr: SocketAddr) {
        let removed = self
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&addr);
        if let Some(c) = removed {
            c.close(VarInt::from_u32(0), b"reset");
        }
    }

    /// Closes every connection and the endpoint.
    pub async fn shutdown(&self) {
        let conns: Vec<Connection> = self
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, c)| c)
            .collect();
        for c in conns {
            c.close(VarInt::from_u32(0), b"shutdown");
        }
        self.endpoint.close(VarInt::from_u32(0), b"shutdown");
        let _ = tokio::time::timeout(Duration::from_secs(1), self.endpoint.wait_idle()).await;
    }
}

fn setup(e: impl std::fmt::Display) -> RpcTransportError {
    RpcTransportError::Setup(e.to_string())
}

fn transport() -> Result<Arc<TransportConfig>, RpcTransportError> {
    let mut t = TransportConfig::default();
    t.max_idle_timeout(Some(IDLE_TIMEOUT.try_into().map_err(setup)?))
        .keep_alive_interval(Some(IDLE_TIMEOUT / 4))
        .initial_rtt(INITIAL_RTT)
        .max_concurrent_bidi_streams(VarInt::from_u32(4096))
        .max_concurrent_uni_streams(VarInt::from_u32(0));
    Ok(Arc::new(t))
}

fn client_config(crypto: Arc<QuicClientConfig>) -> Result<quinn::ClientConfig, RpcTransportError> {
    let mut c = quinn::ClientConfig::new(crypto);
    c.transport_config(transport()?);
    Ok(c)
}

/// A generated certificate naming `server.<region>.nomad`, and a client that accepts any server
/// certificate (nothing to check it against without a CA).
fn crypto(
    region: &str,
) -> Result<(Arc<QuicServerConfig>, Arc<QuicClientConfig>), RpcTransportError> {
    nomad_gossip::tls::install_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions = &[&rustls::version::TLS13];
    let generated = rcgen::generate_simple_self_signed(vec![format!("server.{region}.nomad")])
        .map_err(setup)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(setup)?
        .with_no_client_auth()
        .with_single_cert(vec![generated.cert.der().clone()], key)
        .map_err(setup)?;
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(setup)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServerCert(provider)))
        .with_no_client_auth();
    server.alpn_protocols = vec![wire::ALPN.to_vec()];
    client.alpn_protocols = vec![wire::ALPN.to_vec()];
    let server = QuicServerConfig::try_from(server).map_err(setup)?;
    let client = QuicClientConfig::try_from(client).map_err(setup)?;
    Ok((Arc::new(server), Arc::new(client)))
}

/// Accepts any certificate but still checks the handshake signatures (so the session is encrypted to
/// whoever holds the key it presented).
#[derive(Debug)]
struct AnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
