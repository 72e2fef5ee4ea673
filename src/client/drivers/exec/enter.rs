//! Running another command inside a live `exec` task (for `alloc exec`): same
//! namespaces, root, cgroup, user and capabilities as the task. The namespaces are
//! the supervisor's (see `isolate`); entering the mount namespace lands in the
//! task's root (it was pivoted into). A PID namespace again only applies to
//! children, so the spawned process enters the namespaces, forks, and mirrors its
//! child's exit:
//!
//! ```text
//! caller
//!  └─ entry (host PID)    opens the cgroup files, setns(ipc, uts, mnt, pid),
//!      │                  ignores signals, waits, exits as the command did
//!      └─ command         joins the cgroup, caps, user, execs
//! ```
//!
//! Signal the entry's process group (spawn with `process_group(0)`) to reach the
//! command; with `tty` the command gets its own session with stdin as its terminal.

use std::ffi::CString;
use std::io;

use super::isolate::become_user;
use super::sys::{check, close_all_fds, mirror_exit, wait_child};

/// Namespaces entered, by their `/proc/<pid>/ns` file and `setns` type.
const NAMESPACES: [(&str, libc::c_int); 4] = [
    ("ipc", libc::CLONE_NEWIPC),
    ("uts", libc::CLONE_NEWUTS),
    ("mnt", libc::CLONE_NEWNS),
    ("pid_for_children", libc::CLONE_NEWPID),
];

/// What entering a task needs, prepared before fork.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `/proc/<supervisor>/ns/*` files with their types.
    pub ns: Vec<(CString, libc::c_int)>,
    /// The task's `cgroup.procs` files.
    pub cgroup_procs: Vec<CString>,
    /// The task's user.
    pub uid: u32,
    /// The task's group.
    pub gid: u32,
    /// Highest capability number.
    pub cap_last: u32,
    /// The task's capabilities.
    pub caps: super::caps::CapSet,
    /// Give the command its own session with stdin as controlling terminal.
    pub tty: bool,
}

impl Entry {
    /// Namespace files of supervisor `pid`.
    pub fn ns_of(pid: u32) -> Vec<(CString, libc::c_int)> {
        NAMESPACES
            .iter()
            .filter_map(|(n, t)| Some((CString::new(format!("/proc/{pid}/ns/{n}")).ok()?, *t)))
            .collect()
    }

    /// The `pre_exec` hook. Returns only in the command process.
    ///
    /// # Safety
    /// Must be called between fork and exec.
    pub unsafe fn enter(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on prepared C strings; fds are opened before any
        // setns so the paths resolve in the agent's mount namespace.
        unsafe {
            let mut fds = [-1; NAMESPACES.len()];
            for (i, (path, _)) in self.ns.iter().enumerate().take(fds.len()) {
                fds[i] = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
                if fds[i] < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // The cgroup files are not reachable from inside the task's root.
            let mut cg = [-1; 4];
            for (i, path) in self.cgroup_procs.iter().enumerate().take(cg.len()) {
                cg[i] = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if cg[i] < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            for (i, (_, kind)) in self.ns.iter().enumerate().take(fds.len()) {
                check(libc::setns(fds[i], *kind))?;
                libc::close(fds[i]);
            }
            for sig in 1..32 {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP && sig != libc::SIGCHLD {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
            let child = libc::fork();
            if child < 0 {
                return Err(io::Error::last_os_error());
            }
            if child == 0 {
                for sig in 1..32 {
                    libc::signal(sig, libc::SIG_DFL);
                }
                for fd in cg.into_iter().filter(|fd| *fd >= 0) {
                    // "0": the writer joins.
                    if libc::write(fd, b"0".as_ptr().cast(), 1) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                    libc::close(fd);
                }
                check(libc::chdir(c"/".as_ptr()))?;
                if self.tty {
                    check(libc::setsid())?;
                    check(libc::ioctl(0, libc::TIOCSCTTY, 0))?;
                }
                return become_user(self.cap_last, self.caps, self.uid, self.gid);
            }
            close_all_fds();
            mirror_exit(wait_child(child))
        }
    }
}
