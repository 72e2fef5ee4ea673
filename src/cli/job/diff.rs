//! Rendering a plan's job diff the way `nomad job plan` does: `+` added, `-` deleted, `+/-` edited, with
//! each task group's scheduler annotations ("(2 create, 1 in-place update)").

use std::collections::BTreeMap;

use serde_json::Value;

use nomad_region::structs::DesiredUpdates;

/// The whole diff of a job, groups and tasks included.
pub fn render_job_diff(
    diff: &Value,
    updates: &BTreeMap<String, DesiredUpdates>,
    verbose: bool,
) -> String {
    let mut out = Vec::new();
    let id = str_of(diff, "ID");
    out.push(format!("{}Job: \"{id}\"", marker(diff)));
    render_body(diff, 0, verbose, &mut out);
    for group in array(diff, "TaskGroups") {
        let name = str_of(group, "Name");
        let mut line = format!("{}Task Group: \"{name}\"", marker(group));
        if let Some(u) = updates.get(name) {
            let summary = update_summary(u);
            if !summary.is_empty() {
                line.push_str(&format!(" ({summary})"));
            }
        }
        out.push(line);
        render_body(group, 0, verbose, &mut out);
        for task in array(group, "Tasks") {
            let mut line = format!(
                "{}{}Task: \"{}\"",
                indent(1),
                marker(task),
                str_of(task, "Name")
            );
            let notes: Vec<&str> = array(task, "Annotations")
                .iter()
                .filter_map(|a| a.as_str())
                .collect();
            if !notes.is_empty() {
                line.push_str(&format!(" ({})", notes.join(", ")));
            }
            out.push(line);
            render_body(task, 1, verbose, &mut out);
        }
    }
    out.push(String::new());
    out.join("\n")
}

/// `2 create, 1 in-place update`, in Nomad's order, leaving zero counts out.
fn update_summary(u: &DesiredUpdates) -> String {
    let parts = [
        (u.place, "create"),
        (u.destructive_update, "create/destroy update"),
        (u.stop, "destroy"),
        (u.ignore, "ignore"),
        (u.in_place_update, "in-place update"),
        (u.migrate, "migrate"),
        (u.canary, "canary"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_body(node: &Value, depth: usize, verbose: bool, out: &mut Vec<String>) {
    for field in array(node, "Fields") {
        if !verbose && str_of(field, "Type") == "None" {
            continue;
        }
        out.push(render_field(field, depth + 1));
    }
    for object in array(node, "Objects") {
        render_object(object, depth + 1, verbose, out);
    }
}

fn render_field(field: &Value, depth: usize) -> String {
    let name = str_of(field, "Name");
    let old = str_of(field, "Old");
    let new = str_of(field, "New");
    let value = match str_of(field, "Type") {
        "Added" => format!("\"{new}\""),
        "Deleted" => format!("\"{old}\""),
        "Edited" => format!("\"{old}\" => \"{new}\""),
        _ => format!("\"{new}\""),
    };
    let notes: Vec<&str> = array(field, "Annotations")
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    };
    format!("{}{}{name}: {value}{notes}", indent(depth), marker(field))
}

fn render_object(object: &Value, depth: usize, verbose: bool, out: &mut Vec<String>) {
    if !verbose && str_of(object, "Type") == "None" {
        return;
    }
    out.push(format!(
        "{}{}{} {{",
        indent(depth),
        marker(object),
        str_of(object, "Name")
    ));
    render_body(object, depth, verbose, out);
    out.push(format!("{}    }}", indent(depth)));
}

fn marker(node: &Value) -> &'static str {
    match str_of(node, "Type") {
        "Added" => "+ ",
        "Deleted" => "- ",
        "Edited" => "+/- ",
        _ => "    ",
    }
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_count_change_like_nomad() {
        let diff = json!({
            "Type": "Edited", "ID": "example", "Fields": [], "Objects": [],
            "TaskGroups": [{
                "Type": "Edited", "Name": "cache",
                "Fields": [{"Type": "Edited", "Name": "Count", "Old": "1", "New": "3", "Annotations": ["forces create"]}],
                "Objects": [],
                "Tasks": [{"Type": "None", "Name": "redis", "Fields": [], "Objects": [], "Annotations": []}]
            }]
        });
        let mut updates = BTreeMap::new();
        updates.insert(
            "cache".to_owned(),
            DesiredUpdates {
                place: 2,
                in_place_update: 1,
                ..Default::default()
            },
        );
        let text = render_job_diff(&diff, &updates, false);
        assert_eq!(
            text,
            "+/- Job: \"example\"\n+/- Task Group: \"cache\" (2 create, 1 in-place update)\n  +/- Count: \"1\" => \"3\" (forces create)\n      Task: \"redis\"\n"
        );
    }
}
