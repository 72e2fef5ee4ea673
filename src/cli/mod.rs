//! The command line: clap definitions for every command family, one file (or folder) each; this file only
//! parses and dispatches. Errors come back as `CliError` and are printed as `Error: ...` lines, exit 1.

pub mod agent;
mod alloc;
mod args;
mod error;
mod eval;
mod fmt;
pub mod format;
mod global;
mod job;
mod monitor;
mod node;
mod operator;
mod server;
mod status;
mod tls;
mod version;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use error::CliError;
pub use global::GlobalOpts;

/// The `nomad` command line.
#[derive(Debug, Parser)]
#[command(
    name = "nomad",
    disable_version_flag = true,
    about = "A gossip-first, Nomad-compatible workload orchestrator"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Nomad agent (server, client, or both with -dev).
    Agent(Box<agent::AgentArgs>),
    /// Interact with jobs.
    #[command(subcommand)]
    Job(job::JobCommand),
    /// Interact with allocations.
    #[command(subcommand)]
    Alloc(alloc::AllocCommand),
    /// Interact with nodes.
    #[command(subcommand)]
    Node(node::NodeCommand),
    /// Interact with servers.
    #[command(subcommand)]
    Server(server::ServerCommand),
    /// Interact with evaluations.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Cluster operator commands (gossip keyring, Raft peers).
    #[command(subcommand)]
    Operator(operator::OperatorCommand),
    /// Create a CA and certificates for TLS.
    #[command(subcommand)]
    Tls(tls::TlsCommand),
    /// Display the status of a job, node, allocation or evaluation by ID prefix.
    Status(status::StatusArgs),
    /// Rewrite HCL job and config files to the canonical format.
    Fmt(fmt::FmtArgs),
    /// Print the version.
    Version,
    /// Alias for `job run`.
    Run(job::run::RunArgs),
    /// Alias for `job init`.
    Init(job::init::InitArgs),
    /// Alias for `job validate`.
    Validate(job::validate::ValidateArgs),
    /// Alias for `job plan`.
    Plan(job::plan::PlanArgs),
    /// Alias for `job stop`.
    Stop(job::stop::StopArgs),
    /// Alias for `job inspect`.
    Inspect(job::inspect::InspectArgs),
    /// Alias for `alloc exec`.
    Exec(alloc::exec::ExecArgs),
    /// Alias for `alloc fs`.
    Fs(alloc::fs::FsArgs),
}

/// Parses `args` (program name first), runs the command, prints errors, returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    quiet_failures();
    let root = Cli::command();
    let args = args::normalize(&root, args.into_iter().collect());
    let cli = match root
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version requests are not failures; usage errors exit 1 as Nomad's do.
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            e.print();
            ExitCode::from(1)
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Agent(args) => agent::run(&args),
        Command::Job(cmd) => job::dispatch(cmd, &cli.global),
        Command::Alloc(cmd) => alloc::dispatch(cmd, &cli.global),
        Command::Node(cmd) => node::dispatch(cmd, &cli.global),
        Command::Server(cmd) => server::dispatch(cmd, &cli.global),
        Command::Eval(cmd) => eval::dispatch(cmd, &cli.global),
        Command::Operator(cmd) => operator::dispatch(cmd, &cli.global),
        Command::Tls(cmd) => tls::dispatch(cmd),
        Command::Status(args) => status::run(&args, &cli.global),
        Command::Fmt(args) => fmt::run(&args),
        Command::Version => version::run(),
        Command::Run(args) => job::run::run(&args, &cli.global),
        Command::Init(args) => job::init::run(&args),
        Command::Validate(args) => job::validate::run(&args),
        Command::Plan(args) => job::plan::run(&args, &cli.global),
        Command::Stop(args) => job::stop::run(&args, &cli.global),
        Command::Inspect(args) => job::inspect::run(&args, &cli.global),
        Command::Exec(args) => alloc::exec::run(&args, &cli.global),
        Command::Fs(args) => alloc::fs::run(&args, &cli.global),
    }
}

/// A CLI piped into `head` should just stop, and a bug should read as one line, not a backtrace.
fn quiet_failures() {
    // SAFETY: restoring the default SIGPIPE disposition before any thread exists; no handler runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".to_owned());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("Error: internal error{place}: {message}");
    }));
}
