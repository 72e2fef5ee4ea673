//! `nomad fmt [-check] [-list=bool] [-write=bool] [-recursive] [path...]`: rewrite HCL files in the
//! canonical format. A file that does not parse is reported with its position and left untouched.

mod format;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgAction, Args};

use super::CliError;

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Exit 1 if any file is not already formatted; write nothing.
    #[arg(long)]
    pub check: bool,
    /// List the files whose formatting differs.
    #[arg(long, action = ArgAction::Set, default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub list: bool,
    /// Write the result back to the file instead of stdout.
    #[arg(long, action = ArgAction::Set, default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub write: bool,
    /// Process files in subdirectories too.
    #[arg(long)]
    pub recursive: bool,
    /// Files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
}

pub fn run(args: &FmtArgs) -> Result<ExitCode, CliError> {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        collect(root, args.recursive, true, &mut files)?;
    }
    let mut unformatted = false;
    for file in files {
        let src = std::fs::read_to_string(&file).map_err(|source| CliError::Io {
            path: file.clone(),
            source,
        })?;
        if let Err(e) = hcl_edit::parser::parse_body(&src) {
            let loc = e.location();
            return Err(CliError::Message(format!(
                "{}:{}:{}: {}",
                file.display(),
                loc.line(),
                loc.column(),
                e.message()
            )));
        }
        let out = format::format(&src);
        if out == src {
            continue;
        }
        unformatted = true;
        if args.list {
            println!("{}", file.display());
        }
        if args.check {
            continue;
        }
        if args.write {
            std::fs::write(&file, &out).map_err(|source| CliError::Io {
                path: file.clone(),
                source,
            })?;
        } else {
            print!("{out}");
        }
    }
    Ok(if args.check && unformatted {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Files named on the command line are taken as given; in directories only HCL files are.
fn collect(
    path: &Path,
    recursive: bool,
    top: bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    if !path.is_dir() {
        if top || is_hcl(path) {
            out.push(path.to_owned());
        }
        return Ok(());
    }
    if !top && !recursive {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        collect(&entry, recursive, false, out)?;
    }
    Ok(())
}

fn is_hcl(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".nomad") || name.ends_with(".hcl")
}
