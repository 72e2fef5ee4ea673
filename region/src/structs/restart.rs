//! RestartPolicy: how the client restarts a failed task in place.

api_struct! {
    /// A `restart` block (group level, optionally overridden per task).
    pub struct RestartPolicy {
        /// Window in which `Attempts` restarts are allowed, nanoseconds.
        pub interval: Option<i64>,
        /// Restarts allowed per interval.
        pub attempts: Option<i32>,
        /// Wait before a restart (default 15s), nanoseconds.
        pub delay: Option<i64>,
        /// `fail` (default) or `delay`, once attempts are used up.
        pub mode: Option<String>,
        /// Re-render templates on restart (default false).
        pub render_templates: Option<bool>,
    }
}

/// `mode = "fail"`: give up, the allocation fails (and may be rescheduled).
pub const RESTART_MODE_FAIL: &str = "fail";
/// `mode = "delay"`: wait for the next interval, then restart again.
pub const RESTART_MODE_DELAY: &str = "delay";

impl RestartPolicy {
    /// Overlays the fields set in `other` onto `self` (`other` wins).
    pub fn merge(&mut self, other: &RestartPolicy) {
        if other.interval.is_some() {
            self.interval = other.interval;
        }
        if other.attempts.is_some() {
            self.attempts = other.attempts;
        }
        if other.delay.is_some() {
            self.delay = other.delay;
        }
        if other.mode.is_some() {
            self.mode = other.mode.clone();
        }
        if other.render_templates.is_some() {
            self.render_templates = other.render_templates;
        }
    }
}
