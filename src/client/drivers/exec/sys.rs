//! Async-signal-safe process plumbing shared by what runs between `fork` and `exec`
//! (`isolate`'s supervisor and task, `enter`'s entry process): syscall results,
//! closing inherited descriptors, waiting for a child and exiting the way it did.

use std::io;

/// A syscall's result as `io::Result`.
pub fn check(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Closes every file descriptor. Whoever keeps the spawn's error pipe open keeps
/// the agent's `spawn` waiting, so kernels without `close_range` (before 5.9) get
/// the slow way.
///
/// # Safety
/// Async-signal-safe.
pub unsafe fn close_all_fds() {
    // SAFETY: raw syscalls.
    unsafe {
        if libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) == 0 {
            return;
        }
        let mut lim: libc::rlimit = std::mem::zeroed();
        let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur.min(1 << 20) as libc::c_int
        } else {
            1024
        };
        for fd in 0..max {
            libc::close(fd);
        }
    }
}

/// Closes every file descriptor but `keep` (ascending, -1 for none), as
/// `close_all_fds`.
///
/// # Safety
/// Async-signal-safe.
pub unsafe fn close_fds_except(keep: &[libc::c_int; 2]) {
    // SAFETY: raw syscalls.
    unsafe {
        let mut from: u32 = 0;
        let mut ranged = true;
        for &k in keep.iter().filter(|k| **k >= 0) {
            let k = k as u32;
            if k > from {
                ranged &= libc::syscall(libc::SYS_close_range, from, k - 1, 0u32) == 0;
            }
            from = k + 1;
        }
        ranged &= libc::syscall(libc::SYS_close_range, from, u32::MAX, 0u32) == 0;
        if ranged {
            return;
        }
        let mut lim: libc::rlimit = std::mem::zeroed();
        let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur.min(1 << 20) as libc::c_int
        } else {
            1024
        };
        for fd in 0..max {
            if !keep.contains(&fd) {
                libc::close(fd);
            }
        }
    }
}

/// Waits for child `pid`; its wait status (exit 1 if it cannot be waited for).
///
/// # Safety
/// Async-signal-safe.
pub unsafe fn wait_child(pid: libc::pid_t) -> libc::c_int {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes only into `status`.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return status;
        }
        if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return 1 << 8;
        }
    }
}

/// Exits with wait status `status`: the same code, or death by the same signal.
///
/// # Safety
/// Async-signal-safe.
pub unsafe fn mirror_exit(status: libc::c_int) -> ! {
    // SAFETY: raw syscalls.
    unsafe {
        if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            libc::signal(sig, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
            libc::_exit(128 + sig);
        }
        libc::_exit(libc::WEXITSTATUS(status))
    }
}
