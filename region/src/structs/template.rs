//! Template: files (or environment) rendered into a task's directory before start.

api_struct! {
    /// A `template` block.
    pub struct Template {
        /// Template file to render (HCL `source`).
        pub source_path: String,
        /// Where to write the result, relative to the task dir (HCL `destination`).
        pub dest_path: String,
        /// Inline template (HCL `data`).
        pub embedded_tmpl: String,
        /// `restart` (default), `noop`, `signal` or `script`.
        pub change_mode: String,
        /// Signal for `change_mode = "signal"`.
        pub change_signal: String,
        /// Script for `change_mode = "script"`.
        pub change_script: Option<ChangeScript>,
        /// Random wait before acting on a change (default 5s), nanoseconds.
        pub splay: Option<i64>,
        /// Octal file mode (default `0644`).
        pub perms: String,
        /// Owner uid of the rendered file.
        pub uid: Option<i32>,
        /// Owner gid of the rendered file.
        pub gid: Option<i32>,
        /// Left delimiter (default `{{`).
        pub left_delim: String,
        /// Right delimiter (default `}}`).
        pub right_delim: String,
        /// Read the result back as environment variables (HCL `env`).
        pub envvars: bool,
        /// Quiescence wait bounds.
        pub wait: Option<WaitConfig>,
        /// Fail on missing keys (HCL `error_on_missing_key`).
        pub err_missing_key: bool,
        /// Render once and never watch.
        pub once: bool,
    }
    unmodelled pub unmodelled
}

api_struct! {
    /// A `change_script` block.
    pub struct ChangeScript {
        /// Command to run.
        pub command: String,
        /// Its arguments.
        pub args: Vec<String>,
        /// Timeout (default 5s), nanoseconds.
        pub timeout: Option<i64>,
        /// Kill the task when the script fails.
        pub fail_on_error: bool,
    }
}

api_struct! {
    /// A template `wait` block.
    pub struct WaitConfig {
        /// Minimum quiescence, nanoseconds.
        pub min: Option<i64>,
        /// Maximum quiescence, nanoseconds.
        pub max: Option<i64>,
    }
}

/// `change_mode = "noop"`.
pub const CHANGE_MODE_NOOP: &str = "noop";
/// `change_mode = "restart"`.
pub const CHANGE_MODE_RESTART: &str = "restart";
/// `change_mode = "signal"`.
pub const CHANGE_MODE_SIGNAL: &str = "signal";
/// `change_mode = "script"`.
pub const CHANGE_MODE_SCRIPT: &str = "script";
