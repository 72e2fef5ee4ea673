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
//!
//! An `alloc exec` websocket travels on a mesh stream (`MeshHandle::open_stream`) instead: the opening
//! is an [`ExecOpen`], then [`ExecMessage`]s both ways, one per websocket frame.
//!
//! ```text
//!   forwarder                               server of the target region
//!   (opening) ExecOpen{uri,headers,origin} -> checks it
//!                                        <- Received (or Refused at once)
//!                                           opens the websocket on its own router
//!                                        <- Accepted | Refused{status,headers,body} (then it ends)
//!   Text / Binary (stdin, tty_size)       ->
//!                                        <- Text / Binary (stdout, stderr, exited)
//!   Close{code,reason}  either way, or the stream ends: both websockets close
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

/// The opening of an exec stream: the websocket request to run in the target region.
#[derive(Debug, Serialize, Deserialize)]
pub struct ExecOpen {
    /// Path and query, e.g. `/v1/client/allocation/<id>/exec?command=...&region=west`.
    pub uri: String,
    /// The caller's headers, without those of its connection or its websocket handshake.
    pub headers: Vec<(String, Blob)>,
    /// The forwarding server's member name (put in `X-Nomad-Region-Forwarded`).
    pub origin: String,
}

/// One message on an exec stream after the opening.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecMessage {
    /// First from the target: it has the stream and is opening the websocket (which may take a while
    /// when it relays to a node). Tells the forwarder the server is there, so it stops failing over.
    Received,
    /// Next from the target: its websocket is open, frames follow.
    Accepted,
    /// Last from the target, instead of `Accepted`: the exec was refused before any upgrade (bad command,
    /// unknown allocation, ...), as the HTTP reply to give the caller.
    Refused {
        status: u16,
        headers: Vec<(String, Blob)>,
        body: Blob,
    },
    /// A websocket text frame (Nomad's exec frames are JSON text).
    Text(String),
    /// A websocket binary frame.
    Binary(Blob),
    /// A websocket close frame; the stream ends after it.
    Close { code: u16, reason: String },
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

    #[test]
    fn exec_messages_round_trip() {
        let open = ExecOpen {
            uri: "/v1/client/allocation/a1/exec?command=%5B%22sh%22%5D&region=west".into(),
            headers: vec![("x-nomad-token".into(), Blob(b"secret".to_vec()))],
            origin: "east-1.east".into(),
        };
        let back: ExecOpen = decode(&encode(&open).unwrap()).unwrap();
        assert_eq!((back.uri, back.origin), (open.uri, open.origin));
        for msg in [
            ExecMessage::Received,
            ExecMessage::Accepted,
            ExecMessage::Refused {
                status: 400,
                headers: vec![],
                body: Blob(b"command is not present".to_vec()),
            },
            ExecMessage::Text(r#"{"stdin":{"data":"aGkK"}}"#.into()),
            ExecMessage::Binary(Blob(vec![0, 1, 2])),
            ExecMessage::Close {
                code: 1000,
                reason: String::new(),
            },
        ] {
            assert_eq!(decode::<ExecMessage>(&encode(&msg).unwrap()).unwrap(), msg);
        }
    }
}
