//! The connection hello: the first bi stream on every connection. Each side
//! says its member name and proves the gossip key (HMAC over TLS exporter
//! material, see `keyring`); with `verify_server_hostname`, each side checks
//! that the other's certificate names `server.<region>.nomad` for the region
//! in its name. A peer that fails is refused and logged, never merged.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use super::frame::{read_msg, write_msg};
use crate::codec::Blob;
use crate::identity::region_of;
use crate::keyring::{EXPORTER_LABEL, GossipKey, Role};
use crate::tls::cert_names_region;

const HELLO_VERSION: u8 = 1;
const MAX_HELLO: usize = 1024;
const MAX_NAME: usize = 255;

#[derive(Debug, Serialize, Deserialize)]
struct Hello {
    version: u8,
    name: String,
    proof: Option<Blob>,
}

/// How this endpoint authenticates peers.
pub(crate) struct HelloPolicy {
    pub(crate) name: Arc<str>,
    pub(crate) key: Option<GossipKey>,
    pub(crate) verify_region: bool,
}

fn exporter(conn: &quinn::Connection) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    conn.export_keying_material(&mut out, EXPORTER_LABEL, b"")
        .map_err(|_| "no TLS exporter on this connection".to_owned())?;
    Ok(out)
}

impl HelloPolicy {
    fn ours(&self, role: Role, exporter: &[u8]) -> Hello {
        Hello {
            version: HELLO_VERSION,
            name: self.name.to_string(),
            proof: self.key.as_ref().map(|k| Blob(k.proof(role, exporter))),
        }
    }

    /// Checks the peer's hello; returns its proven name.
    fn check(
        &self,
        conn: &quinn::Connection,
        hello: Hello,
        peer_role: Role,
        exporter: &[u8],
    ) -> Result<Arc<str>, String> {
        if hello.version != HELLO_VERSION {
            return Err(format!("unsupported hello version {}", hello.version));
        }
        if hello.name.is_empty() || hello.name.len() > MAX_NAME {
            return Err("invalid member name".into());
        }
        if let Some(key) = &self.key {
            let ok = hello
                .proof
                .as_ref()
                .is_some_and(|p| key.verify(peer_role, exporter, &p.0));
            if !ok {
                return Err(format!(
                    "{} does not have our gossip encryption key",
                    hello.name
                ));
            }
        }
        if self.verify_region {
            let region = region_of(&hello.name);
            let certs = conn
                .peer_identity()
                .and_then(|any| any.downcast::<Vec<CertificateDer<'static>>>().ok());
            let ok = certs.is_some_and(|c| cert_names_region(&c, region));
            if !ok {
                return Err(format!(
                    "{}: certificate is not valid for server.{region}.nomad",
                    hello.name
                ));
            }
        }
        Ok(Arc::from(hello.name))
    }

    /// Dialer side: open the hello stream, send ours, check theirs.
    pub(crate) async fn dial(
        &self,
        conn: &quinn::Connection,
        timeout: Duration,
    ) -> Result<Arc<str>, String> {
        let run = async {
            let exporter = exporter(conn)?;
            let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
            write_msg(&mut send, &self.ours(Role::Dialer, &exporter))
                .await
                .map_err(|e| e.to_string())?;
            let _ = send.finish();
            let theirs: Hello =
                read_msg(&mut recv, MAX_HELLO)
                    .await
                    .map_err(|e| match conn.close_reason() {
                        Some(reason) => format!("refused: {reason}"),
                        None => e.to_string(),
                    })?;
            self.check(conn, theirs, Role::Acceptor, &exporter)
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| "hello timed out".to_owned())?
    }

    /// Acceptor side: wait for the dialer's hello, check it, answer.
    pub(crate) async fn accept(
        &self,
        conn: &quinn::Connection,
        timeout: Duration,
    ) -> Result<Arc<str>, String> {
        let run = async {
            let exporter = exporter(conn)?;
            let (mut send, mut recv) = conn.accept_bi().await.map_err(|e| e.to_string())?;
            let theirs: Hello = read_msg(&mut recv, MAX_HELLO)
                .await
                .map_err(|e| e.to_string())?;
            let name = self.check(conn, theirs, Role::Dialer, &exporter)?;
            write_msg(&mut send, &self.ours(Role::Acceptor, &exporter))
                .await
                .map_err(|e| e.to_string())?;
            let _ = send.finish();
            Ok(name)
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| "hello timed out".to_owned())?
    }
}
