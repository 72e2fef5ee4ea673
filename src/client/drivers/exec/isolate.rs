//! Isolating an `exec` task: the code that runs between `fork` and `exec` of the
//! agent's child. A PID namespace only applies to the children of whoever unshares
//! it, so the child splits into three processes:
//!
//! ```text
//! agent
//!  └─ supervisor (host PID P, process group P)  unshares mount/uts (+ipc/pid),
//!      │                                        ignores signals, waits for the task,
//!      │                                        then exits the way the task did
//!      ├─ init (PID 1 inside)                   reaps orphans; its death tears the
//!      │                                        namespace down
//!      └─ task (PID 2 inside)                   joins the cgroup, mounts the root
//!                                               (`pivot_root`), drops capabilities
//!                                               and user, execs
//! ```
//!
//! The agent signals the process group: the supervisor ignores it, the namespace's
//! init is immune by kernel rule, so only the task (and its children) get it, with
//! normal semantics. Only the task joins the cgroup: the supervisor and init are
//! copies of the agent's memory and must never be the cgroup OOM killer's pick.
//! Between fork and exec only async-signal-safe calls are made
//! (raw syscalls, no allocation): everything is prepared in `Isolation` beforehand.

use std::ffi::CString;
use std::io;

use super::caps::CapSet;
use super::chroot::{ChrootPlan, MountOp};
use super::sys::{
    check, close_all_fds, close_fds_except, mirror_exit, open_exit_file, wait_child,
    write_exit_status,
};

/// Everything the child needs, prepared by the agent.
#[derive(Debug)]
pub struct Isolation {
    /// `cgroup.procs` files to join.
    pub cgroup_procs: Vec<CString>,
    /// The root to build and enter.
    pub chroot: ChrootPlan,
    /// User and group to become.
    pub uid: u32,
    /// Primary group.
    pub gid: u32,
    /// Highest capability number of this kernel.
    pub cap_last: u32,
    /// Capabilities the task keeps (its bounding set).
    pub caps: CapSet,
    /// Namespaces to unshare (`CLONE_NEW*`); mount and UTS always, PID and IPC
    /// unless the task asked for the host's.
    pub namespaces: libc::c_int,
    /// Descriptors the supervisor keeps open, ascending (-1: none): the read ends of
    /// the task's log FIFOs, so that the task never writes into a pipe nobody holds
    /// while no agent reads (see `state`).
    pub keep_fds: [libc::c_int; 2],
    /// Where the supervisor writes the task's exit status, for a client that re-attaches
    /// and is not its parent.
    pub exit_file: Option<CString>,
}

/// The kernel's highest capability number, for `Isolation`.
pub fn cap_last() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

/// Which setup step failed. The spawn can only report an errno from the child, so
/// the step rides in its upper bits (`tag`), and the agent names it (`describe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// unshare, mount propagation.
    Namespaces = 1,
    /// Joining the cgroup.
    Cgroup = 2,
    /// Mounting the root filesystem.
    Mounts = 3,
    /// pivot_root into it.
    Root = 4,
    /// Capabilities and user.
    User = 5,
}

const STAGE_SHIFT: i32 = 16;

/// Tags an error with the step it happened in (no allocation).
fn tag(stage: Stage) -> impl FnOnce(io::Error) -> io::Error {
    move |e| {
        let errno = e.raw_os_error().unwrap_or(libc::EIO) & ((1 << STAGE_SHIFT) - 1);
        io::Error::from_raw_os_error(((stage as i32) << STAGE_SHIFT) | errno)
    }
}

/// `tag` applied to `errno`, for tests.
#[cfg(test)]
pub fn tag_for_test(stage: Stage, errno: i32) -> io::Error {
    tag(stage)(io::Error::from_raw_os_error(errno))
}

/// "failed to set up the task's <step>: <os error>" for a tagged spawn error;
/// `None` for a plain one (the exec itself failed).
pub fn describe(e: &io::Error) -> Option<String> {
    let raw = e.raw_os_error()?;
    let what = match raw >> STAGE_SHIFT {
        1 => "namespaces",
        2 => "cgroup",
        3 => "root filesystem",
        4 => "root (pivot_root)",
        5 => "capabilities and user",
        _ => return None,
    };
    let os = io::Error::from_raw_os_error(raw & ((1 << STAGE_SHIFT) - 1));
    Some(format!("failed to set up the task's {what}: {os}"))
}

/// Writes `value` to `path` with raw syscalls.
///
/// # Safety
/// Async-signal-safe; `path` must be NUL-terminated.
unsafe fn write_file(path: *const libc::c_char, value: &[u8]) -> io::Result<()> {
    // SAFETY: plain syscalls on a valid C string and buffer.
    unsafe {
        let fd = libc::open(path, libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = libc::write(fd, value.as_ptr().cast(), value.len());
        let err = io::Error::last_os_error();
        libc::close(fd);
        if n < 0 { Err(err) } else { Ok(()) }
    }
}

/// Moves the calling process into the cgroups whose `cgroup.procs` files are given
/// (a `pre_exec` hook on its own for raw_exec, which wants accounting only).
///
/// # Safety
/// Async-signal-safe: may be called between fork and exec.
pub unsafe fn join_cgroups(procs: &[CString]) -> io::Result<()> {
    for f in procs {
        // SAFETY: a NUL-terminated path; "0" means the writer, its children follow.
        unsafe { write_file(f.as_ptr(), b"0")? };
    }
    Ok(())
}

fn ptr(c: &Option<CString>) -> *const libc::c_char {
    c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

impl Isolation {
    /// Runs in the agent's freshly forked child (the supervisor). Returns only in the
    /// task process, ready to exec; an error aborts the spawn with its errno.
    ///
    /// # Safety
    /// Must be called between fork and exec (a `pre_exec` hook).
    pub unsafe fn enter(&self) -> io::Result<()> {
        // SAFETY: only raw syscalls and libc calls that are async-signal-safe.
        unsafe {
            // Opened while the host's root is still ours (the task's root becomes the
            // supervisor's too).
            let exit_fd = self.exit_file.as_ref().map_or(-1, |p| open_exit_file(p));
            check(libc::unshare(self.namespaces)).map_err(tag(Stage::Namespaces))?;
            // Nothing mounted from here on may propagate back to the host.
            check(libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))
            .map_err(tag(Stage::Namespaces))?;
            for sig in 1..32 {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP && sig != libc::SIGCHLD {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
            let init = libc::fork();
            if init < 0 {
                return Err(io::Error::last_os_error());
            }
            if init == 0 {
                run_init();
            }
            let task = libc::fork();
            if task < 0 {
                let err = io::Error::last_os_error();
                libc::kill(init, libc::SIGKILL);
                return Err(err);
            }
            if task == 0 {
                return self.become_task();
            }
            supervise(task, init, &self.keep_fds, exit_fd)
        }
    }

    /// In the task process (PID 2 inside): cgroup, root, capabilities, user.
    unsafe fn become_task(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on prepared C strings.
        unsafe {
            join_cgroups(&self.cgroup_procs).map_err(tag(Stage::Cgroup))?;
            for sig in 1..32 {
                libc::signal(sig, libc::SIG_DFL);
            }
            for op in &self.chroot.ops {
                run_op(op).map_err(tag(Stage::Mounts))?;
            }
            pivot_into(&self.chroot.root).map_err(tag(Stage::Root))?;
            become_user(self.cap_last, self.caps, self.uid, self.gid).map_err(tag(Stage::User))
        }
    }
}

/// Drops from the bounding set every capability not in `caps` (what a root task
/// can ever have; a non-root task has none after `setuid` anyway), then becomes
/// `uid`/`gid`.
///
/// # Safety
/// Async-signal-safe; meant for between fork and exec.
pub(super) unsafe fn become_user(
    cap_last: u32,
    caps: CapSet,
    uid: u32,
    gid: u32,
) -> io::Result<()> {
    // SAFETY: raw syscalls.
    unsafe {
        for cap in 0..=cap_last.min(63) {
            if caps & (1 << cap) == 0 {
                check(libc::prctl(
                    libc::PR_CAPBSET_DROP,
                    cap as libc::c_ulong,
                    0,
                    0,
                    0,
                ))?;
            }
        }
        check(libc::setgroups(1, &gid))?;
        check(libc::setgid(gid))?;
        check(libc::setuid(uid))
    }
}

/// Makes `root` the namespace's `/` and detaches the host's tree beneath it.
/// Every process of the namespace (supervisor, init) moves along, which is harmless:
/// they no longer touch the filesystem.
///
/// # Safety
/// Async-signal-safe; `root` must be a mount point (the plan's first step).
unsafe fn pivot_into(root: &CString) -> io::Result<()> {
    // SAFETY: raw syscalls on a prepared C string.
    unsafe {
        check(libc::chdir(root.as_ptr()))?;
        // pivot_root(".", "."): the old root ends up stacked on the new one...
        if libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) < 0 {
            return Err(io::Error::last_os_error());
        }
        // ...and is lazily detached from it here.
        check(libc::umount2(c".".as_ptr(), libc::MNT_DETACH))?;
        check(libc::chdir(c"/".as_ptr()))
    }
}

/// Runs one mount step.
///
/// # Safety
/// Async-signal-safe.
unsafe fn run_op(op: &MountOp) -> io::Result<()> {
    // SAFETY: syscalls on prepared C strings.
    unsafe {
        match op {
            MountOp::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => check(libc::mount(
                source.as_ptr(),
                target.as_ptr(),
                ptr(fstype),
                *flags,
                ptr(data).cast(),
            )),
            MountOp::Touch(p) => {
                let fd = libc::open(
                    p.as_ptr(),
                    libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                    0o666,
                );
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                libc::close(fd);
                Ok(())
            }
            MountOp::Mkdir(p) => check(libc::mkdir(p.as_ptr(), 0o755)),
            MountOp::Symlink { target, link } => {
                check(libc::symlink(target.as_ptr(), link.as_ptr()))
            }
        }
    }
}

/// PID 1 of the task's namespace: holds no files, reaps whatever is orphaned to it,
/// and lives until the supervisor kills it.
unsafe fn run_init() -> ! {
    // SAFETY: raw syscalls only.
    unsafe {
        close_all_fds();
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        // Blocked, SIGCHLD is queued even for a namespace init and wakes sigtimedwait.
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        let timeout = libc::timespec {
            tv_sec: 5,
            tv_nsec: 0,
        };
        loop {
            while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {}
            libc::sigtimedwait(&set, std::ptr::null_mut(), &timeout);
        }
    }
}

/// The supervisor: waits for the task, ends the namespace, and exits as the task did
/// so the agent's wait sees the task's own exit code or signal.
unsafe fn supervise(
    task: libc::pid_t,
    init: libc::pid_t,
    keep: &[libc::c_int; 2],
    exit_fd: libc::c_int,
) -> ! {
    // SAFETY: raw syscalls only.
    unsafe {
        // Drop the spawn's error pipe and the logs (the task holds its own copies),
        // all but the FIFO read ends it holds for the task and the exit file.
        let mut kept = [keep[0], keep[1], exit_fd];
        kept.sort_unstable();
        close_fds_except(&kept);
        let status = wait_child(task);
        if exit_fd >= 0 {
            write_exit_status(exit_fd, status);
        }
        libc::kill(init, libc::SIGKILL);
        libc::waitpid(init, std::ptr::null_mut(), 0);
        mirror_exit(status)
    }
}
