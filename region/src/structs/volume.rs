//! VolumeRequest and VolumeMount: host/CSI volumes a group claims and where tasks
//! mount them.

api_struct! {
    /// A group `volume "<name>"` block.
    pub struct VolumeRequest {
        /// The HCL label.
        pub name: String,
        /// `host` or `csi`.
        #[serde(rename = "Type")]
        pub volume_type: String,
        /// Host volume name or CSI volume ID.
        pub source: String,
        /// Mount read-only.
        pub read_only: bool,
        /// Keep the same volume for replacements.
        pub sticky: bool,
        /// CSI access mode.
        pub access_mode: String,
        /// CSI attachment mode.
        pub attachment_mode: String,
        /// CSI mount options.
        pub mount_options: Option<CsiMountOptions>,
        /// Append `[N]` (alloc index) to the source.
        pub per_alloc: bool,
    }
}

api_struct! {
    /// CSI `mount_options`.
    pub struct CsiMountOptions {
        /// File system type.
        #[serde(rename = "FSType")]
        pub fs_type: String,
        /// Mount flags.
        pub mount_flags: Vec<String>,
    }
}

api_struct! {
    /// A task `volume_mount` block.
    pub struct VolumeMount {
        /// Name of the group volume.
        pub volume: String,
        /// Path inside the task.
        pub destination: String,
        /// Mount read-only.
        pub read_only: bool,
        /// `private`, `host-to-task` or `bidirectional`.
        pub propagation_mode: String,
        /// SELinux label.
        #[serde(rename = "SELinuxLabel")]
        pub selinux_label: String,
    }
}

/// Volume type `host`.
pub const VOLUME_TYPE_HOST: &str = "host";
/// Volume type `csi`.
pub const VOLUME_TYPE_CSI: &str = "csi";
