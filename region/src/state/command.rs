//! `Command`: every change to the state, as one serde enum (it becomes the Raft log
//! entry), and `CommandResult`, what applying it produced.
//!
//! Commands carry everything apply needs, timestamps included, so that applying the
//! same command at the same index on any replica gives the same state.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::structs::{
    Allocation, Deployment, DeploymentStatusUpdate, DesiredTransition, Evaluation, Job, Node,
    NodeEvent,
};

use super::StateError;

/// A change to the state store.
// A command is built once and moved into the log: the size of the inline `Job` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Create or update a job (a new version when the spec changed), with the
    /// evaluation that schedules it.
    JobRegister {
        /// The canonicalized, validated job (`SubmitTime` set).
        job: Job,
        /// Its `job-register` evaluation (none for periodic/parameterized jobs).
        eval: Option<Evaluation>,
    },
    /// Stop a job (a new version with `Stop = true`) or purge it.
    JobDeregister {
        /// Namespace.
        namespace: String,
        /// Job ID.
        job_id: String,
        /// Remove the job, its versions and summary instead of stopping it.
        purge: bool,
        /// Its `job-deregister` evaluation.
        eval: Option<Evaluation>,
        /// Submit time of the stopped version, Unix nanoseconds.
        now: i64,
    },
    /// Register or re-register a node, with the evaluations that follow.
    NodeRegister {
        /// The node as fingerprinted (drain/eligibility of a known node are kept).
        node: Node,
        /// `node-update` evaluations to create.
        evals: Vec<Evaluation>,
    },
    /// Change a node's status (heartbeat missed -> `down`, back -> `ready`).
    NodeUpdateStatus {
        /// Node.
        node_id: String,
        /// New status.
        status: String,
        /// When, Unix seconds (Nomad's `StatusUpdatedAt`).
        updated_at: i64,
        /// Event to record on the node.
        event: Option<NodeEvent>,
        /// `node-update` evaluations to create.
        evals: Vec<Evaluation>,
    },
    /// Create or update evaluations (status changes from workers, blocked and
    /// follow-up evals).
    EvalUpsert {
        /// The evaluations.
        evals: Vec<Evaluation>,
    },
    /// Commit (the accepted part of) a plan.
    ApplyPlanResults(PlanResults),
    /// Client-side fields of allocations, as reported by their node.
    AllocClientUpdate {
        /// Allocations carrying `ClientStatus`, `ClientDescription`, `TaskStates`,
        /// `DeploymentStatus` (other fields are ignored).
        allocs: Vec<Allocation>,
        /// Evaluations to create (rescheduling of failed allocations).
        evals: Vec<Evaluation>,
        /// When the servers received the update, Unix nanoseconds.
        now: i64,
    },
    /// Ask the scheduler to move allocations (`alloc stop`: migrate, so the allocation
    /// is stopped and replaced), with the evaluations that act on it.
    AllocUpdateDesiredTransition {
        /// Transition to merge into each allocation, by ID.
        allocs: BTreeMap<String, DesiredTransition>,
        /// Evaluations to create (`alloc-stop`).
        evals: Vec<Evaluation>,
        /// When, Unix nanoseconds.
        now: i64,
    },
}

/// The part of a plan the plan applier accepted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlanResults {
    /// Evaluation the plan came from.
    pub eval_id: String,
    /// The job the plan was made for (attached to allocations that come without one).
    pub job: Option<Arc<Job>>,
    /// New or updated allocations (placements, in-place updates, lost marks); in the log as
    /// templates and per-allocation deltas (`placements.rs`).
    #[serde(with = "super::placements")]
    pub allocs_to_upsert: Vec<Allocation>,
    /// Allocations to stop or evict.
    pub allocs_to_stop: Vec<AllocStop>,
    /// Deployment created or updated.
    pub deployment: Option<Deployment>,
    /// Deployment status changes.
    pub deployment_updates: Vec<DeploymentStatusUpdate>,
    /// Evaluations to create with it (preemption evals).
    pub evals: Vec<Evaluation>,
    /// Commit time, Unix nanoseconds.
    pub now: i64,
}

/// One allocation to stop, as a plan's `NodeUpdate` carries it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AllocStop {
    /// Allocation ID.
    pub id: String,
    /// `stop` or `evict`.
    pub desired_status: String,
    /// Why (`alloc not needed due to job update`, ...).
    pub desired_description: String,
    /// Client status to force (`lost` for allocations of a down node), if any.
    pub client_status: Option<String>,
    /// Follow-up evaluation that will reschedule it later, if any.
    pub followup_eval_id: Option<String>,
}

/// What applying a command produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CommandResult {
    /// Applied; nothing to report.
    Applied,
    /// The job is stored at this version.
    JobRegistered {
        /// Its `JobModifyIndex`.
        job_modify_index: u64,
        /// Its `Version`.
        version: u64,
    },
    /// Refused; the state did not change.
    Rejected(StateError),
}

impl CommandResult {
    /// The error, if the command was refused.
    pub fn error(&self) -> Option<&StateError> {
        match self {
            CommandResult::Rejected(e) => Some(e),
            _ => None,
        }
    }
}

impl Command {
    /// The evaluations this command creates or updates (the leader routes the
    /// pending ones to the eval broker, the blocked ones to the blocked set).
    pub fn evals(&self) -> Vec<&Evaluation> {
        match self {
            Command::JobRegister { eval, .. } | Command::JobDeregister { eval, .. } => {
                eval.iter().collect()
            }
            Command::NodeRegister { evals, .. }
            | Command::NodeUpdateStatus { evals, .. }
            | Command::EvalUpsert { evals }
            | Command::AllocClientUpdate { evals, .. }
            | Command::AllocUpdateDesiredTransition { evals, .. } => evals.iter().collect(),
            Command::ApplyPlanResults(r) => r.evals.iter().collect(),
        }
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::JobRegister { .. } => "JobRegister",
            Command::JobDeregister { .. } => "JobDeregister",
            Command::NodeRegister { .. } => "NodeRegister",
            Command::NodeUpdateStatus { .. } => "NodeUpdateStatus",
            Command::EvalUpsert { .. } => "EvalUpsert",
            Command::ApplyPlanResults(_) => "ApplyPlanResults",
            Command::AllocClientUpdate { .. } => "AllocClientUpdate",
            Command::AllocUpdateDesiredTransition { .. } => "AllocUpdateDesiredTransition",
        }
    }
}
