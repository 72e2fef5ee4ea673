//! Reading a job file the way every job command does: parse (HCL or JSON), apply Nomad's defaults, check
//! Nomad's rules, and word every problem as `file:line:col: message` using the parser's spans.

use std::path::{Path, PathBuf};

use clap::Args;
use nomad_region::structs::Job;

use crate::api_client::Client;
use crate::cli::{CliError, GlobalOpts};
use crate::jobspec::{self, ParseOptions};

/// The HCL2 variable flags shared by `run`, `plan` and `validate`.
#[derive(Debug, Clone, Default, Args)]
pub struct VarArgs {
    /// An HCL2 input variable, `name=value`; repeatable.
    #[arg(long = "var", value_name = "key=value")]
    pub vars: Vec<String>,
    /// A file of HCL2 input variable assignments; repeatable.
    #[arg(long = "var-file", value_name = "path")]
    pub var_files: Vec<PathBuf>,
}

/// A checked job, and whether its file named a region (if not, the job goes to the request's region).
pub struct LoadedJob {
    pub job: Job,
    pub explicit_region: bool,
}

/// Parses, canonicalizes and validates the job in `path`.
pub fn load_job(path: &Path, vars: &VarArgs) -> Result<LoadedJob, CliError> {
    let opts = ParseOptions {
        vars: vars.vars.clone(),
        var_files: vars.var_files.clone(),
        env_vars: true,
    };
    let parsed = jobspec::parse_file(path, &opts)?;
    let mut job = parsed.job;
    let explicit_region = !job.region.is_empty();
    job.canonicalize();
    if let Err(errors) = job.validate() {
        let file = path.display();
        let lines = errors
            .0
            .iter()
            .map(|e| match parsed.spans.locate(&e.path) {
                Some(pos) => format!("{file}:{}:{}: {}", pos.line, pos.column, e.message),
                None => format!("{file}: {}", e.message),
            })
            .collect();
        return Err(CliError::Invalid(lines));
    }
    Ok(LoadedJob {
        job,
        explicit_region,
    })
}

/// The client to submit `job` with. A job that names its region goes there; one that doesn't goes to
/// `-region` or, without it, to the agent's own region (the server fills `Region` in).
pub fn target_client(job: &mut Job, explicit_region: bool, global: &GlobalOpts) -> Client {
    if explicit_region {
        return global.client_for_region(Some(&job.region));
    }
    job.region = global.region.clone().unwrap_or_default();
    global.client()
}
