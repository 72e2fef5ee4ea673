//! Entry point: hand the arguments to the CLI and exit with its code, or run a raw_exec task's
//! executor when this binary was started as one (`nomad executor`, hidden, as in Nomad).

use nomad::client::drivers::executor;

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == executor::SUBCOMMAND) {
        // Already chosen before `main` (`allocator.rs`); again here in case that did not run.
        nomad::allocator::use_system();
        return executor::main(&args[2..]);
    }
    executor::serve_from_own_binary();
    nomad::cli::run(args)
}
