//! The messages of region forwarding, as they travel in one mesh request (`MeshHandle::request`):
//! MessagePack (`rmp-serde`), bodies as `bin`. A forwarded HTTP request is a [`Call`]; a streaming reply
//! (log follows) keeps a session on the serving side that the forwarder drains with [`ForwardRequest::Next`]
//! long polls until `done`.
//!
//! ```text
//!   forwarder                               server of the target region
//!   Call{method,uri,headers,body,stream} -> replay into its own router
//!                                        <- Response{status,headers,body,session?,done}
//!   Next{session}            (stream only) -> wait for more body (long poll)
//!                                        <- Chunk{body,done}        ... until done
//!   Cancel{session}     (client went away) -> drop the stream
//! ```

use nomad_gossip::codec::{self, Blob};
use serde::{Deserialize, Serialize};

/// Marks the first byte of every forwarding message, so the mesh's request handler can tell them from
/// other services' requests.
pub const TAG: u8 = b'F';

/// A request from the forwarding server to a server of the target region.
#[derive(Debug, Serialize, Deserialize)]
pub enum ForwardRequest {
    Call(Call),
    Next { session: u64 },
    Cancel { session: u64 },
}

/// One HTTP request to replay.
#[derive(Debug, Serialize, Deserialize)]
pub struct Call {
    pub method: String,
    /// Path and query, e.g. `/v1/jobs?region=west`.
    pub uri: String,
    pub headers: Vec<(String, Blob)>,
    pub body: Blob,
    /// The reply body may never end (log follows): answer with what is there and keep a session.
    pub stream: bool,
    /// The forwarding server's member name (logged, and put in `X-Nomad-Region-Forwarded`).
    pub origin: String,
}

/// The answer to a message.
#[derive(Debug, Serialize, Deserialize)]
pub enum ForwardReply {
    /// The reply to a `Call`: the whole body, or with `session` its start.
    Response {
        status: u16,
        headers: Vec<(String, Blob)>,
        body: Blob,
        session: Option<u64>,
        done: bool,
    },
    /// More of a streaming body (empty when nothing came during the long poll).
    Chunk { body: Blob, done: bool },
    /// The session was cancelled or is unknown.
    Gone,
}

/// Errors of encoding or decoding a message.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("not a forwarding message")]
    NotForwarding,
    #[error("decode forwarding message: {0}")]
    Decode(String),
    #[error("encode forwarding message: {0}")]
    Encode(String),
}

/// Tag + MessagePack.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, WireError> {
    let body = codec::encode(msg).map_err(|e| WireError::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(TAG);
    out.extend_from_slice(&body);
    Ok(out)
}

/// The message after the tag.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    match bytes.split_first() {
        Some((&TAG, rest)) => {
            codec::decode_exact(rest).map_err(|e| WireError::Decode(e.to_string()))
        }
        _ => Err(WireError::NotForwarding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_with_binary_bodies() {
        let call = ForwardRequest::Call(Call {
            method: "PUT".into(),
            uri: "/v1/jobs?region=west".into(),
            headers: vec![("content-type".into(), Blob(b"application/json".to_vec()))],
            body: Blob(vec![0, 255, 7]),
            stream: false,
            origin: "a.east".into(),
        });
        let bytes = encode(&call).unwrap();
        assert_eq!(bytes[0], TAG);
        match decode::<ForwardRequest>(&bytes).unwrap() {
            ForwardRequest::Call(c) => {
                assert_eq!(c.uri, "/v1/jobs?region=west");
                assert_eq!(c.body.0, vec![0, 255, 7]);
            }
            other => panic!("{other:?}"),
        }
        // Bodies are `bin`, not arrays of integers: 200 bytes cost about 200 bytes.
        let big = encode(&ForwardReply::Chunk {
            body: Blob(vec![200; 200]),
            done: false,
        })
        .unwrap();
        assert!(big.len() < 220, "{}", big.len());
        assert!(matches!(
            decode::<ForwardRequest>(b"Xjunk"),
            Err(WireError::NotForwarding)
        ));
        assert!(matches!(
            decode::<ForwardRequest>(&[TAG, 0xc1]),
            Err(WireError::Decode(_))
        ));
    }
}
