//! An in-memory `State` and `Planner` for tests, examples and simulations: a map
//! store with the indexes the scheduler reads, and a planner that applies plans
//! to it at once (optionally refusing the next plans, to exercise retries).
//! Also small fixtures: a ready raw_exec node and service/batch jobs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::structs::{
    Allocation, DriverInfo, EVAL_STATUS_PENDING, EVAL_TRIGGER_JOB_REGISTER, Evaluation,
    JOB_TYPE_BATCH, JOB_TYPE_SERVICE, Job, NODE_SCHEDULING_ELIGIBLE, NODE_STATUS_READY, Node,
    NodeCpuResources, NodeDiskResources, NodeMemoryResources, NodeResources, Plan, PlanResult,
    Resources, Task, TaskGroup,
};

use super::{Planner, RefreshedState, Result, State};

/// An in-memory region state.
#[derive(Debug, Clone, Default)]
pub struct MemState {
    /// Jobs by (namespace, id).
    pub jobs: HashMap<(String, String), Arc<Job>>,
    /// Nodes by ID.
    pub nodes: BTreeMap<String, Arc<Node>>,
    /// Allocations by ID.
    pub allocs: HashMap<String, Arc<Allocation>>,
    by_node: HashMap<String, Vec<String>>,
    by_job: HashMap<(String, String), Vec<String>>,
    /// Latest index.
    pub index: u64,
}

impl MemState {
    /// Inserts or replaces a job (bumping the index and the job's modify index).
    pub fn upsert_job(&mut self, mut job: Job) -> Arc<Job> {
        self.index += 1;
        let key = (job.namespace.clone(), job.id.clone());
        if let Some(old) = self.jobs.get(&key) {
            job.version = old.version + 1;
            job.create_index = old.create_index;
        } else {
            job.create_index = self.index;
        }
        job.modify_index = self.index;
        job.job_modify_index = self.index;
        let job = Arc::new(job);
        self.jobs.insert(key, Arc::clone(&job));
        job
    }

    /// Inserts or replaces a node.
    pub fn upsert_node(&mut self, node: Node) {
        self.index += 1;
        self.nodes.insert(node.id.clone(), Arc::new(node));
    }

    /// Inserts or replaces an allocation.
    pub fn upsert_alloc(&mut self, alloc: Allocation) {
        if !self.allocs.contains_key(&alloc.id) {
            self.by_node
                .entry(alloc.node_id.clone())
                .or_default()
                .push(alloc.id.clone());
            self.by_job
                .entry((alloc.namespace.clone(), alloc.job_id.clone()))
                .or_default()
                .push(alloc.id.clone());
        }
        self.allocs.insert(alloc.id.clone(), Arc::new(alloc));
    }

    /// Changes an allocation in place (e.g. client status), if it exists.
    pub fn update_alloc(&mut self, id: &str, f: impl FnOnce(&mut Allocation)) {
        if let Some(a) = self.allocs.get(id) {
            let mut a = (**a).clone();
            f(&mut a);
            self.index += 1;
            self.allocs.insert(id.to_string(), Arc::new(a));
        }
    }

    /// Allocations that are not terminal.
    pub fn live_allocs(&self) -> Vec<Arc<Allocation>> {
        self.allocs
            .values()
            .filter(|a| !a.terminal_status())
            .cloned()
            .collect()
    }

    /// Applies a plan as a plan applier would (without re-checking fit).
    pub fn apply_plan(&mut self, plan: &Plan) -> PlanResult {
        self.index += 1;
        for stopped in plan.node_update.values().flatten() {
            let (desired, desc, client) = (
                stopped.desired_status.clone(),
                stopped.desired_description.clone(),
                stopped.client_status.clone(),
            );
            self.update_alloc(&stopped.id, |a| {
                a.desired_status = desired;
                a.desired_description = desc;
                a.client_status = client;
            });
        }
        for placed in plan.node_allocation.values().flatten() {
            let mut a = placed.clone();
            if let Some(old) = self.allocs.get(&a.id) {
                // Updates keep what the client reported.
                a.client_status = old.client_status.clone();
                a.task_states = old.task_states.clone();
            }
            if a.job.is_none() {
                a.job = plan.job.clone();
            }
            if !a.previous_allocation.is_empty() {
                let next = a.id.clone();
                self.update_alloc(&a.previous_allocation.clone(), |p| p.next_allocation = next);
            }
            a.create_index = self.index;
            a.modify_index = self.index;
            self.upsert_alloc(a);
        }
        PlanResult {
            alloc_index: self.index,
            ..Default::default()
        }
    }
}

impl State for MemState {
    fn job_by_id(&self, namespace: &str, id: &str) -> Option<Arc<Job>> {
        self.jobs
            .get(&(namespace.to_string(), id.to_string()))
            .cloned()
    }
    fn nodes(&self) -> Vec<Arc<Node>> {
        self.nodes.values().cloned().collect()
    }
    fn node_by_id(&self, node_id: &str) -> Option<Arc<Node>> {
        self.nodes.get(node_id).cloned()
    }
    fn allocs_by_job(&self, namespace: &str, job_id: &str) -> Vec<Arc<Allocation>> {
        self.by_job
            .get(&(namespace.to_string(), job_id.to_string()))
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.allocs.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
    fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>> {
        self.by_node
            .get(node_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.allocs.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
    fn latest_index(&self) -> u64 {
        self.index
    }
    fn alloc_by_id(&self, id: &str) -> Option<Arc<Allocation>> {
        self.allocs.get(id).cloned()
    }
}

/// A planner that applies plans to its own [`MemState`] and records everything.
#[derive(Debug, Default)]
pub struct Harness {
    /// The state plans are applied to.
    pub state: MemState,
    /// Plans submitted, in order.
    pub plans: Vec<Plan>,
    /// Evaluation updates, in order.
    pub updated_evals: Vec<Evaluation>,
    /// Evaluations created, in order.
    pub created_evals: Vec<Evaluation>,
    /// Evaluations re-blocked, in order.
    pub reblocked_evals: Vec<Evaluation>,
    /// Refuse this many of the next plans (a stale-state rejection).
    pub reject_next: usize,
}

impl Harness {
    /// A consistent copy of the current state to schedule against.
    pub fn snapshot(&self) -> MemState {
        self.state.clone()
    }

    /// The last evaluation update.
    pub fn last_eval(&self) -> Option<&Evaluation> {
        self.updated_evals.last()
    }
}

impl Planner for Harness {
    fn submit_plan(&mut self, plan: Plan) -> Result<(PlanResult, Option<RefreshedState>)> {
        if self.reject_next > 0 {
            self.reject_next -= 1;
            self.state.index += 1;
            let result = PlanResult {
                rejected_nodes: plan.node_allocation.keys().cloned().collect(),
                refresh_index: self.state.index,
                ..Default::default()
            };
            self.plans.push(plan);
            return Ok((result, Some(Box::new(self.state.clone()))));
        }
        let result = self.state.apply_plan(&plan);
        self.plans.push(plan);
        Ok((result, None))
    }
    fn update_eval(&mut self, eval: Evaluation) {
        self.updated_evals.push(eval);
    }
    fn create_eval(&mut self, eval: Evaluation) {
        self.created_evals.push(eval);
    }
    fn reblock_eval(&mut self, eval: Evaluation) {
        self.reblocked_evals.push(eval);
    }
}

/// A ready node in `dc1` with raw_exec, 4000 MHz, 8192 MB and 100 GB of disk.
pub fn mock_node(id: &str) -> Node {
    let mut node = Node {
        id: id.to_string(),
        name: format!("node-{id}"),
        datacenter: "dc1".into(),
        node_pool: "default".into(),
        status: NODE_STATUS_READY.into(),
        scheduling_eligibility: NODE_SCHEDULING_ELIGIBLE.into(),
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: 4000,
                total_cpu_cores: 4,
                ..Default::default()
            },
            memory: NodeMemoryResources { memory_mb: 8192 },
            disk: NodeDiskResources {
                disk_mb: 100 * 1024,
            },
            min_dynamic_port: 20000,
            max_dynamic_port: 32000,
            ..Default::default()
        }),
        ..Default::default()
    };
    node.attributes.insert("kernel.name".into(), "linux".into());
    node.attributes.insert("driver.raw_exec".into(), "1".into());
    node.attributes
        .insert("unique.network.ip-address".into(), "127.0.0.1".into());
    node.drivers.insert(
        "raw_exec".into(),
        DriverInfo {
            detected: true,
            healthy: true,
            ..Default::default()
        },
    );
    node
}

/// A service job `id` with one group `web` of `count` raw_exec tasks (500 MHz, 256 MB).
pub fn mock_job(id: &str, count: i32) -> Job {
    let mut task = Task {
        name: "web".into(),
        driver: "raw_exec".into(),
        resources: Some(Resources {
            cpu: Some(500),
            memory_mb: Some(256),
            ..Default::default()
        }),
        ..Default::default()
    };
    task.config
        .insert("command".into(), serde_json::json!("/bin/sleep"));
    Job {
        id: id.to_string(),
        name: id.to_string(),
        namespace: "default".into(),
        region: "global".into(),
        job_type: JOB_TYPE_SERVICE.into(),
        priority: Some(50),
        datacenters: vec!["dc1".into()],
        node_pool: "default".into(),
        task_groups: vec![TaskGroup {
            name: "web".into(),
            count: Some(count),
            tasks: vec![task],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Like [`mock_job`] but a batch job.
pub fn mock_batch_job(id: &str, count: i32) -> Job {
    Job {
        job_type: JOB_TYPE_BATCH.into(),
        ..mock_job(id, count)
    }
}

/// A pending `job-register` evaluation for `job`.
pub fn register_eval(id: &str, job: &Job) -> Evaluation {
    Evaluation {
        id: id.to_string(),
        namespace: job.namespace.clone(),
        priority: job.effective_priority(),
        eval_type: job.job_type.clone(),
        triggered_by: EVAL_TRIGGER_JOB_REGISTER.into(),
        job_id: job.id.clone(),
        job_modify_index: job.job_modify_index,
        status: EVAL_STATUS_PENDING.into(),
        ..Default::default()
    }
}
