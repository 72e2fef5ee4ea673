//! `RaftNodeError`: how starting or using the region's Raft node fails.

use thiserror::Error;

use super::NodeId;
use crate::server::RegionError;

/// A failure of the Raft node (storage, codec, openraft, leadership).
#[derive(Debug, Clone, Error)]
pub enum RaftNodeError {
    /// This member is not the leader; the request must go to `leader` (if known).
    #[error("not the leader (leader: {})", leader_addr.as_deref().unwrap_or("unknown"))]
    NotLeader {
        /// The leader's node ID, if known.
        leader_id: Option<NodeId>,
        /// The leader's RPC address, if known.
        leader_addr: Option<String>,
    },
    /// Opening or writing the sled database failed.
    #[error("raft storage: {0}")]
    Storage(String),
    /// A message or snapshot could not be encoded or decoded.
    #[error("raft codec: {0}")]
    Codec(String),
    /// The Raft configuration is invalid.
    #[error("raft config: {0}")]
    Config(String),
    /// openraft refused or failed the request (shutting down, fatal storage error, ...).
    #[error("raft: {0}")]
    Raft(String),
}

/// Result alias of the Raft module.
pub type Result<T> = std::result::Result<T, RaftNodeError>;

impl From<sled::Error> for RaftNodeError {
    fn from(e: sled::Error) -> Self {
        RaftNodeError::Storage(e.to_string())
    }
}

impl From<rmp_serde::encode::Error> for RaftNodeError {
    fn from(e: rmp_serde::encode::Error) -> Self {
        RaftNodeError::Codec(e.to_string())
    }
}

impl From<rmp_serde::decode::Error> for RaftNodeError {
    fn from(e: rmp_serde::decode::Error) -> Self {
        RaftNodeError::Codec(e.to_string())
    }
}

impl From<RaftNodeError> for RegionError {
    fn from(e: RaftNodeError) -> Self {
        match e {
            // RegionError has no "not leader, forward to X" variant yet; an unknown
            // leader is Nomad's "No cluster leader".
            RaftNodeError::NotLeader {
                leader_id: None, ..
            } => RegionError::NoLeader,
            other => RegionError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_leader_maps_to_region_errors() {
        let unknown = RaftNodeError::NotLeader {
            leader_id: None,
            leader_addr: None,
        };
        assert!(matches!(RegionError::from(unknown), RegionError::NoLeader));
        let known = RaftNodeError::NotLeader {
            leader_id: Some(2),
            leader_addr: Some("10.0.0.2:4647".into()),
        };
        assert_eq!(known.to_string(), "not the leader (leader: 10.0.0.2:4647)");
        assert!(
            matches!(RegionError::from(known), RegionError::Internal(m) if m.contains("10.0.0.2:4647"))
        );
    }
}
