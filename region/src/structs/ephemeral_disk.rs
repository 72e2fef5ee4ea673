//! EphemeralDisk: the group's scratch disk (`alloc/`, `local/`) and whether it follows
//! the allocation to a replacement.

api_struct! {
    /// An `ephemeral_disk` block.
    pub struct EphemeralDisk {
        /// Prefer placing replacements on the same node, keeping the data.
        pub sticky: bool,
        /// Copy the data to a replacement on another node.
        pub migrate: bool,
        /// Size in MB (default 300; HCL `size`).
        #[serde(rename = "SizeMB")]
        pub size_mb: Option<i32>,
    }
}
