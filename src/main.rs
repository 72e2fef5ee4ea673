//! Entry point: hand the arguments to the CLI and exit with its code, or run a raw_exec task's
//! executor when this binary was started as one (`nomad executor`, hidden, as in Nomad).

use nomad::client::drivers::executor;

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let head: Vec<&[u8]> = args.iter().take(2).map(|a| a.as_encoded_bytes()).collect();
    if nomad::allocator::is_executor_args(&head) {
        // Already chosen before `main` (`allocator.rs`); again here in case that did not run.
        nomad::allocator::use_system();
        return executor::main(&args[2..]);
    }
    executor::serve_from_own_binary();
    nomad::cli::run(args)
}
