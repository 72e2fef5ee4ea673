//! The public view of a member and the events that announce its changes.

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::meta::MemberMeta;

/// A member's status, as `nomad server members` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    Alive,
    Leaving,
    Left,
    Failed,
}

impl MemberStatus {
    /// Nomad's lowercase word for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alive => "alive",
            Self::Leaving => "leaving",
            Self::Left => "left",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One server in the mesh, as seen locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// `<node>.<region>`.
    pub name: String,
    /// The serf (mesh) address.
    pub addr: SocketAddr,
    /// Start-time based incarnation; grows when the member restarts.
    pub incarnation: u64,
    pub status: MemberStatus,
    pub meta: MemberMeta,
}

impl Member {
    /// The member's region.
    pub fn region(&self) -> &str {
        &self.meta.region
    }

    /// True when the member can take requests.
    pub fn is_alive(&self) -> bool {
        self.status == MemberStatus::Alive
    }
}

/// What happened to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberEventKind {
    /// Became visible and alive (first join, or back after failing/leaving).
    Joined,
    /// Metadata or a minor status (alive <-> leaving) changed.
    Updated,
    /// Stopped answering and was declared down without leaving.
    Failed,
    /// Left gracefully (or was force-left).
    Left,
    /// Dropped from the member list (pruned, or failed/left for too long).
    Reaped,
}

/// A membership change, with the member as it is after the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEvent {
    pub kind: MemberEventKind,
    pub member: Member,
}
