//! ParameterizedJobConfig and DispatchPayloadConfig: jobs that are templates for
//! dispatched children, and where a task receives the dispatch payload.

api_struct! {
    /// A `parameterized` block (HCL) / `ParameterizedJob` (JSON).
    pub struct ParameterizedJobConfig {
        /// `optional` (default), `required` or `forbidden`.
        pub payload: String,
        /// Meta keys a dispatch must give.
        pub meta_required: Vec<String>,
        /// Meta keys a dispatch may give.
        pub meta_optional: Vec<String>,
    }
}

api_struct! {
    /// A task's `dispatch_payload` block.
    pub struct DispatchPayloadConfig {
        /// File (relative to the task's `local/`) the payload is written to.
        pub file: String,
    }
}

/// `payload = "optional"`.
pub const PAYLOAD_OPTIONAL: &str = "optional";
/// `payload = "required"`.
pub const PAYLOAD_REQUIRED: &str = "required";
/// `payload = "forbidden"`.
pub const PAYLOAD_FORBIDDEN: &str = "forbidden";
