//! ScalingPolicy: a group's `scaling` block, the bounds and opaque policy an autoscaler
//! (nomad-autoscaler) works within. The scheduler never reads `Policy`.

use std::collections::BTreeMap;

api_struct! {
    /// A group `scaling` block.
    pub struct ScalingPolicy {
        #[serde(rename = "ID")]
        pub id: String,
        pub namespace: String,
        /// What the policy scales (`Namespace`, `Job`, `Group`), filled in by the server.
        pub target: BTreeMap<String, String>,
        /// `horizontal` for a group's count.
        #[serde(rename = "Type")]
        pub policy_type: String,
        /// Free-form configuration for the autoscaler.
        pub policy: BTreeMap<String, serde_json::Value>,
        /// Lowest count the autoscaler may set (default: the group's count).
        pub min: Option<i64>,
        /// Highest count the autoscaler may set (required).
        pub max: Option<i64>,
        /// Whether the autoscaler acts on it (default true).
        pub enabled: Option<bool>,
        pub create_index: u64,
        pub modify_index: u64,
    }
}
