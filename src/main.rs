//! Entry point: hand the arguments to the CLI and exit with its code. Nothing else.

fn main() -> std::process::ExitCode {
    nomad::cli::run(std::env::args_os())
}
