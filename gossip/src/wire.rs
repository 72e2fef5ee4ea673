//! The datagram envelope: every packet on the serf port starts with a wire
//! version byte and a kind byte, so the format can evolve and junk is
//! rejected on its first two bytes.
//!
//! ```text
//! [version=1][kind=0 Swim][sender record version: u64 BE][foca packet ...]
//! [version=1][kind=1 Pull][rmp Identity of the asker]
//! [version=1][kind=2 Push][rmp MemberRecord of the sender]
//! ```
//! `Swim` carries the sender's record version so receivers notice stale
//! metadata and `Pull` it; `Push` is the answer.

use bytes::{BufMut, Bytes, BytesMut};
use foca::Header;

use crate::codec::{self, CodecError};
use crate::identity::Identity;
use crate::meta::MemberRecord;

/// The only wire version this build speaks.
pub const WIRE_VERSION: u8 = 1;
/// Bytes the envelope adds in front of a foca packet.
pub const SWIM_OVERHEAD: usize = 2 + 8;

const KIND_SWIM: u8 = 0;
const KIND_PULL: u8 = 1;
const KIND_PUSH: u8 = 2;

/// Why a datagram was rejected.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("datagram of {0} bytes is larger than the limit")]
    TooLarge(usize),
    #[error("datagram too short")]
    TooShort,
    #[error("unsupported wire version {0}")]
    Version(u8),
    #[error("unknown packet kind {0}")]
    Kind(u8),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// A decoded datagram.
#[derive(Debug)]
pub enum Packet<'a> {
    Swim {
        sender: Identity,
        sender_version: u64,
        payload: &'a [u8],
    },
    Pull {
        sender: Identity,
    },
    Push {
        record: MemberRecord,
    },
}

impl Packet<'_> {
    /// The member that claims to have sent this packet.
    pub fn sender(&self) -> &Identity {
        match self {
            Packet::Swim { sender, .. } | Packet::Pull { sender } => sender,
            Packet::Push { record } => &record.id,
        }
    }
}

/// Decodes a datagram of at most `max` bytes. Never panics.
pub fn decode(bytes: &[u8], max: usize) -> Result<Packet<'_>, WireError> {
    if bytes.len() > max {
        return Err(WireError::TooLarge(bytes.len()));
    }
    let [version, kind, rest @ ..] = bytes else {
        return Err(WireError::TooShort);
    };
    if *version != WIRE_VERSION {
        return Err(WireError::Version(*version));
    }
    match *kind {
        KIND_SWIM => {
            let (head, payload) = rest.split_first_chunk::<8>().ok_or(WireError::TooShort)?;
            let (header, _) = codec::decode_prefix::<Header<Identity>>(payload)?;
            Ok(Packet::Swim {
                sender: header.src,
                sender_version: u64::from_be_bytes(*head),
                payload,
            })
        }
        KIND_PULL => Ok(Packet::Pull {
            sender: codec::decode_exact(rest)?,
        }),
        KIND_PUSH => Ok(Packet::Push {
            record: codec::decode_exact(rest)?,
        }),
        other => Err(WireError::Kind(other)),
    }
}

/// Wraps a foca packet.
pub fn swim(sender_version: u64, payload: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(SWIM_OVERHEAD + payload.len());
    buf.put_u8(WIRE_VERSION);
    buf.put_u8(KIND_SWIM);
    buf.put_u64(sender_version);
    buf.put_slice(payload);
    buf.freeze()
}

/// Asks a member for its record.
pub fn pull(sender: &Identity) -> Result<Bytes, CodecError> {
    framed(KIND_PULL, &codec::encode(sender)?)
}

/// Sends our record.
pub fn push(record: &MemberRecord) -> Result<Bytes, CodecError> {
    framed(KIND_PUSH, &codec::encode(record)?)
}

fn framed(kind: u8, body: &[u8]) -> Result<Bytes, CodecError> {
    let mut buf = BytesMut::with_capacity(2 + body.len());
    buf.put_u8(WIRE_VERSION);
    buf.put_u8(kind);
    buf.put_slice(body);
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::{Intent, MemberMeta};

    fn id() -> Identity {
        Identity::new("s1.global", "127.0.0.1:4648".parse().unwrap(), 3)
    }

    #[test]
    fn pull_and_push_round_trip() {
        let p = pull(&id()).unwrap();
        assert!(matches!(decode(&p, 1150).unwrap(), Packet::Pull { sender } if sender == id()));
        let record = MemberRecord {
            id: id(),
            version: 4,
            intent: Intent::Alive,
            meta: MemberMeta::new(
                "s1",
                "global",
                "dc1",
                "127.0.0.1:4647".parse().unwrap(),
                "127.0.0.1:4646".parse().unwrap(),
            ),
        };
        let p = push(&record).unwrap();
        match decode(&p, 1150).unwrap() {
            Packet::Push { record: back } => assert_eq!(back, record),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rejects_junk_headers() {
        assert!(matches!(decode(&[], 1150), Err(WireError::TooShort)));
        assert!(matches!(decode(&[9, 0], 1150), Err(WireError::Version(9))));
        assert!(matches!(decode(&[1, 7], 1150), Err(WireError::Kind(7))));
        assert!(matches!(decode(&[1, 0, 1, 2], 1150), Err(WireError::TooShort)));
        assert!(matches!(decode(&[1; 2000], 1150), Err(WireError::TooLarge(2000))));
    }
}
