//! `AllocRunner`: runs one allocation on this node. It builds the allocation
//! directory, starts a `TaskRunner` per task, folds their states into the
//! allocation's client status, reports every change upwards, and stops the tasks
//! when the servers stop the allocation, a sibling fails, the leader dies or the
//! client shuts down.
//!
//! Channels: `commands` is fed by the client's alloc watcher (and `ClientHandle`);
//! `updates_out` is drained by the client's updater, which batches them to the servers.

pub mod status;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use nomad_region::structs::{
    ALLOC_CLIENT_STATUS_COMPLETE, ALLOC_CLIENT_STATUS_FAILED, Allocation, Node, TaskState,
};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::alloc_dir::AllocDir;
use super::drivers::Driver;
use super::task_runner::{
    HandleSlots, KillReason, TaskCommand, TaskRunner, TaskRunnerConfig, TaskUpdate,
};

/// What the client can tell a running allocation.
#[derive(Debug, Clone)]
pub enum AllocCommand {
    /// The servers changed the allocation (e.g. desired status `stop`).
    Update(Arc<Allocation>),
    /// Signal one task, or every task when `task` is `None`.
    Signal {
        /// Task name.
        task: Option<String>,
        /// Signal name.
        signal: String,
    },
    /// Restart one running task, or every one when `task` is `None` (`alloc restart`).
    Restart {
        /// Task name.
        task: Option<String>,
    },
    /// Stop every task (client shutdown under `-dev`, or the servers forgot the allocation).
    Shutdown,
    /// Leave every task running and stop watching them (client shutdown outside `-dev`, as Nomad's
    /// clients do): the next run of the client re-attaches to them.
    Detach,
}

/// Drivers of this node by name.
pub type DriverMap = BTreeMap<String, Arc<dyn Driver>>;

/// Everything an alloc runner needs.
pub struct AllocRunnerConfig {
    /// The allocation as received.
    pub alloc: Arc<Allocation>,
    /// This node.
    pub node: Arc<Node>,
    /// This node's healthy drivers.
    pub drivers: Arc<DriverMap>,
    /// `<data_dir>/alloc`.
    pub alloc_root: PathBuf,
    /// MHz of one core.
    pub mhz_per_core: f64,
    /// Client-side updates go here (to the updater).
    pub updates_out: mpsc::UnboundedSender<Allocation>,
    /// Running task handles, shared with the ClientHandle for stats.
    pub slots: HandleSlots,
}

/// The client-side fields of an allocation, as sent to the servers.
pub fn client_update(
    alloc: &Allocation,
    states: &BTreeMap<String, TaskState>,
    status: &str,
    desc: &str,
) -> Allocation {
    Allocation {
        id: alloc.id.clone(),
        namespace: alloc.namespace.clone(),
        eval_id: alloc.eval_id.clone(),
        name: alloc.name.clone(),
        node_id: alloc.node_id.clone(),
        job_id: alloc.job_id.clone(),
        task_group: alloc.task_group.clone(),
        client_status: status.to_string(),
        client_description: desc.to_string(),
        task_states: states.clone(),
        ..Default::default()
    }
}

/// Runs the allocation until all its tasks are dead.
pub async fn run(cfg: AllocRunnerConfig, mut commands: mpsc::UnboundedReceiver<AllocCommand>) {
    let alloc = cfg.alloc.clone();
    let report = |states: &BTreeMap<String, TaskState>, status: &str, desc: &str| {
        let _ = cfg
            .updates_out
            .send(client_update(&alloc, states, status, desc));
    };
    if alloc.server_terminal_status() {
        // Stopped before it ever ran here: nothing to start.
        report(
            &BTreeMap::new(),
            ALLOC_CLIENT_STATUS_COMPLETE,
            "Allocation was stopped before it started",
        );
        return;
    }
    let job = alloc.job.as_deref();
    let Some(group) = job.and_then(|j| j.lookup_task_group(&alloc.task_group)) else {
        report(
            &BTreeMap::new(),
            ALLOC_CLIENT_STATUS_FAILED,
            "Allocation has no task group to run",
        );
        return;
    };
    let alloc_dir = AllocDir::new(&cfg.alloc_root, &alloc.id);
    if let Err(e) = alloc_dir.build() {
        tracing::error!(alloc_id = %alloc.id, error = %e, "failed to build allocation directory");
        report(
            &BTreeMap::new(),
            ALLOC_CLIENT_STATUS_FAILED,
            "Failed to build allocation directory",
        );
        return;
    }
    let job_type = job.map(|j| j.job_type.clone()).unwrap_or_default();

    let (task_tx, mut task_rx) = mpsc::unbounded_channel::<TaskUpdate>();
    let mut runners = JoinSet::new();
    let mut task_cmds: BTreeMap<String, mpsc::UnboundedSender<TaskCommand>> = BTreeMap::new();
    let mut states: BTreeMap<String, TaskState> = BTreeMap::new();
    let mut leaders = Vec::new();
    for task in &group.tasks {
        let mut policy = group.restart_policy.clone();
        if let Some(tp) = &task.restart_policy {
            policy.get_or_insert_with(Default::default).merge(tp);
        }
        if task.leader {
            leaders.push(task.name.clone());
        }
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        task_cmds.insert(task.name.clone(), cmd_tx);
        states.insert(
            task.name.clone(),
            TaskState {
                state: "pending".into(),
                ..Default::default()
            },
        );
        let runner = TaskRunner::new(
            TaskRunnerConfig {
                alloc: alloc.clone(),
                task: task.clone(),
                job_type: job_type.clone(),
                restart_policy: policy,
                node: cfg.node.clone(),
                alloc_dir: alloc_dir.clone(),
                driver: cfg.drivers.get(&task.driver).cloned(),
                mhz_per_core: cfg.mhz_per_core,
                slots: cfg.slots.clone(),
            },
            task_tx.clone(),
            cmd_rx,
        );
        runners.spawn(runner.run());
    }
    drop(task_tx);

    let kill_all = |reason: KillReason, except: Option<&str>| {
        for (name, tx) in &task_cmds {
            if Some(name.as_str()) != except {
                // A finished task has dropped its receiver: nothing to kill.
                let _ = tx.send(TaskCommand::Kill(reason.clone()));
            }
        }
    };
    let mut stopping = false;
    let mut commands_open = true;
    while !runners.is_empty() {
        tokio::select! {
            Some(update) = task_rx.recv() => {
                let dead = update.state.state == "dead";
                let failed = update.state.failed;
                states.insert(update.task.clone(), update.state);
                let st = status::client_status(&states);
                report(&states, st.0, st.1);
                if dead && !stopping {
                    if failed {
                        stopping = true;
                        kill_all(KillReason::SiblingFailed(update.task.clone()), Some(&update.task));
                    } else if leaders.contains(&update.task) {
                        stopping = true;
                        kill_all(KillReason::LeaderDead, Some(&update.task));
                    }
                }
            }
            cmd = commands.recv(), if commands_open => match cmd {
                Some(AllocCommand::Update(a)) => {
                    if a.server_terminal_status() && !stopping {
                        stopping = true;
                        kill_all(KillReason::AllocStopped, None);
                    }
                }
                Some(AllocCommand::Signal { task, signal }) => {
                    for (name, tx) in &task_cmds {
                        if task.as_deref().is_none_or(|t| t == name) {
                            let _ = tx.send(TaskCommand::Signal(signal.clone()));
                        }
                    }
                }
                Some(AllocCommand::Restart { task }) => {
                    for (name, tx) in &task_cmds {
                        if task.as_deref().is_none_or(|t| t == name) {
                            let _ = tx.send(TaskCommand::Restart);
                        }
                    }
                }
                Some(AllocCommand::Detach) => {
                    // Dropping the runners drops their task handles, which never kill the tasks.
                    runners.abort_all();
                    while runners.join_next().await.is_some() {}
                    return;
                }
                Some(AllocCommand::Shutdown) | None => {
                    commands_open = false;
                    stopping = true;
                    kill_all(KillReason::Shutdown, None);
                }
            },
            Some(_) = runners.join_next() => {}
        }
    }
    // Updates sent just before the last runner ended.
    while let Ok(update) = task_rx.try_recv() {
        states.insert(update.task.clone(), update.state);
    }
    // Always send the final word: events may have changed even if the status did not.
    let st = status::client_status(&states);
    report(&states, st.0, st.1);
}
