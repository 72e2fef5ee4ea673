//! Member metadata and the versioned record that carries it through the mesh.
//!
//! A `MemberRecord` is what spreads as a foca custom broadcast: the member's
//! identity, a version, an intent (alive, leaving, pruned) and its metadata.
//! Records are ordered by (incarnation, version): newer wins, so a restarted
//! member's first record beats anything its previous life said.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::identity::Identity;

/// What a server tells the mesh about itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemberMeta {
    /// `<node>.<region>`, the same as the identity's name.
    pub name: String,
    pub region: String,
    pub datacenter: String,
    /// Where this server takes RPC (Raft, forwarding).
    pub rpc_addr: SocketAddr,
    /// Where this server serves the HTTP API.
    pub http_addr: SocketAddr,
    /// Build version, e.g. `1.9.3`.
    pub build: String,
    /// Whether the server votes in its region's Raft group.
    pub raft_voter: bool,
    /// The server's `bootstrap_expect` (0 when not set).
    pub bootstrap_expect: u32,
    /// Free-form extra tags (Nomad's serf tags such as `raft_vsn`, `id`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl MemberMeta {
    /// Metadata with defaults for the optional parts; the agent fills in the rest.
    pub fn new(
        node: &str,
        region: &str,
        datacenter: &str,
        rpc_addr: SocketAddr,
        http_addr: SocketAddr,
    ) -> Self {
        Self {
            name: format!("{node}.{region}"),
            region: region.to_owned(),
            datacenter: datacenter.to_owned(),
            rpc_addr,
            http_addr,
            build: String::new(),
            raft_voter: true,
            bootstrap_expect: 0,
            tags: BTreeMap::new(),
        }
    }

    /// The tags Nomad shows for a server member (`nomad server members
    /// -verbose`, `/v1/agent/members`), merged with the free-form `tags`.
    pub fn nomad_tags(&self) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        let mut put = |k: &str, v: String| {
            tags.entry(k.to_owned()).or_insert(v);
        };
        put("role", "nomad".to_owned());
        put("region", self.region.clone());
        put("dc", self.datacenter.clone());
        put("build", self.build.clone());
        put("port", self.rpc_addr.port().to_string());
        put("rpc_addr", self.rpc_addr.ip().to_string());
        if self.bootstrap_expect > 0 {
            put("expect", self.bootstrap_expect.to_string());
        }
        if !self.raft_voter {
            put("nonvoter", "1".to_owned());
        }
        tags
    }
}

/// What the record says about the member's wishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Intent {
    /// Member is (or wants to be) part of the mesh.
    Alive,
    /// Member is leaving gracefully (or was force-left): show `left`, not `failed`.
    Leave,
    /// Like `Leave`, and drop the member from the list once it is down.
    Prune,
}

/// The unit of metadata dissemination.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemberRecord {
    pub id: Identity,
    pub version: u64,
    pub intent: Intent,
    pub meta: MemberMeta,
}

impl MemberRecord {
    /// The ordering key: newer (incarnation, version) wins.
    pub fn order(&self) -> (u64, u64) {
        (self.id.incarnation(), self.version)
    }

    /// True if this record should replace `other` (same member).
    pub fn supersedes(&self, other: &MemberRecord) -> bool {
        self.order() > other.order()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> MemberMeta {
        MemberMeta::new(
            "s1",
            "west",
            "dc1",
            "10.0.0.1:4647".parse().unwrap(),
            "10.0.0.1:4646".parse().unwrap(),
        )
    }

    #[test]
    fn nomad_tags_follow_serf_names() {
        let mut m = meta();
        m.bootstrap_expect = 3;
        m.raft_voter = false;
        m.build = "1.9.3".into();
        let tags = m.nomad_tags();
        assert_eq!(tags["role"], "nomad");
        assert_eq!(tags["region"], "west");
        assert_eq!(tags["dc"], "dc1");
        assert_eq!(tags["port"], "4647");
        assert_eq!(tags["expect"], "3");
        assert_eq!(tags["nonvoter"], "1");
        assert_eq!(m.name, "s1.west");
    }

    #[test]
    fn newer_incarnation_beats_higher_version() {
        let addr = "10.0.0.1:4648".parse().unwrap();
        let old = MemberRecord {
            id: Identity::new("s1.west", addr, 5),
            version: 40,
            intent: Intent::Leave,
            meta: meta(),
        };
        let new = MemberRecord {
            id: Identity::new("s1.west", addr, 6),
            version: 1,
            intent: Intent::Alive,
            meta: meta(),
        };
        assert!(new.supersedes(&old));
        assert!(!old.supersedes(&new));
        assert!(!new.supersedes(&new));
    }
}
