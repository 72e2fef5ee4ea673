//! The datagram envelope: every packet on the serf port starts with a wire
//! version byte and a kind byte, so the format can evolve and junk is
//! rejected on its first two bytes.
//!
//! ```text
//! [version=1][kind=0 Swim][sender record version: u64 BE][foca packet ...]
//! [version=1][kind=1 Pull][rmp Identity of the asker]
//! [version=1][kind=2 Push][rmp MemberRecord of the sender]
//! [version=1][kind=3 SyncReq][rmp (Identity of the asker, u64 digest of its alive list)]
//! [version=1][kind=4 Sync][rmp (Identity of the sender, [foca Member ...])]
//! ```
//! `Swim` carries the sender's record version so receivers notice stale
//! metadata and `Pull` it; `Push` is the answer. `SyncReq`/`Sync` copy the
//! alive member list in MTU-sized chunks (on join, and now and then), so a
//! new member does not wait to be told about everyone piecemeal. The request
//! carries a digest of what the asker already knows; a member whose own
//! digest matches has nothing to add and stays quiet, so the periodic sync of
//! a settled mesh costs one small datagram instead of the whole list.

use bytes::{BufMut, Bytes, BytesMut};
use foca::{Header, Member};

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
const KIND_SYNC_REQ: u8 = 3;
const KIND_SYNC: u8 = 4;

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
    SyncReq {
        sender: Identity,
        /// `alive_digest` of the asker's alive list (itself included).
        digest: u64,
    },
    Sync {
        sender: Identity,
        members: Vec<Member<Identity>>,
    },
}

impl Packet<'_> {
    /// The member that claims to have sent this packet.
    pub fn sender(&self) -> &Identity {
        match self {
            Packet::Swim { sender, .. }
            | Packet::Pull { sender }
            | Packet::SyncReq { sender, .. }
            | Packet::Sync { sender, .. } => sender,
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
        KIND_SYNC_REQ => {
            let (sender, digest) = codec::decode_exact(rest)?;
            Ok(Packet::SyncReq { sender, digest })
        }
        KIND_SYNC => {
            let (sender, members) = codec::decode_exact(rest)?;
            Ok(Packet::Sync { sender, members })
        }
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

/// Asks a member for its alive member list, unless its `alive_digest`
/// equals `digest`.
pub fn sync_request(sender: &Identity, digest: u64) -> Result<Bytes, CodecError> {
    framed(KIND_SYNC_REQ, &codec::encode(&(sender, digest))?)
}

/// An order-independent digest of a set of alive members: two members that
/// know the same alive set (each counting itself) compute the same value.
/// The hasher has fixed keys, so the value is the same in every process of
/// one build; a mismatch between builds only costs a full sync.
pub fn alive_digest<'a>(members: impl IntoIterator<Item = &'a Identity>) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let build = BuildHasherDefault::<DefaultHasher>::default();
    members.into_iter().fold(0u64, |acc, id| {
        acc.wrapping_add(build.hash_one((id.addr(), id.incarnation(), id.name())))
    })
}

/// Splits `members` into `Sync` datagrams of at most `max` bytes each.
pub fn sync_chunks(
    sender: &Identity,
    members: &[Member<Identity>],
    max: usize,
) -> Result<Vec<Bytes>, CodecError> {
    // Each member is encoded once; a chunk is the MessagePack array
    // `[sender, [member, ...]]` assembled from those bytes.
    let sender = codec::encode(sender)?;
    let fixed = 2 + 1 + sender.len() + 3; // envelope, outer array, sender, array16 header
    let budget = max.saturating_sub(fixed);
    let mut chunks = Vec::new();
    let mut body: Vec<u8> = Vec::new();
    let mut count = 0usize;
    let mut flush = |body: &mut Vec<u8>, count: &mut usize| {
        if *count > 0 {
            chunks.push(sync_chunk(&sender, body, *count));
        }
        body.clear();
        *count = 0;
    };
    for member in members {
        let encoded = codec::encode(member)?;
        if body.len() + encoded.len() > budget || count == u16::MAX as usize {
            flush(&mut body, &mut count);
        }
        body.extend_from_slice(&encoded);
        count += 1;
    }
    flush(&mut body, &mut count);
    Ok(chunks)
}

fn sync_chunk(sender: &[u8], members: &[u8], count: usize) -> Bytes {
    let mut buf = BytesMut::with_capacity(2 + 1 + sender.len() + 3 + members.len());
    buf.put_u8(WIRE_VERSION);
    buf.put_u8(KIND_SYNC);
    buf.put_u8(0x92); // array of 2
    buf.put_slice(sender);
    match u8::try_from(count) {
        Ok(n) if n < 16 => buf.put_u8(0x90 | n),
        _ => {
            buf.put_u8(0xdc); // array16
            buf.put_u16(u16::try_from(count).unwrap_or(u16::MAX));
        }
    }
    buf.put_slice(members);
    buf.freeze()
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
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decode_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
            let _ = decode(&bytes, 1150);
        }

        #[test]
        fn decode_never_panics_on_well_framed_garbage(kind in 0u8..6, tail in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let mut bytes = vec![WIRE_VERSION, kind];
            bytes.extend(tail);
            let _ = decode(&bytes, 1150);
        }

        #[test]
        fn truncated_packets_are_rejected(cut in 0usize..400) {
            let full = push(&record()).unwrap();
            let cut = cut % full.len();
            prop_assert!(decode(&full[..cut], 1150).is_err());
        }

        #[test]
        fn bit_flipped_packets_never_panic(flip in 0usize..400, bit in 0u8..8) {
            let mut bytes = push(&record()).unwrap().to_vec();
            let len = bytes.len();
            bytes[flip % len] ^= 1 << bit;
            let _ = decode(&bytes, 1150);
        }
    }

    fn record() -> MemberRecord {
        MemberRecord {
            id: id(),
            version: 4,
            intent: Intent::Leave,
            meta: MemberMeta::new(
                "s1",
                "global",
                "dc1",
                "127.0.0.1:4647".parse().unwrap(),
                "127.0.0.1:4646".parse().unwrap(),
            ),
        }
    }

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
    fn sync_chunks_fit_the_limit_and_round_trip() {
        let members: Vec<Member<Identity>> = (0..100u16)
            .map(|i| {
                let addr =
                    std::net::SocketAddr::from(([10, 0, (i / 250) as u8, (i % 250) as u8], 4648));
                Member::new(
                    Identity::new(
                        format!("server-{i}.global"),
                        addr,
                        1_700_000_000_000 + u64::from(i),
                    ),
                    i,
                    foca::State::Alive,
                )
            })
            .collect();
        let chunks = sync_chunks(&id(), &members, 1150).unwrap();
        assert!(chunks.len() > 1);
        let mut back = Vec::new();
        for c in &chunks {
            assert!(c.len() <= 1150, "chunk of {} bytes", c.len());
            match decode(c, 1150).unwrap() {
                Packet::Sync { sender, members } => {
                    assert_eq!(sender, id());
                    back.extend(members);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(back, members);
    }

    #[test]
    fn sync_request_round_trips_and_digest_ignores_order() {
        let a = id();
        let b = Identity::new("s2.global", "127.0.0.2:4648".parse().unwrap(), 1);
        let d = alive_digest([&a, &b]);
        assert_eq!(d, alive_digest([&b, &a]));
        assert_ne!(d, alive_digest([&a]));
        assert_ne!(d, alive_digest([&a, &b.renewed()]));
        match decode(&sync_request(&a, d).unwrap(), 1150).unwrap() {
            Packet::SyncReq { sender, digest } => {
                assert_eq!(sender, a);
                assert_eq!(digest, d);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rejects_junk_headers() {
        assert!(matches!(decode(&[], 1150), Err(WireError::TooShort)));
        assert!(matches!(decode(&[9, 0], 1150), Err(WireError::Version(9))));
        assert!(matches!(decode(&[1, 7], 1150), Err(WireError::Kind(7))));
        assert!(matches!(
            decode(&[1, 0, 1, 2], 1150),
            Err(WireError::TooShort)
        ));
        assert!(matches!(
            decode(&[1; 2000], 1150),
            Err(WireError::TooLarge(2000))
        ));
    }
}
