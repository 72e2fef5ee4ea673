//! Spread: distribute a group's allocations over the values of a node attribute.

api_struct! {
    /// A `spread` block.
    pub struct Spread {
        /// The node attribute to spread over, e.g. `${node.datacenter}`.
        pub attribute: String,
        /// 0..=100; relative weight against other spreads and affinities.
        pub weight: i32,
        /// Desired percentages per value (HCL `target "<value>" { percent }`); empty
        /// means spread evenly.
        pub spread_target: Vec<SpreadTarget>,
    }
}

api_struct! {
    /// One `target` of a spread.
    pub struct SpreadTarget {
        /// The attribute value (the HCL label).
        pub value: String,
        /// Desired share of allocations, 0..=100.
        pub percent: i32,
    }
}
