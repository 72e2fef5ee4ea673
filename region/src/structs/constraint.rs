//! Constraint and Affinity: placement filters (hard) and preferences (soft) on node
//! attributes, with the operator names Nomad accepts.

api_struct! {
    /// A hard placement rule (`constraint` block). `LTarget`/`RTarget` are usually
    /// interpolations such as `${attr.kernel.name}`, resolved by the scheduler.
    pub struct Constraint {
        /// Left-hand side (HCL `attribute`).
        #[serde(rename = "LTarget")]
        pub l_target: String,
        /// Right-hand side (HCL `value`).
        #[serde(rename = "RTarget")]
        pub r_target: String,
        /// The operator (HCL `operator`); empty means `=`.
        pub operand: String,
    }
}

api_struct! {
    /// A soft placement preference (`affinity` block), scored by `Weight`.
    pub struct Affinity {
        /// Left-hand side (HCL `attribute`).
        #[serde(rename = "LTarget")]
        pub l_target: String,
        /// Right-hand side (HCL `value`).
        #[serde(rename = "RTarget")]
        pub r_target: String,
        /// The operator (HCL `operator`); empty means `=`.
        pub operand: String,
        /// -100..=100, not 0 (Nomad default 50).
        pub weight: i32,
    }
}

/// `=`
pub const OP_EQUAL: &str = "=";
/// `==`, accepted as `=`.
pub const OP_DOUBLE_EQUAL: &str = "==";
/// `is`, accepted as `=`.
pub const OP_IS: &str = "is";
/// `!=`
pub const OP_NOT_EQUAL: &str = "!=";
/// `not`, accepted as `!=`.
pub const OP_NOT: &str = "not";
/// `>`
pub const OP_GREATER: &str = ">";
/// `>=`
pub const OP_GREATER_EQUAL: &str = ">=";
/// `<`
pub const OP_LESS: &str = "<";
/// `<=`
pub const OP_LESS_EQUAL: &str = "<=";
/// `regexp`: RTarget is a regular expression.
pub const OP_REGEX: &str = "regexp";
/// `version`: RTarget is a go-version constraint such as `>= 1.2, < 2`.
pub const OP_VERSION: &str = "version";
/// `semver`: like `version`, strict semantic versions.
pub const OP_SEMVER: &str = "semver";
/// `set_contains`: every comma-separated RTarget item is in LTarget.
pub const OP_SET_CONTAINS: &str = "set_contains";
/// `set_contains_all`: same as `set_contains`.
pub const OP_SET_CONTAINS_ALL: &str = "set_contains_all";
/// `set_contains_any`: at least one RTarget item is in LTarget.
pub const OP_SET_CONTAINS_ANY: &str = "set_contains_any";
/// `is_set`: the attribute exists.
pub const OP_IS_SET: &str = "is_set";
/// `is_not_set`: the attribute does not exist.
pub const OP_IS_NOT_SET: &str = "is_not_set";
/// `distinct_hosts`: at most one allocation of the job/group per node.
pub const OP_DISTINCT_HOSTS: &str = "distinct_hosts";
/// `distinct_property`: at most RTarget (default 1) allocations per LTarget value.
pub const OP_DISTINCT_PROPERTY: &str = "distinct_property";

/// Operators that compare LTarget with RTarget (both required).
pub const COMPARISON_OPERATORS: &[&str] = &[
    OP_EQUAL,
    OP_DOUBLE_EQUAL,
    OP_IS,
    OP_NOT_EQUAL,
    OP_NOT,
    OP_GREATER,
    OP_GREATER_EQUAL,
    OP_LESS,
    OP_LESS_EQUAL,
];

/// Every operator a `constraint` block accepts.
pub const CONSTRAINT_OPERATORS: &[&str] = &[
    OP_EQUAL,
    OP_DOUBLE_EQUAL,
    OP_IS,
    OP_NOT_EQUAL,
    OP_NOT,
    OP_GREATER,
    OP_GREATER_EQUAL,
    OP_LESS,
    OP_LESS_EQUAL,
    OP_REGEX,
    OP_VERSION,
    OP_SEMVER,
    OP_SET_CONTAINS,
    OP_SET_CONTAINS_ALL,
    OP_SET_CONTAINS_ANY,
    OP_IS_SET,
    OP_IS_NOT_SET,
    OP_DISTINCT_HOSTS,
    OP_DISTINCT_PROPERTY,
];

/// Every operator an `affinity` block accepts.
pub const AFFINITY_OPERATORS: &[&str] = &[
    OP_EQUAL,
    OP_DOUBLE_EQUAL,
    OP_IS,
    OP_NOT_EQUAL,
    OP_NOT,
    OP_GREATER,
    OP_GREATER_EQUAL,
    OP_LESS,
    OP_LESS_EQUAL,
    OP_REGEX,
    OP_VERSION,
    OP_SEMVER,
    OP_SET_CONTAINS,
    OP_SET_CONTAINS_ALL,
    OP_SET_CONTAINS_ANY,
];

impl Constraint {
    /// A constraint `l_target <operand> r_target`.
    pub fn new(l_target: &str, operand: &str, r_target: &str) -> Self {
        Self {
            l_target: l_target.to_string(),
            r_target: r_target.to_string(),
            operand: operand.to_string(),
        }
    }
}

impl std::fmt::Display for Constraint {
    /// The form Nomad prints in placement failures: `${attr.kernel.name} = linux`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.l_target, self.operand, self.r_target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_are_nomads() {
        let c = Constraint::new("${attr.kernel.name}", "=", "linux");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"LTarget": "${attr.kernel.name}", "RTarget": "linux", "Operand": "="})
        );
        assert_eq!(c.to_string(), "${attr.kernel.name} = linux");
    }

    #[test]
    fn null_and_missing_fields_default() {
        let a: Affinity =
            serde_json::from_str(r#"{"LTarget": null, "Operand": "=", "Weight": null}"#).unwrap();
        assert_eq!(
            a,
            Affinity {
                operand: "=".into(),
                ..Default::default()
            }
        );
    }
}
