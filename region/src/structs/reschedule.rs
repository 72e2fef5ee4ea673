//! ReschedulePolicy: how the scheduler replaces a failed allocation on another node.

api_struct! {
    /// A `reschedule` block (job level, merged into each group's).
    pub struct ReschedulePolicy {
        /// Reschedules allowed per interval.
        pub attempts: Option<i32>,
        /// Sliding window for `Attempts`, nanoseconds.
        pub interval: Option<i64>,
        /// First delay before rescheduling (at least 5s), nanoseconds.
        pub delay: Option<i64>,
        /// `constant`, `exponential` or `fibonacci`.
        pub delay_function: Option<String>,
        /// Upper bound for growing delays, nanoseconds.
        pub max_delay: Option<i64>,
        /// Reschedule without limit (ignores attempts/interval).
        pub unlimited: Option<bool>,
    }
}

/// `delay_function = "constant"`.
pub const DELAY_CONSTANT: &str = "constant";
/// `delay_function = "exponential"`.
pub const DELAY_EXPONENTIAL: &str = "exponential";
/// `delay_function = "fibonacci"`.
pub const DELAY_FIBONACCI: &str = "fibonacci";
/// The delay functions Nomad accepts.
pub const DELAY_FUNCTIONS: &[&str] = &[DELAY_CONSTANT, DELAY_EXPONENTIAL, DELAY_FIBONACCI];

impl ReschedulePolicy {
    /// Overlays the fields set in `other` onto `self` (`other` wins).
    pub fn merge(&mut self, other: &ReschedulePolicy) {
        if other.attempts.is_some() {
            self.attempts = other.attempts;
        }
        if other.interval.is_some() {
            self.interval = other.interval;
        }
        if other.delay.is_some() {
            self.delay = other.delay;
        }
        if other.delay_function.is_some() {
            self.delay_function = other.delay_function.clone();
        }
        if other.max_delay.is_some() {
            self.max_delay = other.max_delay;
        }
        if other.unlimited.is_some() {
            self.unlimited = other.unlimited;
        }
    }

    /// True when rescheduling can happen at all (`unlimited`, or `attempts > 0`).
    pub fn enabled(&self) -> bool {
        self.unlimited.unwrap_or(false) || self.attempts.unwrap_or(0) > 0
    }
}
