//! `nomad alloc fs [-stat] [-H] <alloc> [path]`: browse an allocation's directory. A
//! directory is listed (`Mode Size Modified Time Name`), a file printed; `-stat` shows
//! the path's own entry instead.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::Args;

use super::lookup_alloc;
use crate::cli::format::{format_list, format_rfc3339, human_bytes};
use crate::cli::{CliError, GlobalOpts};
use crate::client::alloc_fs::AllocFileInfo;

#[derive(Debug, Args)]
pub struct FsArgs {
    /// Show file stat information instead of the contents.
    #[arg(long)]
    pub stat: bool,
    /// Machine friendly output: sizes in bytes.
    #[arg(short = 'H')]
    pub machine: bool,
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The allocation ID or a prefix of it.
    pub alloc: String,
    /// Path relative to the allocation directory (default `/`).
    pub path: Option<String>,
}

/// One table row per entry, as Nomad prints them (directories end in `/`).
pub fn render(files: &[AllocFileInfo], machine: bool) -> String {
    let mut rows = vec!["Mode|Size|Modified Time|Name".to_owned()];
    for f in files {
        let size = if machine {
            f.size.to_string()
        } else {
            human_bytes(f.size)
        };
        let name = if f.is_dir {
            format!("{}/", f.name)
        } else {
            f.name.clone()
        };
        rows.push(format!(
            "{}|{size}|{}|{name}",
            f.file_mode,
            format_rfc3339(&f.mod_time)
        ));
    }
    format_list(&rows)
}

pub fn run(args: &FsArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let alloc = lookup_alloc(&client, &args.alloc, args.verbose)?;
    let path = args.path.clone().unwrap_or_else(|| "/".to_owned());
    let query = [("path", path.clone())];
    let (info, _): (AllocFileInfo, _) = client
        .get(&format!("/v1/client/fs/stat/{}", alloc.id), &query)
        .map_err(|e| CliError::Message(format!("Error stating file: {e}")))?;
    if args.stat {
        println!("{}", render(&[info], args.machine));
        return Ok(ExitCode::SUCCESS);
    }
    if info.is_dir {
        let (files, _): (Vec<AllocFileInfo>, _) = client
            .get(&format!("/v1/client/fs/ls/{}", alloc.id), &query)
            .map_err(|e| CliError::Message(format!("Error listing alloc dir: {e}")))?;
        if !files.is_empty() {
            println!("{}", render(&files, args.machine));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut body = client
        .get_stream(&format!("/v1/client/fs/cat/{}", alloc.id), &query)
        .map_err(|e| CliError::Message(format!("Error reading file: {e}")))?;
    let mut stdout = std::io::stdout().lock();
    let mut buf = [0u8; 8192];
    loop {
        match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if stdout.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) => return Err(CliError::Message(format!("Error reading file: {e}"))),
        }
    }
    let _ = stdout.flush();
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_like_nomad() {
        let files = [
            AllocFileInfo {
                name: "alloc".into(),
                is_dir: true,
                size: 4096,
                file_mode: "drwxrwxrwx".into(),
                mod_time: "2016-07-13T20:34:59Z".into(),
                content_type: String::new(),
            },
            AllocFileInfo {
                name: "out.txt".into(),
                is_dir: false,
                size: 6,
                file_mode: "-rw-r--r--".into(),
                mod_time: "2016-07-13T20:34:59Z".into(),
                content_type: "text/plain; charset=utf-8".into(),
            },
        ];
        let text = render(&files, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Mode        Size     Modified Time         Name");
        assert_eq!(
            lines[1],
            "drwxrwxrwx  4.0 KiB  2016-07-13T20:34:59Z  alloc/"
        );
        assert_eq!(
            lines[2],
            "-rw-r--r--  6 B      2016-07-13T20:34:59Z  out.txt"
        );
        assert!(render(&files, true).contains("  4096  "));
    }
}
