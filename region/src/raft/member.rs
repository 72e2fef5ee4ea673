//! `RaftMember`: what the Raft configuration records about each member.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A member of the region's Raft group: where its RPC endpoint listens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftMember {
    /// The member's RPC address (`host:port`, the agent's `ports.rpc`).
    pub rpc_addr: String,
}

impl RaftMember {
    /// A member listening on `rpc_addr`.
    pub fn new(rpc_addr: impl Into<String>) -> Self {
        Self {
            rpc_addr: rpc_addr.into(),
        }
    }
}

impl fmt::Display for RaftMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rpc_addr)
    }
}
