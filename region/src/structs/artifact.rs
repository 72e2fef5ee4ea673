//! TaskArtifact: files fetched (go-getter style) into the task directory before start.

use std::collections::BTreeMap;

api_struct! {
    /// An `artifact` block.
    pub struct TaskArtifact {
        /// URL to fetch (HCL `source`).
        pub getter_source: String,
        /// go-getter options, e.g. `checksum` (HCL `options`).
        pub getter_options: BTreeMap<String, String>,
        /// HTTP headers (HCL `headers`).
        pub getter_headers: BTreeMap<String, String>,
        /// `any` (default), `file` or `dir` (HCL `mode`).
        pub getter_mode: String,
        /// Allow insecure transports (HCL `insecure`).
        pub getter_insecure: bool,
        /// Destination relative to the task dir (default `local/`; HCL `destination`).
        pub relative_dest: String,
        /// Chown the result to the task user.
        pub chown: bool,
    }
}

/// `mode = "any"`.
pub const GETTER_MODE_ANY: &str = "any";
/// `mode = "file"`.
pub const GETTER_MODE_FILE: &str = "file";
/// `mode = "dir"`.
pub const GETTER_MODE_DIR: &str = "dir";
