//! MessagePack (rmp-serde) encoding for everything on the wire, including the
//! `foca::Codec` SWIM uses.
//!
//! Every decode reads from a borrowed slice that the caller has already
//! bounded (datagrams are at most the MTU, stream frames at most their frame
//! limit), caps nesting depth, and reports errors instead of panicking.

use bytes::{Buf, BufMut};
use foca::{Header, Member};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::identity::Identity;

/// Deepest nesting any of our messages needs; deeper input is rejected early.
const MAX_DEPTH: usize = 24;

/// A decode failure (untrusted input).
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error(transparent)]
    Decode(#[from] rmp_serde::decode::Error),
    #[error(transparent)]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("{0} trailing bytes")]
    Trailing(usize),
    #[error("not enough room in the packet")]
    NoRoom,
}

/// Encode a value (compact form: structs as arrays).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    rmp_serde::to_vec(value)
}

/// Decode one value from the front of `buf`; returns it and the bytes used.
pub fn decode_prefix<T: DeserializeOwned>(buf: &[u8]) -> Result<(T, usize), CodecError> {
    let mut rest = buf;
    let value = {
        let mut de = rmp_serde::Deserializer::new(&mut rest);
        de.set_max_depth(MAX_DEPTH);
        T::deserialize(&mut de)?
    };
    Ok((value, buf.len() - rest.len()))
}

/// Decode exactly one value filling all of `buf`.
pub fn decode_exact<T: DeserializeOwned>(buf: &[u8]) -> Result<T, CodecError> {
    let (value, used) = decode_prefix(buf)?;
    if used != buf.len() {
        return Err(CodecError::Trailing(buf.len() - used));
    }
    Ok(value)
}

/// Writes `value` into `buf` only if it fits whole (foca requires a clean
/// buffer when an item does not fit).
fn encode_into<T: Serialize>(value: &T, mut buf: impl BufMut) -> Result<(), CodecError> {
    let bytes = encode(value)?;
    if buf.remaining_mut() < bytes.len() {
        return Err(CodecError::NoRoom);
    }
    buf.put_slice(&bytes);
    Ok(())
}

fn decode_from<T: DeserializeOwned>(mut buf: impl Buf) -> Result<T, CodecError> {
    // foca hands us a contiguous buffer, so the first chunk is everything.
    let (value, used) = decode_prefix(buf.chunk())?;
    buf.advance(used);
    Ok(value)
}

/// Bytes that encode as a MessagePack `bin` (not an array of integers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Blob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(v))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// The `foca::Codec` for SWIM messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct RmpCodec;

impl foca::Codec<Identity> for RmpCodec {
    type Error = CodecError;

    fn encode_header(
        &mut self,
        header: &Header<Identity>,
        buf: impl BufMut,
    ) -> Result<(), CodecError> {
        encode_into(header, buf)
    }

    fn decode_header(&mut self, buf: impl Buf) -> Result<Header<Identity>, CodecError> {
        decode_from(buf)
    }

    fn encode_member(
        &mut self,
        member: &Member<Identity>,
        buf: impl BufMut,
    ) -> Result<(), CodecError> {
        encode_into(member, buf)
    }

    fn decode_member(&mut self, buf: impl Buf) -> Result<Member<Identity>, CodecError> {
        decode_from(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foca::{Codec, Message, State};

    fn id(n: &str) -> Identity {
        Identity::new(n, "127.0.0.1:4648".parse().unwrap(), 7)
    }

    #[test]
    fn header_round_trips_and_advances() {
        let header = Header {
            src: id("a.global"),
            src_incarnation: 3,
            dst: id("b.global"),
            message: Message::Ping(9),
        };
        let mut buf = Vec::new();
        RmpCodec.encode_header(&header, &mut buf).unwrap();
        buf.extend_from_slice(b"tail");
        let mut slice = &buf[..];
        let back = RmpCodec.decode_header(&mut slice).unwrap();
        assert_eq!(back, header);
        assert_eq!(slice, b"tail");
    }

    #[test]
    fn member_does_not_dirty_a_full_buffer() {
        let member = Member::new(id("a.global"), 1, State::Alive);
        let mut small = bytes::BytesMut::new().limit(4);
        assert!(RmpCodec.encode_member(&member, &mut small).is_err());
        assert_eq!(small.get_ref().len(), 0);
    }

    #[test]
    fn huge_declared_lengths_are_rejected_not_allocated() {
        // str32 / array32 / map32 markers claiming 4 GiB of content.
        for marker in [0xdbu8, 0xdd, 0xdf, 0xc6] {
            let buf = [marker, 0xff, 0xff, 0xff, 0xff, 1, 2, 3];
            assert!(decode_exact::<Header<Identity>>(&buf).is_err());
            assert!(decode_exact::<String>(&buf).is_err());
        }
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let buf = vec![0x91u8; 10_000]; // [[[[...]]]]
        assert!(decode_exact::<Header<Identity>>(&buf).is_err());
    }

    #[test]
    fn blob_is_a_msgpack_bin() {
        let bytes = encode(&Blob(vec![1, 2, 3])).unwrap();
        assert_eq!(bytes, [0xc4, 3, 1, 2, 3]);
        assert_eq!(decode_exact::<Blob>(&bytes).unwrap(), Blob(vec![1, 2, 3]));
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut buf = encode(&5u32).unwrap();
        buf.push(0);
        assert!(matches!(
            decode_exact::<u32>(&buf),
            Err(CodecError::Trailing(1))
        ));
    }
}
