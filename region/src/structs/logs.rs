//! LogConfig: rotation of a task's stdout/stderr files.

api_struct! {
    /// A `logs` block.
    pub struct LogConfig {
        /// Rotated files kept per stream (default 10).
        pub max_files: Option<i32>,
        /// Size of each file in MB (default 10; HCL `max_file_size`).
        #[serde(rename = "MaxFileSizeMB")]
        pub max_file_size_mb: Option<i32>,
        /// Do not collect logs.
        pub disabled: bool,
    }
    unmodelled pub unmodelled
}
