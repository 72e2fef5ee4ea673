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
pub unsafe fn close_fds_except(keep: &[libc::c_int]) {
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

/// Writes how wait status `status` ended (`{"exit_code":C,"signal":S}`, what
/// `process::take_exit` reads) into `fd` and closes it. The file is opened (empty) when the
/// task starts, before the supervisor may leave the host's root; it is read only once the
/// supervisor is gone, so an empty or cut-short file just means "unknown".
///
/// # Safety
/// Async-signal-safe (no allocation: the text is built on the stack).
pub unsafe fn write_exit_status(fd: libc::c_int, status: libc::c_int) {
    let (code, sig) = if libc::WIFSIGNALED(status) {
        (0, libc::WTERMSIG(status))
    } else {
        (libc::WEXITSTATUS(status), 0)
    };
    let mut buf = [0u8; 64];
    let mut n = 0;
    let mut push = |bytes: &[u8]| {
        buf[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    let mut digits = [0u8; 10];
    push(b"{\"exit_code\":");
    push(itoa(code, &mut digits));
    push(b",\"signal\":");
    push(itoa(sig, &mut digits));
    push(b"}");
    // SAFETY: raw syscalls on a stack buffer.
    unsafe {
        libc::pwrite(fd, buf.as_ptr().cast(), n, 0);
        libc::close(fd);
    }
}

/// Opens (empty) the file a supervisor later writes the exit status into: -1 on failure.
///
/// # Safety
/// Async-signal-safe.
pub unsafe fn open_exit_file(path: &std::ffi::CStr) -> libc::c_int {
    // SAFETY: a NUL-terminated path.
    unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
            0o600,
        )
    }
}

/// The decimal digits of `v` (below 0 as 0), written at the end of `out`.
fn itoa(v: libc::c_int, out: &mut [u8; 10]) -> &[u8] {
    let mut v = v.max(0) as u32;
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &out[at..];
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::drivers::process::take_exit;

    #[test]
    fn exit_status_files_read_back_as_the_exit() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.exit");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        for (status, code, sig) in [(3 << 8, 3, 0), (255 << 8, 255, 0), (0, 0, 0), (9, 0, 9)] {
            // SAFETY: plain syscalls on a valid path.
            unsafe {
                let fd = open_exit_file(&c);
                assert!(fd >= 0);
                write_exit_status(fd, status);
            }
            let exit = take_exit(&path).expect("written");
            assert_eq!((exit.exit_code, exit.signal, exit.err), (code, sig, None));
            assert!(!path.exists(), "taken once");
        }
        assert!(take_exit(&path).is_none());
        // Opened, never written (the supervisor was killed): unknown.
        // SAFETY: as above.
        unsafe { libc::close(open_exit_file(&c)) };
        assert!(take_exit(&path).is_none());
    }
}
