//! Go-style flags: Nomad's CLI takes long flags with one dash (`-detach`, `-check-index=3`), which clap
//! reads as bundles of short flags. Before parsing, rewrite `-name[=v]` to `--name[=v]` wherever `name` is
//! a long flag of the command being invoked, and leave everything else (task commands, negative numbers,
//! real short flags) as typed.

use std::ffi::OsString;

use clap::{ArgAction, Command};

/// Rewrites single-dash long flags to double-dash ones, following the subcommand path through `root`.
pub fn normalize(root: &Command, args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    if let Some(program) = iter.next() {
        out.push(program);
    }
    let mut path: Vec<&Command> = vec![root];
    let mut raw = false;
    for arg in iter {
        let Some(text) = arg.to_str().map(str::to_owned) else {
            out.push(arg);
            continue;
        };
        if raw {
            out.push(arg);
            continue;
        }
        if text == "--" {
            raw = true;
            out.push(arg);
            continue;
        }
        let current = *path.last().unwrap_or(&root);
        if !text.starts_with('-') {
            if let Some(sub) = current.find_subcommand(&text) {
                path.push(sub);
            }
            out.push(arg);
            continue;
        }
        let long = if let Some(name) = single_dash_long(&text)
            && path.iter().any(|c| has_long(c, name))
        {
            format!("-{text}")
        } else {
            text
        };
        match switch_with_value(&path, &long) {
            // Go's flag package takes `-detach=true`; clap's switches take no value.
            Some(true) => out.push(OsString::from(long.split('=').next().unwrap_or(&long))),
            Some(false) => {}
            None => out.push(OsString::from(long)),
        }
    }
    out
}

/// `-name` or `-name=value` with a name of two or more characters; `None` for `-x`, `--x`, `-1`.
fn single_dash_long(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('-')?;
    if rest.starts_with('-') {
        return None;
    }
    let name = rest.split('=').next().unwrap_or(rest);
    let starts_alpha = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    (name.len() >= 2 && starts_alpha).then_some(name)
}

/// For `--name=true|false` where `name` is a switch (a flag without a value): whether it is set.
fn switch_with_value(path: &[&Command], text: &str) -> Option<bool> {
    let (name, value) = text.strip_prefix("--")?.split_once('=')?;
    let value = match value {
        "true" | "1" => true,
        "false" | "0" => false,
        _ => return None,
    };
    let is_switch = path.iter().any(|c| {
        c.get_arguments()
            .any(|a| a.get_long() == Some(name) && matches!(a.get_action(), ArgAction::SetTrue))
    });
    is_switch.then_some(value)
}

fn has_long(cmd: &Command, name: &str) -> bool {
    cmd.get_arguments().any(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    }) || name == "help"
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Arg;

    fn cmd() -> Command {
        Command::new("nomad")
            .arg(Arg::new("address").long("address").global(true))
            .subcommand(
                Command::new("job").subcommand(
                    Command::new("run")
                        .arg(Arg::new("detach").long("detach").action(ArgAction::SetTrue))
                        .arg(Arg::new("file")),
                ),
            )
    }

    fn norm(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        normalize(&cmd(), args)
            .into_iter()
            .map(|a| a.into_string().unwrap_or_default())
            .collect()
    }

    #[test]
    fn rewrites_known_long_flags_only() {
        assert_eq!(
            norm(&[
                "nomad",
                "job",
                "run",
                "-detach",
                "-address=http://x",
                "-zz",
                "f"
            ]),
            [
                "nomad",
                "job",
                "run",
                "--detach",
                "--address=http://x",
                "-zz",
                "f"
            ]
        );
    }

    #[test]
    fn switches_take_go_style_values() {
        assert_eq!(
            norm(&["nomad", "job", "run", "-detach=true", "f"]),
            ["nomad", "job", "run", "--detach", "f"]
        );
        assert_eq!(
            norm(&["nomad", "job", "run", "-detach=false", "f"]),
            ["nomad", "job", "run", "f"]
        );
    }

    #[test]
    fn leaves_short_flags_numbers_and_raw_args() {
        assert_eq!(
            norm(&["nomad", "job", "run", "-h", "-1", "--", "-detach"]),
            ["nomad", "job", "run", "-h", "-1", "--", "-detach"]
        );
    }
}
