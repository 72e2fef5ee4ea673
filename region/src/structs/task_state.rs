//! TaskState and TaskEvent: a task's lifecycle on the client as reported back to the
//! servers (state, restarts, and the last events).

use std::collections::BTreeMap;

api_struct! {
    /// One task's state inside an allocation.
    pub struct TaskState {
        /// `pending`, `running` or `dead`.
        pub state: String,
        /// Whether it died failed.
        pub failed: bool,
        /// Restarts so far.
        pub restarts: u64,
        /// Last restart, RFC 3339.
        pub last_restart: Option<String>,
        /// Last start, RFC 3339.
        pub started_at: Option<String>,
        /// When it finished, RFC 3339.
        pub finished_at: Option<String>,
        /// The most recent events (Nomad keeps 10).
        pub events: Vec<TaskEvent>,
    }
}

api_struct! {
    /// Something that happened to a task.
    pub struct TaskEvent {
        /// Event type (`Received`, `Started`, `Terminated`, ...).
        #[serde(rename = "Type")]
        pub event_type: String,
        /// When, Unix nanoseconds.
        pub time: i64,
        /// Human-readable message shown by `alloc status`.
        pub display_message: String,
        /// Structured details.
        pub details: BTreeMap<String, String>,
        /// Free message.
        pub message: String,
        /// The event fails the task.
        pub fails_task: bool,
        /// Why it restarts.
        pub restart_reason: String,
        /// Setup error.
        pub setup_error: String,
        /// Driver error.
        pub driver_error: String,
        /// Exit code.
        pub exit_code: i32,
        /// Signal that ended it.
        pub signal: i32,
        /// Kill timeout used, nanoseconds.
        pub kill_timeout: i64,
        /// Kill error.
        pub kill_error: String,
        /// Why it was killed.
        pub kill_reason: String,
        /// Delay before a restart, nanoseconds.
        pub start_delay: i64,
        /// Artifact download error.
        pub download_error: String,
        /// Validation error.
        pub validation_error: String,
        /// Disk limit exceeded, MB.
        pub disk_limit: i64,
        /// Sibling that failed.
        pub failed_sibling: String,
        /// Vault error.
        pub vault_error: String,
        /// Reason for a signal.
        pub task_signal_reason: String,
        /// Signal sent.
        pub task_signal: String,
        /// Driver message.
        pub driver_message: String,
        /// Source of a generic event.
        pub generic_source: String,
    }
}

/// Task state `pending`.
pub const TASK_STATE_PENDING: &str = "pending";
/// Task state `running`.
pub const TASK_STATE_RUNNING: &str = "running";
/// Task state `dead`.
pub const TASK_STATE_DEAD: &str = "dead";

/// Event `Received`.
pub const TASK_RECEIVED: &str = "Received";
/// Event `Task Setup`.
pub const TASK_SETUP: &str = "Task Setup";
/// Event `Setup Failure`.
pub const TASK_SETUP_FAILURE: &str = "Setup Failure";
/// Event `Driver`.
pub const TASK_DRIVER_MESSAGE: &str = "Driver";
/// Event `Driver Failure`.
pub const TASK_DRIVER_FAILURE: &str = "Driver Failure";
/// Event `Downloading Artifacts`.
pub const TASK_DOWNLOADING_ARTIFACTS: &str = "Downloading Artifacts";
/// Event `Failed Artifact Download`.
pub const TASK_ARTIFACT_DOWNLOAD_FAILED: &str = "Failed Artifact Download";
/// Event `Started`.
pub const TASK_STARTED: &str = "Started";
/// Event `Terminated`.
pub const TASK_TERMINATED: &str = "Terminated";
/// Event `Killing`.
pub const TASK_KILLING: &str = "Killing";
/// Event `Killed`.
pub const TASK_KILLED: &str = "Killed";
/// Event `Restarting`.
pub const TASK_RESTARTING: &str = "Restarting";
/// Event `Not Restarting`.
pub const TASK_NOT_RESTARTING: &str = "Not Restarting";
/// Event `Restart Signaled`.
pub const TASK_RESTART_SIGNAL: &str = "Restart Signaled";
/// Event `Signaling`.
pub const TASK_SIGNALING: &str = "Signaling";
/// Event `Sibling Task Failed`.
pub const TASK_SIBLING_FAILED: &str = "Sibling Task Failed";
/// Event `Leader Task Dead`.
pub const TASK_LEADER_DEAD: &str = "Leader Task Dead";
/// Event `Main Tasks Dead`.
pub const TASK_MAIN_DEAD: &str = "Main Tasks Dead";
/// Event `Disk Resources Exceeded`.
pub const TASK_DISK_EXCEEDED: &str = "Disk Resources Exceeded";
/// Event `Failed Validation`.
pub const TASK_FAILED_VALIDATION: &str = "Failed Validation";
/// Event `Task hook failed`.
pub const TASK_HOOK_FAILED: &str = "Task hook failed";
/// Event `Task hook message`.
pub const TASK_HOOK_MESSAGE: &str = "Task hook message";
/// Event `Waiting for shutdown delay`.
pub const TASK_WAITING_SHUTDOWN_DELAY: &str = "Waiting for shutdown delay";
/// Event `Skipping shutdown delay`.
pub const TASK_SKIPPING_SHUTDOWN_DELAY: &str = "Skipping shutdown delay";
/// Event `Reconnected`.
pub const TASK_CLIENT_RECONNECTED: &str = "Reconnected";

impl TaskState {
    /// True once the task is dead and failed.
    pub fn failed_dead(&self) -> bool {
        self.state == TASK_STATE_DEAD && self.failed
    }
}

impl TaskEvent {
    /// An event of `event_type` at `time` (Unix nanoseconds).
    pub fn new(event_type: &str, time: i64) -> Self {
        Self {
            event_type: event_type.to_string(),
            time,
            ..Default::default()
        }
    }
}
