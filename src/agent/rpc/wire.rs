//! The RPC messages (MessagePack, with field names so that optional fields round-trip) and their framing:
//! a 4-byte big-endian length, then the payload. Every call carries the caller's region, so that a server
//! refuses a client of another region instead of registering it.

use nomad_region::structs::{Allocation, Node};
use quinn::{RecvStream, SendStream};
use serde::{Deserialize, Serialize};

/// ALPN of the RPC protocol: a peer that does not speak it (the mesh port, another service) fails the
/// handshake instead of being mistaken for a server.
pub const ALPN: &[u8] = b"nomad-rpc/1";

/// Largest frame either side accepts (snapshots travel in chunks well below this).
pub const MAX_FRAME: usize = 64 << 20;

/// One call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// Region of the caller.
    pub region: String,
    pub request: Request,
}

/// What a caller asks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// `Node.Register`: returns the heartbeat TTL.
    RegisterNode(Box<Node>),
    /// `Node.UpdateStatus` heartbeat: returns the next TTL.
    Heartbeat { node_id: String },
    /// `Node.GetClientAllocs` blocking query.
    AllocsForNode {
        node_id: String,
        min_index: u64,
        wait_ms: u64,
    },
    /// `Node.UpdateAlloc`.
    UpdateAllocs(Vec<Allocation>),
    /// One encoded Raft message for this server's Raft member.
    Raft(Vec<u8>),
    /// An HTTP API request of a client-only agent, run by the server's router.
    Http(HttpCall),
}

/// An HTTP request carried over RPC.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpCall {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The buffered response to an [`HttpCall`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    /// A heartbeat TTL, nanoseconds.
    Ttl(u64),
    /// Allocations and the index to pass next time.
    Allocs(Vec<Allocation>, u64),
    /// Done, nothing to return.
    Done,
    /// An encoded Raft reply.
    Raft(Vec<u8>),
    /// The response to an HTTP call.
    Http(HttpReply),
    /// The call failed on the server.
    Error(WireError),
}

/// Why a server refused or failed a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum WireError {
    #[error("node {0} is not registered")]
    UnknownNode(String),
    /// No leader, shutting down: try again (maybe elsewhere).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Server(String),
    #[error("server is in region {server:?}, not {client:?}")]
    WrongRegion { server: String, client: String },
    #[error("this agent does not answer {0} calls")]
    Unsupported(String),
}

/// Framing and codec failures.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes exceeds the limit of {MAX_FRAME}")]
    TooLarge(usize),
    #[error("read: {0}")]
    Read(#[from] quinn::ReadExactError),
    #[error("write: {0}")]
    Write(#[from] quinn::WriteError),
    #[error("stream closed: {0}")]
    Closed(#[from] quinn::ClosedStream),
    #[error("decode: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    #[error("encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
}

/// Writes one value as a frame.
pub async fn write_msg<T: Serialize>(send: &mut SendStream, value: &T) -> Result<(), FrameError> {
    let payload = rmp_serde::to_vec_named(value)?;
    if payload.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(payload.len()));
    }
    send.write_all(&(payload.len() as u32).to_be_bytes())
        .await?;
    send.write_all(&payload).await?;
    Ok(())
}

/// Reads one frame and decodes it.
pub async fn read_msg<T: serde::de::DeserializeOwned>(
    recv: &mut RecvStream,
) -> Result<T, FrameError> {
    let mut len = [0u8; 4];
    recv.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    let mut buf = vec![0u8; len];
    recv.read_exact(&mut buf).await?;
    Ok(rmp_serde::from_slice(&buf)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_and_allocs_round_trip() -> Result<(), FrameError> {
        let node = Node {
            id: "n1".into(),
            datacenter: "dc1".into(),
            status: "ready".into(),
            ..Default::default()
        };
        let env = Envelope {
            region: "global".into(),
            request: Request::RegisterNode(Box::new(node.clone())),
        };
        let bytes = rmp_serde::to_vec_named(&env)?;
        let back: Envelope = rmp_serde::from_slice(&bytes)?;
        assert_eq!(back.region, "global");
        assert!(matches!(back.request, Request::RegisterNode(n) if *n == node));
        let alloc = Allocation {
            id: "a1".into(),
            client_status: "running".into(),
            ..Default::default()
        };
        let reply = Reply::Allocs(vec![alloc.clone()], 7);
        let back: Reply = rmp_serde::from_slice(&rmp_serde::to_vec_named(&reply)?)?;
        assert!(matches!(back, Reply::Allocs(a, 7) if a == vec![alloc]));
        Ok(())
    }
}
