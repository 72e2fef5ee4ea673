//! PeriodicConfig: launch a batch/sysbatch job on a cron schedule.

api_struct! {
    /// A `periodic` block.
    pub struct PeriodicConfig {
        /// Whether child jobs are launched (default true).
        pub enabled: Option<bool>,
        /// One cron expression (HCL `cron`).
        pub spec: String,
        /// Several cron expressions (HCL `crons`), launched on any of them.
        pub specs: Vec<String>,
        /// Always `cron`.
        pub spec_type: String,
        /// Skip a launch while the previous child is still running.
        pub prohibit_overlap: bool,
        /// IANA time zone the specs are evaluated in (default `UTC`).
        pub time_zone: String,
    }
}

/// The only spec type: cron expressions.
pub const PERIODIC_SPEC_CRON: &str = "cron";

impl PeriodicConfig {
    /// All cron expressions, `Spec` first.
    pub fn all_specs(&self) -> Vec<&str> {
        let mut out = Vec::with_capacity(1 + self.specs.len());
        if !self.spec.is_empty() {
            out.push(self.spec.as_str());
        }
        out.extend(self.specs.iter().map(String::as_str));
        out
    }
}
