//! RPC on the agent's RPC port (4647/udp, QUIC): client -> server calls (`ServerRpc`), and server ->
//! server Raft messages. One bi stream per call carrying one length-delimited MessagePack request and one
//! reply ([`wire`]); [`endpoint`] owns the QUIC endpoint and its TLS, [`server`] answers calls on a server
//! agent, [`remote`] is the client's `ServerRpc` over QUIC with failover across its server list.

pub mod endpoint;
pub mod http_forward;
pub mod leader_forward;
pub mod raft_transport;
pub mod remote;
pub mod server;
pub mod wire;

pub use endpoint::{RpcEndpoint, RpcTransportError};
pub use remote::RemoteRpc;
pub use server::RpcServer;

#[cfg(test)]
mod tests;
