//! The job diff of `nomad job plan`: old vs new job, as Nomad's plan API returns
//! it (`Type` Added/Deleted/Edited/None, `Fields`, `Objects`, `TaskGroups`,
//! `Tasks`). Computed generically over the jobs' API JSON, so every field is
//! covered with its API name; bookkeeping fields (status, indexes) are skipped.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::structs::Job;

/// `Type` of a diff node.
pub const DIFF_ADDED: &str = "Added";
/// Removed.
pub const DIFF_DELETED: &str = "Deleted";
/// Changed.
pub const DIFF_EDITED: &str = "Edited";
/// Unchanged (shown for context).
pub const DIFF_NONE: &str = "None";

/// Job-level keys that are not part of the specification.
const JOB_SKIP: &[&str] = &[
    "Status",
    "StatusDescription",
    "Stable",
    "Version",
    "SubmitTime",
    "CreateIndex",
    "ModifyIndex",
    "JobModifyIndex",
    "TaskGroups",
];

/// Diff of a whole job.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobDiff {
    /// Added, Deleted, Edited or None.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Job ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Changed scalar fields.
    pub fields: Vec<FieldDiff>,
    /// Changed nested objects.
    pub objects: Vec<ObjectDiff>,
    /// Every task group.
    pub task_groups: Vec<TaskGroupDiff>,
}

/// Diff of a task group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskGroupDiff {
    /// Added, Deleted, Edited or None.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Group name.
    pub name: String,
    /// Changed scalar fields.
    pub fields: Vec<FieldDiff>,
    /// Changed nested objects.
    pub objects: Vec<ObjectDiff>,
    /// Every task.
    pub tasks: Vec<TaskDiff>,
    /// Scheduler's counts: `create`, `destroy`, `in-place update`, ...
    pub updates: BTreeMap<String, u64>,
}

/// Diff of a task.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskDiff {
    /// Added, Deleted, Edited or None.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Task name.
    pub name: String,
    /// Changed scalar fields.
    pub fields: Vec<FieldDiff>,
    /// Changed nested objects.
    pub objects: Vec<ObjectDiff>,
    /// `forces create`, `forces in-place update`, ...
    pub annotations: Vec<String>,
}

/// Diff of a nested object (`Config`, `Resources`, `Constraint`, ...).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectDiff {
    /// Added, Deleted, Edited or None.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Object name.
    pub name: String,
    /// Fields (unchanged ones included for context when edited).
    pub fields: Vec<FieldDiff>,
    /// Nested objects.
    pub objects: Vec<ObjectDiff>,
}

/// Diff of one scalar field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldDiff {
    /// Added, Deleted, Edited or None.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Field name.
    pub name: String,
    /// Old value as text.
    pub old: String,
    /// New value as text.
    pub new: String,
    /// `forces create`, ...
    pub annotations: Vec<String>,
}

fn to_map(v: Option<Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

fn kind(old: bool, new: bool, changed: bool) -> &'static str {
    match (old, new) {
        (false, true) => DIFF_ADDED,
        (true, false) => DIFF_DELETED,
        _ if changed => DIFF_EDITED,
        _ => DIFF_NONE,
    }
}

/// Flattens scalars and arrays of scalars of a free-form map (task `Config`,
/// `Meta`, `Env`) into `key`, `key[0]`, `key.sub` names.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, x, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), text(Some(other)).unwrap_or_default());
        }
    }
}

fn field_diffs(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    contextual: bool,
) -> Vec<FieldDiff> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (o, n) = (old.get(k), new.get(k));
        let t = kind(o.is_some(), n.is_some(), o != n);
        if t == DIFF_NONE && !contextual {
            continue;
        }
        out.push(FieldDiff {
            diff_type: t.to_string(),
            name: k.clone(),
            old: o.cloned().unwrap_or_default(),
            new: n.cloned().unwrap_or_default(),
            annotations: Vec::new(),
        });
    }
    out
}

/// Fields and objects of two JSON objects (either may be absent).
fn diff_members(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    skip: &[&str],
    contextual: bool,
) -> (Vec<FieldDiff>, Vec<ObjectDiff>) {
    let mut scalars_old = BTreeMap::new();
    let mut scalars_new = BTreeMap::new();
    let mut objects = Vec::new();
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for k in keys.into_iter().filter(|k| !skip.contains(&k.as_str())) {
        let (o, n) = (old.get(k), new.get(k));
        let nested = |v: Option<&Value>| matches!(v, Some(Value::Object(_) | Value::Array(_)));
        if nested(o) || nested(n) {
            objects.extend(diff_nested(k, o, n));
        } else {
            if let Some(s) = text(o) {
                scalars_old.insert(k.clone(), s);
            }
            if let Some(s) = text(n) {
                scalars_new.insert(k.clone(), s);
            }
        }
    }
    (field_diffs(&scalars_old, &scalars_new, contextual), objects)
}

fn empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(m)) => m.is_empty(),
        _ => false,
    }
}

/// Diffs a nested value: maps of scalars flatten, arrays of objects pair up by
/// position, everything else recurses. Unchanged objects are omitted.
fn diff_nested(name: &str, o: Option<&Value>, n: Option<&Value>) -> Vec<ObjectDiff> {
    if o == n || (empty(o) && empty(n)) {
        return Vec::new();
    }
    let objs = |v: Option<&Value>| -> Option<Vec<Value>> {
        match v {
            Some(Value::Array(a)) if a.iter().all(Value::is_object) && !a.is_empty() => {
                Some(a.clone())
            }
            _ => None,
        }
    };
    if objs(o).is_some() || objs(n).is_some() {
        let oa = objs(o).unwrap_or_default();
        let na = objs(n).unwrap_or_default();
        let singular = name.strip_suffix('s').unwrap_or(name);
        let mut out = Vec::new();
        for i in 0..oa.len().max(na.len()) {
            out.extend(diff_nested(singular, oa.get(i), na.get(i)));
        }
        return out;
    }
    let structured = matches!(o, Some(Value::Object(_))) || matches!(n, Some(Value::Object(_)));
    let free_form = matches!(name, "Config" | "Meta" | "Env");
    let (fields, objects) = if structured && !free_form {
        let (om, nm) = (to_map(o.cloned()), to_map(n.cloned()));
        diff_members(&om, &nm, &[], true)
    } else {
        let (mut fo, mut fnew) = (BTreeMap::new(), BTreeMap::new());
        if let Some(v) = o.filter(|v| !v.is_null()) {
            flatten(if free_form { "" } else { name }, v, &mut fo);
        }
        if let Some(v) = n.filter(|v| !v.is_null()) {
            flatten(if free_form { "" } else { name }, v, &mut fnew);
        }
        (field_diffs(&fo, &fnew, true), Vec::new())
    };
    vec![ObjectDiff {
        diff_type: kind(!empty(o), !empty(n), true).to_string(),
        name: name.to_string(),
        fields,
        objects,
    }]
}

fn changed(fields: &[FieldDiff], objects: &[ObjectDiff]) -> bool {
    fields.iter().any(|f| f.diff_type != DIFF_NONE) || !objects.is_empty()
}

/// Diffs two jobs (`old = None` for a new job). Unchanged groups and tasks are
/// listed with type `None`, as Nomad does, so the CLI can show their counts.
pub fn job_diff(old: Option<&Job>, new: &Job) -> JobDiff {
    let ov = old.and_then(|j| serde_json::to_value(j).ok());
    let nv = serde_json::to_value(new).ok();
    let (om, nm) = (to_map(ov), to_map(nv));
    let (fields, objects) = diff_members(&om, &nm, JOB_SKIP, false);
    let mut task_groups = Vec::new();
    let old_groups: Vec<Value> = om
        .get("TaskGroups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let new_groups: Vec<Value> = nm
        .get("TaskGroups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names = ordered_names(&old_groups, &new_groups);
    for name in names {
        let (o, n) = (
            find_named(&old_groups, &name),
            find_named(&new_groups, &name),
        );
        task_groups.push(group_diff(&name, o, n, old.is_some()));
    }
    let any_group = task_groups.iter().any(|g| g.diff_type != DIFF_NONE);
    JobDiff {
        diff_type: if old.is_none() {
            DIFF_ADDED.to_string()
        } else if changed(&fields, &objects) || any_group {
            DIFF_EDITED.to_string()
        } else {
            DIFF_NONE.to_string()
        },
        id: new.id.clone(),
        fields,
        objects,
        task_groups,
    }
}

fn ordered_names(old: &[Value], new: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for v in new.iter().chain(old.iter()) {
        if let Some(n) = v.get("Name").and_then(Value::as_str)
            && !names.iter().any(|x| x == n)
        {
            names.push(n.to_string());
        }
    }
    names
}

fn find_named(list: &[Value], name: &str) -> Option<Map<String, Value>> {
    list.iter()
        .find(|v| v.get("Name").and_then(Value::as_str) == Some(name))
        .and_then(|v| v.as_object().cloned())
}

fn group_diff(
    name: &str,
    o: Option<Map<String, Value>>,
    n: Option<Map<String, Value>>,
    had_job: bool,
) -> TaskGroupDiff {
    let (om, nm) = (o.clone().unwrap_or_default(), n.clone().unwrap_or_default());
    let (fields, objects) = diff_members(&om, &nm, &["Tasks", "Name"], !had_job);
    let old_tasks: Vec<Value> = om
        .get("Tasks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let new_tasks: Vec<Value> = nm
        .get("Tasks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut tasks = Vec::new();
    for t in ordered_names(&old_tasks, &new_tasks) {
        let (to, tn) = (find_named(&old_tasks, &t), find_named(&new_tasks, &t));
        let (tf, tobj) = diff_members(
            &to.clone().unwrap_or_default(),
            &tn.clone().unwrap_or_default(),
            &["Name"],
            !had_job,
        );
        let t_changed = changed(&tf, &tobj);
        tasks.push(TaskDiff {
            diff_type: kind(to.is_some(), tn.is_some(), t_changed).to_string(),
            name: t,
            fields: tf,
            objects: tobj,
            annotations: Vec::new(),
        });
    }
    let any_task = tasks.iter().any(|t| t.diff_type != DIFF_NONE);
    TaskGroupDiff {
        diff_type: kind(
            o.is_some(),
            n.is_some(),
            changed(&fields, &objects) || any_task,
        )
        .to_string(),
        name: name.to_string(),
        fields,
        objects,
        tasks,
        updates: BTreeMap::new(),
    }
}
