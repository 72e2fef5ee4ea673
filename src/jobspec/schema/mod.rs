//! The job-specification schema as data: for every block, which attributes and nested blocks it
//! may hold, each with its API JSON name and kind. The decoder walks HCL against these tables;
//! the few shapes a table cannot say (ports, constraint shorthands, identities) are small hooks.

mod group;
mod hooks;
mod job;
mod network;
mod placement;
mod policy;
mod service;
mod task;
mod task_extras;

pub(crate) use job::JOB;

use serde_json::{Map, Value};

/// What an attribute or nested block decodes to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A string (numbers and bools are converted, as HCL does).
    Str,
    /// A whole number (a numeric string is converted).
    Int,
    /// A bool (`"true"`/`"false"` strings are converted).
    Bool,
    /// A Go duration string, stored as integer nanoseconds.
    Duration,
    /// A list of strings.
    StrList,
    /// A map of strings, written as an attribute (`meta = {...}`) or a block (`meta { ... }`).
    StrMap,
    /// A map of string lists (check `header`), as attribute or block.
    StrListMap,
    /// A free-form object (driver `config`, scaling `policy`), as attribute or block; nested
    /// blocks become lists of objects.
    Any,
    /// At most one unlabeled nested block, decoded to an object.
    Block(&'static BlockSpec),
    /// Any number of unlabeled nested blocks, decoded to a list of objects.
    Blocks(&'static BlockSpec),
    /// Any number of blocks with one label each.
    Labeled(&'static BlockSpec, Label),
}

/// Where the label of a labeled block goes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Label {
    /// Into this field of each object; the objects form a list.
    Field(&'static str),
    /// The objects form a map keyed by label, and the label is also stored in this field.
    MapKey(&'static str),
}

/// What a hook decided about the block it looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Keep the (possibly rewritten) object.
    Yes,
    /// Drop the block entirely (e.g. `distinct_hosts = false`).
    No,
}

/// A post-processing step for one block's decoded object; an `Err` explains what is wrong with
/// the block (reported as "Invalid <block> block; <message>" at its position).
pub(crate) type Hook = fn(&mut Map<String, Value>) -> Result<Keep, String>;

/// One block type: its HCL name, its fields and an optional hook.
#[derive(Debug)]
pub(crate) struct BlockSpec {
    /// The HCL block type, for messages.
    pub name: &'static str,
    /// Attributes and nested blocks it may hold.
    pub fields: &'static [Field],
    /// Runs on the decoded object.
    pub hook: Option<Hook>,
}

impl BlockSpec {
    /// The field with this HCL name.
    pub(crate) fn field(&self, hcl: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.hcl == hcl)
    }
}

/// One attribute or nested block.
#[derive(Debug)]
pub(crate) struct Field {
    /// The HCL name.
    pub hcl: &'static str,
    /// The API JSON name.
    pub json: &'static str,
    /// How it decodes.
    pub kind: Kind,
}

impl Kind {
    /// Whether the field is written as `name = value`.
    pub(crate) fn is_attribute(self) -> bool {
        !matches!(self, Kind::Block(_) | Kind::Blocks(_) | Kind::Labeled(..))
    }

    /// Whether the field may (also) be written as a block `name { ... }`.
    pub(crate) fn is_block(self) -> bool {
        matches!(
            self,
            Kind::Block(_)
                | Kind::Blocks(_)
                | Kind::Labeled(..)
                | Kind::StrMap
                | Kind::StrListMap
                | Kind::Any
        )
    }
}

/// Shorthand for table rows.
pub(crate) const fn f(hcl: &'static str, json: &'static str, kind: Kind) -> Field {
    Field { hcl, json, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks every spec reachable from `spec`, checking that no field name repeats in a block.
    fn check(spec: &'static BlockSpec, seen: &mut Vec<&'static BlockSpec>) {
        if seen.iter().any(|s| std::ptr::eq(*s, spec)) {
            return;
        }
        seen.push(spec);
        for (i, field) in spec.fields.iter().enumerate() {
            assert!(
                spec.fields[i + 1..].iter().all(|g| g.hcl != field.hcl),
                "{}.{} listed twice",
                spec.name,
                field.hcl
            );
            if let Kind::Block(s) | Kind::Blocks(s) | Kind::Labeled(s, _) = field.kind {
                check(s, seen);
            }
        }
    }

    #[test]
    fn tables_have_no_duplicate_fields() {
        let mut seen = Vec::new();
        check(&JOB, &mut seen);
        for name in [
            "group",
            "task",
            "service",
            "check",
            "port",
            "constraint",
            "template",
        ] {
            assert!(
                seen.iter().any(|s| s.name == name),
                "{name} not reachable from job"
            );
        }
    }
}
