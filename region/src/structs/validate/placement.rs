//! Constraint, affinity and spread rules (operators, targets, weights, percentages).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{Checker, Path};
use crate::structs::{
    AFFINITY_OPERATORS, Affinity, CONSTRAINT_OPERATORS, Constraint, OP_DISTINCT_HOSTS,
    OP_DISTINCT_PROPERTY, OP_IS_NOT_SET, OP_IS_SET, OP_REGEX, OP_SEMVER, OP_VERSION, Spread,
};

/// One go-version constraint term: optional operator, then a version.
static VERSION_TERM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*v?[0-9]+(\.[0-9]+)*([-+][0-9A-Za-z.+-]*)?\s*$").ok()
});

/// Checks `constraints` at `parent` (paths `constraint/<i>/...`). Distinct-host/
/// property constraints are not allowed on tasks and devices (`leaf`).
pub(super) fn check_constraints(
    constraints: &[Constraint],
    parent: &Path,
    leaf: bool,
    c: &mut Checker,
) {
    for (i, con) in constraints.iter().enumerate() {
        let p = parent.index("constraint", i);
        check_constraint(con, &p, c);
        if leaf && (con.operand == OP_DISTINCT_HOSTS || con.operand == OP_DISTINCT_PROPERTY) {
            c.at(
                &p,
                "operator",
                format!(
                    "Constraint operator {:?} is not allowed at the task level",
                    con.operand
                ),
            );
        }
    }
}

fn check_constraint(con: &Constraint, p: &Path, c: &mut Checker) {
    let op = con.operand.as_str();
    if op.is_empty() {
        c.at(p, "operator", "Missing constraint operand");
        return;
    }
    if !CONSTRAINT_OPERATORS.contains(&op) {
        c.at(p, "operator", format!("Unknown constraint type {op:?}"));
        return;
    }
    match op {
        OP_DISTINCT_HOSTS => {}
        OP_DISTINCT_PROPERTY => {
            if con.l_target.is_empty() {
                c.at(
                    p,
                    "attribute",
                    "Distinct property constraint requires an attribute",
                );
            }
            let count = con.r_target.trim();
            if !count.is_empty()
                && !count.contains("${")
                && count.parse::<u64>().map_or(true, |n| n == 0)
            {
                c.at(
                    p,
                    "value",
                    format!(
                        "Distinct property allowed count must be a positive integer, got {count:?}"
                    ),
                );
            }
        }
        OP_IS_SET | OP_IS_NOT_SET => {
            if con.l_target.is_empty() {
                c.at(
                    p,
                    "attribute",
                    format!("Operator {op:?} requires an attribute"),
                );
            }
        }
        _ => check_targets(op, &con.l_target, &con.r_target, p, c),
    }
}

/// Rules shared by constraints and affinities with a comparing operator.
fn check_targets(op: &str, l: &str, r: &str, p: &Path, c: &mut Checker) {
    if l.is_empty() {
        c.at(
            p,
            "attribute",
            format!("Operator {op:?} requires an attribute"),
        );
    }
    if r.is_empty() {
        c.at(p, "value", format!("Operator {op:?} requires a value"));
        return;
    }
    if r.contains("${") {
        return; // Interpolated at scheduling time; nothing to check yet.
    }
    match op {
        OP_REGEX => {
            if let Err(e) = Regex::new(r) {
                c.at(
                    p,
                    "value",
                    format!("Regular expression failed to compile: {e}"),
                );
            }
        }
        OP_VERSION | OP_SEMVER => {
            let ok = VERSION_TERM
                .as_ref()
                .is_some_and(|re| r.split(',').all(|t| re.is_match(t)));
            if !ok {
                c.at(
                    p,
                    "value",
                    format!("Version constraint is invalid: Malformed constraint: {r}"),
                );
            }
        }
        // Set and comparison operators take any value.
        _ => {}
    }
}

/// Checks `affinities` at `parent` (paths `affinity/<i>/...`).
pub(super) fn check_affinities(affinities: &[Affinity], parent: &Path, c: &mut Checker) {
    for (i, a) in affinities.iter().enumerate() {
        let p = parent.index("affinity", i);
        let op = a.operand.as_str();
        if op.is_empty() {
            c.at(&p, "operator", "Missing affinity operand");
        } else if !AFFINITY_OPERATORS.contains(&op) {
            c.at(&p, "operator", format!("Unknown affinity operator {op:?}"));
        } else {
            check_targets(op, &a.l_target, &a.r_target, &p, c);
        }
        if a.weight == 0 {
            c.at(&p, "weight", "Affinity weight cannot be zero");
        } else if !(-100..=100).contains(&a.weight) {
            c.at(
                &p,
                "weight",
                "Affinity weight must be within the range [-100,100]",
            );
        }
    }
}

/// Checks `spreads` at `parent` (paths `spread/<i>/...`).
pub(super) fn check_spreads(spreads: &[Spread], parent: &Path, c: &mut Checker) {
    for (i, s) in spreads.iter().enumerate() {
        let p = parent.index("spread", i);
        if s.attribute.is_empty() {
            c.at(&p, "attribute", "Missing spread attribute");
        }
        if !(0..=100).contains(&s.weight) {
            c.at(
                &p,
                "weight",
                "Spread block must have a positive weight from 0 to 100",
            );
        }
        let mut seen = BTreeSet::new();
        let mut sum: i64 = 0;
        for t in &s.spread_target {
            let tp = p.join(["target", &t.value]);
            if !seen.insert(t.value.as_str()) {
                c.add(
                    &tp,
                    format!("Spread target value {:?} already defined", t.value),
                );
            }
            if !(0..=100).contains(&t.percent) {
                c.at(
                    &tp,
                    "percent",
                    format!(
                        "Spread target percentage for value {:?} must be between 0 and 100",
                        t.value
                    ),
                );
            }
            sum += i64::from(t.percent);
        }
        if sum > 100 {
            c.add(
                &p,
                format!(
                    "Sum of spread target percentages must not be greater than 100%; got {sum}%"
                ),
            );
        }
    }
}
