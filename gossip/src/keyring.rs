//! The gossip encryption key (Nomad's `server.encrypt`): parsing, generation,
//! and the proof of knowledge members exchange when they connect.
//!
//! Members never send the key. After the TLS handshake each side sends
//! `HMAC-SHA256(key, role || exporter)`, where `exporter` is keying material
//! exported from that very TLS session. The proof cannot be replayed on
//! another connection, and a man in the middle (two sessions, two exporters)
//! cannot relay it.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// TLS exporter label for the key proof.
pub(crate) const EXPORTER_LABEL: &[u8] = b"EXPORTER-nomad-gossip-key-proof";

/// Who computes a proof: the side that dialed, or the side that accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Dialer = 1,
    Acceptor = 2,
}

/// A gossip key: 16, 24 or 32 bytes, written as standard base64.
#[derive(Clone, PartialEq, Eq)]
pub struct GossipKey(Vec<u8>);

impl GossipKey {
    /// Parses a base64 key as `nomad operator gossip keyring generate` prints.
    pub fn parse(encoded: &str) -> Result<Self> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|e| Error::Config(format!("gossip key is not valid base64: {e}")))?;
        match bytes.len() {
            16 | 24 | 32 => Ok(Self(bytes)),
            n => Err(Error::Config(format!(
                "gossip key must be 16, 24 or 32 bytes, got {n}"
            ))),
        }
    }

    /// The key as base64.
    pub fn encode(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// The proof `role` sends for the session with this exporter value.
    pub(crate) fn proof(&self, role: Role, exporter: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(&[role as u8]);
        ctx.update(exporter);
        ctx.sign().as_ref().to_vec()
    }

    /// Checks a peer's proof in constant time.
    pub(crate) fn verify(&self, role: Role, exporter: &[u8], proof: &[u8]) -> bool {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let mut msg = Vec::with_capacity(1 + exporter.len());
        msg.push(role as u8);
        msg.extend_from_slice(exporter);
        hmac::verify(&key, &msg, proof).is_ok()
    }
}

impl fmt::Debug for GossipKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GossipKey({} bytes, redacted)", self.0.len())
    }
}

/// A new random 32-byte key in base64 (`nomad operator gossip keyring generate`).
pub fn generate_gossip_key() -> Result<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Config("no system randomness for a gossip key".into()))?;
    Ok(STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = generate_gossip_key().unwrap();
        let b = generate_gossip_key().unwrap();
        assert_ne!(a, b);
        let key = GossipKey::parse(&a).unwrap();
        assert_eq!(key.encode(), a);
        assert_eq!(STANDARD.decode(&a).unwrap().len(), 32);
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(GossipKey::parse("not base64!").is_err());
        assert!(GossipKey::parse(&STANDARD.encode([1u8; 10])).is_err());
        for n in [16, 24, 32] {
            assert!(GossipKey::parse(&STANDARD.encode(vec![7u8; n])).is_ok());
        }
    }

    #[test]
    fn proofs_bind_key_role_and_session() {
        let k1 = GossipKey::parse(&STANDARD.encode([1u8; 32])).unwrap();
        let k2 = GossipKey::parse(&STANDARD.encode([2u8; 32])).unwrap();
        let proof = k1.proof(Role::Dialer, b"session-a");
        assert!(k1.verify(Role::Dialer, b"session-a", &proof));
        assert!(!k2.verify(Role::Dialer, b"session-a", &proof));
        assert!(!k1.verify(Role::Acceptor, b"session-a", &proof));
        assert!(!k1.verify(Role::Dialer, b"session-b", &proof));
        assert!(!format!("{k1:?}").contains("AQEB"));
    }
}
