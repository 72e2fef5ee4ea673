//! Starting the region server the way the agent's config asks: `-dev` keeps the state in memory
//! (`LocalApplier`); any other server runs it on a Raft member whose log, vote and snapshots live in sled
//! under `data_dir/server/`. It forms the group on first start: alone with `bootstrap_expect = 1`, or with
//! the servers listed in `server { raft_peers = [...] }`, or through the mesh once `bootstrap_expect`
//! servers of the region are seen (`raft_discovery`, which also lets the leader add later servers and
//! remove departed ones); a restart resumes from the log and forming again is a no-op. Raft messages
//! travel the RPC port.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use nomad_gossip::MeshHandle;
use nomad_region::raft::{
    InMemoryTransport, NodeId, RaftMember, RaftNode, RaftNodeConfig, RaftOptions, RaftTransport,
};
use nomad_region::server::{RegionHandle, RegionServer};
use tokio_util::sync::CancellationToken;

use super::{AgentError, Result, settings};
use crate::config::AgentConfig;

/// The region server of this agent, and the Raft member under it (none under `-dev`).
pub struct RegionParts {
    pub region: RegionHandle,
    pub raft: Option<RaftNode>,
    /// The loop that follows the mesh (`raft_discovery`); ends with the region's cancel token.
    pub discovery: Option<tokio::task::JoinHandle<()>>,
}

/// A member's Raft ID: derived from its advertised RPC address, so that every server computes the same
/// ID for the same peer without asking it.
pub fn raft_id(rpc_addr: &str) -> NodeId {
    let mut h = DefaultHasher::new();
    rpc_addr.hash(&mut h);
    // 0 reads as "no node" in some openraft displays; keep IDs positive.
    h.finish().max(1)
}

/// The group `config` forms at start: this server plus its `raft_peers`, which must make
/// `bootstrap_expect`; alone with `bootstrap_expect = 1`. `None`: the mesh decides (`raft_discovery`).
fn initial_members(
    config: &AgentConfig,
    own: &str,
    with_mesh: bool,
) -> Result<Option<BTreeMap<NodeId, RaftMember>>> {
    if config.server.raft_peers.is_empty() && with_mesh && config.server.bootstrap_expect != 1 {
        return Ok(None);
    }
    let mut members = BTreeMap::from([(raft_id(own), RaftMember::new(own))]);
    for peer in &config.server.raft_peers {
        let addr = peer.to_string();
        members.insert(raft_id(&addr), RaftMember::new(addr));
    }
    let expect = config.server.bootstrap_expect as usize;
    if expect != members.len() {
        return Err(AgentError::Unsupported(format!(
            "bootstrap_expect = {expect} but {} server(s) known ({}); without mesh discovery list every server's RPC address in server {{ raft_peers = [...] }}",
            members.len(),
            members
                .values()
                .map(|m| m.rpc_addr.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Some(members))
}

/// Starts the region server for `config`. `transport` carries Raft messages to the other servers (unused
/// by a single server).
pub async fn start_region(
    config: &AgentConfig,
    data_dir: &Path,
    transport: Option<Arc<dyn RaftTransport>>,
    mesh: Option<&MeshHandle>,
    cancel: CancellationToken,
) -> Result<RegionParts> {
    let server_config = settings::server_config(config);
    if config.dev {
        return Ok(RegionParts {
            region: RegionServer::start(server_config, cancel),
            raft: None,
            discovery: None,
        });
    }
    let rpc_addr = config.advertise.rpc.to_string();
    let id = raft_id(&rpc_addr);
    let member = RaftMember::new(rpc_addr.clone());
    let members = initial_members(config, &rpc_addr, mesh.is_some())?;
    let transport = transport.unwrap_or_else(|| InMemoryTransport::new().endpoint(id));
    let node = RaftNode::start(
        RaftNodeConfig {
            id,
            member: member.clone(),
            data_dir: Some(data_dir.to_path_buf()),
            options: RaftOptions::default().scaled(config.server.raft_multiplier),
        },
        transport,
    )
    .await
    .map_err(|e| AgentError::Raft(e.to_string()))?;
    // Every server forms the group with the same members (IDs follow from addresses), which openraft
    // allows; on a restart the log already holds the group and this is a no-op.
    if let Some(members) = &members {
        node.initialize(members.clone())
            .await
            .map_err(|e| AgentError::Raft(e.to_string()))?;
    }
    tracing::info!(raft_id = id, rpc = %rpc_addr, members = ?members.as_ref().map(BTreeMap::len), "raft member started");
    let discovery = mesh.map(|mesh| {
        tokio::spawn(super::raft_discovery::run(
            node.clone(),
            mesh.clone(),
            config.region.clone(),
            config.server.bootstrap_expect,
            cancel.clone(),
        ))
    });
    let region = RegionServer::start_with_applier(server_config, node.applier(), cancel);
    Ok(RegionParts {
        region,
        raft: Some(node),
        discovery,
    })
}
