//! Node: a client machine as the servers know it (identity, attributes, drivers,
//! resources, status and drain state).

use std::collections::BTreeMap;

use super::{NodeReservedResources, NodeResources};

api_struct! {
    /// A client node, as returned by `/v1/node/:id`.
    pub struct Node {
        /// Node ID (UUID).
        #[serde(rename = "ID")]
        pub id: String,
        /// Secret the client authenticates with (never listed).
        #[serde(rename = "SecretID")]
        pub secret_id: String,
        /// Datacenter.
        pub datacenter: String,
        /// Name (hostname by default).
        pub name: String,
        /// `ip:port` of the client's HTTP API.
        #[serde(rename = "HTTPAddr")]
        pub http_addr: String,
        /// Whether that API uses TLS.
        #[serde(rename = "TLSEnabled")]
        pub tls_enabled: bool,
        /// Fingerprinted attributes (`kernel.name`, `driver.raw_exec`, ...).
        pub attributes: BTreeMap<String, String>,
        /// Capacity.
        pub node_resources: Option<NodeResources>,
        /// Reserved capacity.
        pub reserved_resources: Option<NodeReservedResources>,
        /// Links to external systems.
        pub links: BTreeMap<String, String>,
        /// Operator metadata.
        pub meta: BTreeMap<String, String>,
        /// Node class.
        pub node_class: String,
        /// Node pool (default `default`).
        pub node_pool: String,
        /// Hash of the scheduling-relevant fields (feasibility caching).
        pub computed_class: String,
        /// Deprecated: true while draining.
        pub drain: bool,
        /// Drain in progress.
        pub drain_strategy: Option<DrainStrategy>,
        /// `eligible` or `ineligible`.
        pub scheduling_eligibility: String,
        /// `initializing`, `ready`, `down` or `disconnected`.
        pub status: String,
        /// Why.
        pub status_description: String,
        /// When the status last changed, Unix seconds.
        pub status_updated_at: i64,
        /// Recent node events.
        pub events: Vec<NodeEvent>,
        /// Task drivers by name.
        pub drivers: BTreeMap<String, DriverInfo>,
        /// Host volumes by name.
        pub host_volumes: BTreeMap<String, ClientHostVolumeConfig>,
        /// The last drain.
        pub last_drain: Option<DrainMetadata>,
        /// Raft index of creation.
        pub create_index: u64,
        /// Raft index of the last change.
        pub modify_index: u64,
    }
}

api_struct! {
    /// What a driver reported about itself.
    pub struct DriverInfo {
        /// Driver attributes.
        pub attributes: BTreeMap<String, String>,
        /// The driver was found.
        pub detected: bool,
        /// The driver can run tasks.
        pub healthy: bool,
        /// Why not.
        pub health_description: String,
        /// When this was reported, RFC 3339.
        pub update_time: Option<String>,
    }
}

api_struct! {
    /// A drain in progress.
    pub struct DrainStrategy {
        /// Maximum drain time, nanoseconds (-1 = force now, 0 = no deadline).
        pub deadline: i64,
        /// Leave system jobs' allocations.
        pub ignore_system_jobs: bool,
        /// When the deadline passes, RFC 3339.
        pub force_deadline: Option<String>,
        /// When the drain started, RFC 3339.
        pub started_at: Option<String>,
    }
}

api_struct! {
    /// The record of a drain.
    pub struct DrainMetadata {
        /// Start, RFC 3339.
        pub started_at: Option<String>,
        /// Last update, RFC 3339.
        pub updated_at: Option<String>,
        /// `draining`, `complete` or `canceled`.
        pub status: String,
        /// ACL accessor that started it.
        #[serde(rename = "AccessorID")]
        pub accessor_id: String,
        /// Operator metadata.
        pub meta: BTreeMap<String, String>,
    }
}

api_struct! {
    /// A node event (`Drain`, `Driver`, `Heartbeat`, `Cluster`, ... subsystems).
    pub struct NodeEvent {
        /// What happened.
        pub message: String,
        /// Subsystem.
        pub subsystem: String,
        /// Details.
        pub details: BTreeMap<String, String>,
        /// When, RFC 3339.
        pub timestamp: Option<String>,
        /// Raft index.
        pub create_index: u64,
    }
}

api_struct! {
    /// A host volume offered by the client.
    pub struct ClientHostVolumeConfig {
        /// Volume name.
        pub name: String,
        /// Host path.
        pub path: String,
        /// Only read-only mounts allowed.
        pub read_only: bool,
    }
}

/// Node status `initializing`.
pub const NODE_STATUS_INIT: &str = "initializing";
/// Node status `ready`.
pub const NODE_STATUS_READY: &str = "ready";
/// Node status `down`.
pub const NODE_STATUS_DOWN: &str = "down";
/// Node status `disconnected`.
pub const NODE_STATUS_DISCONNECTED: &str = "disconnected";
/// Scheduling eligibility `eligible`.
pub const NODE_SCHEDULING_ELIGIBLE: &str = "eligible";
/// Scheduling eligibility `ineligible`.
pub const NODE_SCHEDULING_INELIGIBLE: &str = "ineligible";
/// Drain status `draining`.
pub const DRAIN_STATUS_DRAINING: &str = "draining";
/// Drain status `complete`.
pub const DRAIN_STATUS_COMPLETE: &str = "complete";
/// Drain status `canceled`.
pub const DRAIN_STATUS_CANCELED: &str = "canceled";

impl Node {
    /// True when the scheduler may place new work here: status `ready`, not
    /// draining, and eligible.
    pub fn ready(&self) -> bool {
        self.status == NODE_STATUS_READY
            && self.drain_strategy.is_none()
            && self.scheduling_eligibility == NODE_SCHEDULING_ELIGIBLE
    }

    /// True when the node is gone for good or for now (`down`/`disconnected`).
    pub fn terminal_status(&self) -> bool {
        self.status == NODE_STATUS_DOWN || self.status == NODE_STATUS_DISCONNECTED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready_node() -> Node {
        Node {
            status: NODE_STATUS_READY.into(),
            scheduling_eligibility: NODE_SCHEDULING_ELIGIBLE.into(),
            ..Default::default()
        }
    }

    #[test]
    fn ready_needs_status_eligibility_and_no_drain() {
        assert!(ready_node().ready());
        let mut n = ready_node();
        n.status = NODE_STATUS_DOWN.into();
        assert!(!n.ready());
        assert!(n.terminal_status());
        let mut n = ready_node();
        n.scheduling_eligibility = NODE_SCHEDULING_INELIGIBLE.into();
        assert!(!n.ready());
        let mut n = ready_node();
        n.drain_strategy = Some(DrainStrategy::default());
        assert!(!n.ready());
    }

    #[test]
    fn json_initialisms() {
        let n = Node {
            http_addr: "10.0.0.1:4646".into(),
            ..ready_node()
        };
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(v["HTTPAddr"], "10.0.0.1:4646");
        assert!(v.get("SecretID").is_some());
        assert!(v.get("TLSEnabled").is_some());
        assert_eq!(v["SchedulingEligibility"], "eligible");
    }
}
