//! List stubs: the abbreviated objects list endpoints return (`/v1/jobs`,
//! `/v1/allocations`, `/v1/nodes`), and the constructors from full objects.

use std::collections::BTreeMap;

use super::{
    AllocDeploymentStatus, AllocatedResources, Allocation, DesiredTransition, DrainMetadata,
    DriverInfo, Job, JobSummary, Node, NodeReservedResources, NodeResources, RescheduleTracker,
    TaskState,
};

api_struct! {
    /// An element of `/v1/jobs`.
    pub struct JobListStub {
        /// Job ID.
        #[serde(rename = "ID")]
        pub id: String,
        /// Parent job.
        #[serde(rename = "ParentID")]
        pub parent_id: String,
        /// Name.
        pub name: String,
        /// Namespace.
        pub namespace: String,
        /// Datacenters.
        pub datacenters: Vec<String>,
        /// Node pool.
        pub node_pool: String,
        /// Type.
        #[serde(rename = "Type")]
        pub job_type: String,
        /// Priority.
        pub priority: i32,
        /// Launches periodically.
        pub periodic: bool,
        /// Is parameterized.
        pub parameterized_job: bool,
        /// Stopped.
        pub stop: bool,
        /// Status.
        pub status: String,
        /// Why.
        pub status_description: String,
        /// Summary, when known.
        pub job_summary: Option<JobSummary>,
        /// Version.
        pub version: u64,
        /// Raft index of creation.
        pub create_index: u64,
        /// Raft index of the last change.
        pub modify_index: u64,
        /// Raft index of the last specification change.
        pub job_modify_index: u64,
        /// Submission time, Unix nanoseconds.
        pub submit_time: i64,
        /// Metadata (only with `?meta=true`).
        pub meta: BTreeMap<String, String>,
    }
}

api_struct! {
    /// An element of `/v1/allocations`.
    pub struct AllocListStub {
        /// Allocation ID.
        #[serde(rename = "ID")]
        pub id: String,
        /// Evaluation.
        #[serde(rename = "EvalID")]
        pub eval_id: String,
        /// Name.
        pub name: String,
        /// Namespace.
        pub namespace: String,
        /// Node.
        #[serde(rename = "NodeID")]
        pub node_id: String,
        /// Node name.
        pub node_name: String,
        /// Job.
        #[serde(rename = "JobID")]
        pub job_id: String,
        /// Job type.
        pub job_type: String,
        /// Job version.
        pub job_version: u64,
        /// Task group.
        pub task_group: String,
        /// Resources (only with `?resources=true`).
        pub allocated_resources: Option<AllocatedResources>,
        /// Desired status.
        pub desired_status: String,
        /// Why.
        pub desired_description: String,
        /// Pending transitions.
        pub desired_transition: DesiredTransition,
        /// Client status.
        pub client_status: String,
        /// Why.
        pub client_description: String,
        /// Task states (omitted with `?task_states=false`).
        pub task_states: BTreeMap<String, TaskState>,
        /// Deployment health.
        pub deployment_status: Option<AllocDeploymentStatus>,
        /// Follow-up evaluation.
        #[serde(rename = "FollowupEvalID")]
        pub followup_eval_id: String,
        /// Replacement allocation.
        pub next_allocation: String,
        /// Reschedule history.
        pub reschedule_tracker: Option<RescheduleTracker>,
        /// Allocations it preempted.
        pub preempted_allocations: Vec<String>,
        /// Allocation that preempted it.
        pub preempted_by_allocation: String,
        /// Raft index of creation.
        pub create_index: u64,
        /// Raft index of the last change.
        pub modify_index: u64,
        /// Creation time, Unix nanoseconds.
        pub create_time: i64,
        /// Last change, Unix nanoseconds.
        pub modify_time: i64,
    }
}

api_struct! {
    /// An element of `/v1/nodes`.
    pub struct NodeListStub {
        /// Host part of the HTTP address.
        pub address: String,
        /// Node ID.
        #[serde(rename = "ID")]
        pub id: String,
        /// Attributes (only with `?os=true`: `os.name`, `os.version`).
        pub attributes: BTreeMap<String, String>,
        /// Datacenter.
        pub datacenter: String,
        /// Name.
        pub name: String,
        /// Class.
        pub node_class: String,
        /// Pool.
        pub node_pool: String,
        /// Nomad version of the client.
        pub version: String,
        /// Draining.
        pub drain: bool,
        /// Eligibility.
        pub scheduling_eligibility: String,
        /// Status.
        pub status: String,
        /// Why.
        pub status_description: String,
        /// Drivers.
        pub drivers: BTreeMap<String, DriverInfo>,
        /// Resources (only with `?resources=true`).
        pub node_resources: Option<NodeResources>,
        /// Reserved resources (only with `?resources=true`).
        pub reserved_resources: Option<NodeReservedResources>,
        /// Last drain.
        pub last_drain: Option<DrainMetadata>,
        /// Raft index of creation.
        pub create_index: u64,
        /// Raft index of the last change.
        pub modify_index: u64,
    }
}

impl Job {
    /// The list stub of this job, with its summary if known.
    pub fn stub(&self, summary: Option<&JobSummary>) -> JobListStub {
        JobListStub {
            id: self.id.clone(),
            parent_id: self.parent_id.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            datacenters: self.datacenters.clone(),
            node_pool: self.node_pool.clone(),
            job_type: self.job_type.clone(),
            priority: self.effective_priority(),
            periodic: self.is_periodic(),
            parameterized_job: self.is_parameterized(),
            stop: self.stop,
            status: self.status.clone(),
            status_description: self.status_description.clone(),
            job_summary: summary.cloned(),
            version: self.version,
            create_index: self.create_index,
            modify_index: self.modify_index,
            job_modify_index: self.job_modify_index,
            submit_time: self.submit_time,
            meta: self.meta.clone(),
        }
    }
}

impl Allocation {
    /// The list stub of this allocation (job type and version from its job copy).
    pub fn stub(&self) -> AllocListStub {
        let (job_type, job_version) = self
            .job
            .as_deref()
            .map(|j| (j.job_type.clone(), j.version))
            .unwrap_or_default();
        AllocListStub {
            id: self.id.clone(),
            eval_id: self.eval_id.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            node_id: self.node_id.clone(),
            node_name: self.node_name.clone(),
            job_id: self.job_id.clone(),
            job_type,
            job_version,
            task_group: self.task_group.clone(),
            allocated_resources: self.allocated_resources.as_deref().cloned(),
            desired_status: self.desired_status.clone(),
            desired_description: self.desired_description.clone(),
            desired_transition: self.desired_transition.clone(),
            client_status: self.client_status.clone(),
            client_description: self.client_description.clone(),
            task_states: self.task_states.clone(),
            deployment_status: self.deployment_status.clone(),
            followup_eval_id: self.followup_eval_id.clone(),
            next_allocation: self.next_allocation.clone(),
            reschedule_tracker: self.reschedule_tracker.clone(),
            preempted_allocations: self.preempted_allocations.clone(),
            preempted_by_allocation: self.preempted_by_allocation.clone(),
            create_index: self.create_index,
            modify_index: self.modify_index,
            create_time: self.create_time,
            modify_time: self.modify_time,
        }
    }
}

impl Node {
    /// The list stub of this node. `Address` is the host of `HTTPAddr`, `Version`
    /// the `nomad.version` attribute.
    pub fn stub(&self) -> NodeListStub {
        NodeListStub {
            address: http_host(&self.http_addr).to_string(),
            id: self.id.clone(),
            attributes: self.attributes.clone(),
            datacenter: self.datacenter.clone(),
            name: self.name.clone(),
            node_class: self.node_class.clone(),
            node_pool: self.node_pool.clone(),
            version: self
                .attributes
                .get("nomad.version")
                .cloned()
                .unwrap_or_default(),
            drain: self.drain_strategy.is_some(),
            scheduling_eligibility: self.scheduling_eligibility.clone(),
            status: self.status.clone(),
            status_description: self.status_description.clone(),
            drivers: self.drivers.clone(),
            node_resources: self.node_resources.clone(),
            reserved_resources: self.reserved_resources.clone(),
            last_drain: self.last_drain.clone(),
            create_index: self.create_index,
            modify_index: self.modify_index,
        }
    }
}

/// Host part of `host:port`, `[v6]:port` or a bare host.
fn http_host(addr: &str) -> &str {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{PeriodicConfig, TaskGroupSummary};

    #[test]
    fn job_stub_copies_identity_and_summary() {
        let job = Job {
            id: "web".into(),
            name: "web".into(),
            job_type: "batch".into(),
            priority: Some(70),
            periodic: Some(PeriodicConfig {
                spec: "@daily".into(),
                ..Default::default()
            }),
            version: 3,
            ..Default::default()
        };
        let mut summary = JobSummary {
            job_id: "web".into(),
            ..Default::default()
        };
        summary.summary.insert(
            "g".into(),
            TaskGroupSummary {
                running: 2,
                ..Default::default()
            },
        );
        let s = job.stub(Some(&summary));
        assert_eq!(s.id, "web");
        assert_eq!(s.priority, 70);
        assert!(s.periodic);
        assert!(!s.parameterized_job);
        assert_eq!(s.version, 3);
        assert_eq!(
            s.job_summary.as_ref().map(|j| j.summary["g"].running),
            Some(2)
        );
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["JobSummary"]["Summary"]["g"]["Running"], 2);
        assert_eq!(v["ParameterizedJob"], false);
    }

    #[test]
    fn alloc_stub_takes_job_type_and_version() {
        let a = Allocation {
            id: "a1".into(),
            job: Some(std::sync::Arc::new(Job {
                job_type: "service".into(),
                version: 4,
                ..Default::default()
            })),
            client_status: "running".into(),
            ..Default::default()
        };
        let s = a.stub();
        assert_eq!((s.job_type.as_str(), s.job_version), ("service", 4));
        assert_eq!(s.client_status, "running");
        assert_eq!(Allocation::default().stub().job_type, "");
    }

    #[test]
    fn node_stub_address_and_version() {
        let mut n = Node {
            http_addr: "10.1.2.3:4646".into(),
            ..Default::default()
        };
        n.attributes.insert("nomad.version".into(), "1.9.0".into());
        let s = n.stub();
        assert_eq!(s.address, "10.1.2.3");
        assert_eq!(s.version, "1.9.0");
        assert_eq!(http_host("[::1]:4646"), "::1");
        assert_eq!(http_host("myhost"), "myhost");
        assert_eq!(http_host("::1"), "::1");
    }
}
