//! TaskLifecycleConfig: prestart/poststart/poststop tasks and sidecars.

api_struct! {
    /// A task's `lifecycle` block.
    pub struct TaskLifecycleConfig {
        /// `prestart`, `poststart` or `poststop`.
        pub hook: String,
        /// Keep running alongside the main tasks.
        pub sidecar: bool,
    }
}

/// `hook = "prestart"`.
pub const HOOK_PRESTART: &str = "prestart";
/// `hook = "poststart"`.
pub const HOOK_POSTSTART: &str = "poststart";
/// `hook = "poststop"`.
pub const HOOK_POSTSTOP: &str = "poststop";
/// The hooks Nomad accepts.
pub const LIFECYCLE_HOOKS: &[&str] = &[HOOK_PRESTART, HOOK_POSTSTART, HOOK_POSTSTOP];
