//! The task's root filesystem, assembled in its task directory from host paths
//! (Nomad's default `chroot_env`) without copying: the agent creates the mount
//! points on the host beforehand, and the task's own process mounts into them
//! inside its private mount namespace (see `isolate`), so nothing is ever mounted
//! on the host and everything disappears with the namespace. The task then
//! `pivot_root`s into it and detaches the host's tree, so unlike a bare `chroot`
//! there is nothing outside to escape to.
//!
//! ```text
//! <task_dir>/            the task's "/"
//!   bin etc lib lib32 lib64 run/resolvconf sbin usr   read-only binds (or the
//!                        host's symlinks, e.g. bin -> usr/bin)
//!   alloc/               the allocation's shared dir (read-write bind)
//!   local/ secrets/ tmp/ the task's own dirs (already there)
//!   proc/                a fresh procfs of the task's PID namespace
//!   dev/                 tmpfs with null, zero, full, random, urandom, tty, shm, pts
//! ```

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::client::error::{ClientError, Result};

/// Nomad's default `chroot_env`: host paths made visible at the same place.
pub const CHROOT_ENV: &[&str] = &[
    "/bin",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/run/resolvconf",
    "/sbin",
    "/usr",
];

/// Device nodes bound from the host into the task's `/dev`.
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// One step of building the root, run by the task's process before `chroot`.
/// Paths are prepared here because the process running them may not allocate.
#[derive(Debug)]
pub enum MountOp {
    /// `mount(2)`.
    Mount {
        /// Source (device, host path or fs name).
        source: CString,
        /// Mount point.
        target: CString,
        /// Filesystem type (`None` for binds).
        fstype: Option<CString>,
        /// `MS_*` flags.
        flags: libc::c_ulong,
        /// Filesystem options.
        data: Option<CString>,
    },
    /// Creates an empty file to bind a device over.
    Touch(CString),
    /// Creates a directory.
    Mkdir(CString),
    /// Creates a symbolic link `link` -> `target`.
    Symlink {
        /// What the link points at.
        target: CString,
        /// The link.
        link: CString,
    },
}

/// Everything needed to enter the root.
#[derive(Debug)]
pub struct ChrootPlan {
    /// The task dir: becomes `/`.
    pub root: CString,
    /// Steps to run inside the mount namespace, in order.
    pub ops: Vec<MountOp>,
}

fn cstr(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| ClientError::TaskConfig(format!("path {} contains a NUL", p.display())))
}

fn lit(s: &str) -> CString {
    // Only called with literals, which have no NUL.
    CString::new(s).unwrap_or_default()
}

fn io<'a>(context: &'static str, p: &'a Path) -> impl FnOnce(std::io::Error) -> ClientError + 'a {
    move |e| ClientError::io(context, p, e)
}

/// Creates the mount points in `task_dir` and plans the mounts. `alloc_dir` is the
/// allocation's shared dir (bound at `/alloc`); `owner` (uid, gid) gets the task's
/// own `local` and `secrets` so a non-root task can write them.
pub fn prepare(task_dir: &Path, alloc_dir: Option<&Path>, owner: (u32, u32)) -> Result<ChrootPlan> {
    // The root must be a mount point of its own to pivot into; the binds below land
    // on this one.
    let mut ops = vec![MountOp::Mount {
        source: cstr(task_dir)?,
        target: cstr(task_dir)?,
        fstype: None,
        flags: libc::MS_BIND | libc::MS_REC,
        data: None,
    }];
    let bind = |src: &Path, dst: &Path, read_only: bool, ops: &mut Vec<MountOp>| -> Result<()> {
        ops.push(MountOp::Mount {
            source: cstr(src)?,
            target: cstr(dst)?,
            fstype: None,
            flags: libc::MS_BIND | libc::MS_REC,
            data: None,
        });
        if read_only {
            // A bind only becomes read-only by remounting it.
            ops.push(MountOp::Mount {
                source: lit("none"),
                target: cstr(dst)?,
                fstype: None,
                flags: libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                data: None,
            });
        }
        Ok(())
    };
    for host in CHROOT_ENV {
        let host = Path::new(host);
        let inside = task_dir.join(host.strip_prefix("/").unwrap_or(host));
        let Ok(meta) = std::fs::symlink_metadata(host) else {
            continue; // Not on this host (e.g. /lib32).
        };
        if let Some(parent) = inside.parent() {
            std::fs::create_dir_all(parent).map_err(io("create directory", parent))?;
        }
        if meta.file_type().is_symlink() {
            // Keep merged-/usr layouts as they are: bin -> usr/bin resolves inside.
            let target = std::fs::read_link(host).map_err(io("read link", host))?;
            match std::fs::symlink_metadata(&inside) {
                Ok(_) => {}
                Err(_) => std::os::unix::fs::symlink(&target, &inside)
                    .map_err(io("create symlink", &inside))?,
            }
        } else if meta.is_dir() {
            std::fs::create_dir_all(&inside).map_err(io("create directory", &inside))?;
            bind(host, &inside, true, &mut ops)?;
        }
    }
    if let Some(alloc) = alloc_dir {
        // Shared with the group's other tasks, whoever they run as (Nomad's 0777).
        for sub in ["data", "tmp"] {
            let d = alloc.join(sub);
            if d.is_dir() {
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777))
                    .map_err(io("chmod", &d))?;
            }
        }
        let inside = task_dir.join("alloc");
        std::fs::create_dir_all(&inside).map_err(io("create directory", &inside))?;
        bind(alloc, &inside, false, &mut ops)?;
    }
    let proc_dir = task_dir.join("proc");
    std::fs::create_dir_all(&proc_dir).map_err(io("create directory", &proc_dir))?;
    ops.push(MountOp::Mount {
        source: lit("proc"),
        target: cstr(&proc_dir)?,
        fstype: Some(lit("proc")),
        flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        data: None,
    });
    dev_ops(task_dir, &mut ops)?;
    for (sub, mode) in [("local", 0o755), ("secrets", 0o700), ("tmp", 0o1777)] {
        let d = task_dir.join(sub);
        std::fs::create_dir_all(&d).map_err(io("create directory", &d))?;
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode))
            .map_err(io("chmod", &d))?;
        if sub != "tmp" {
            std::os::unix::fs::chown(&d, Some(owner.0), Some(owner.1)).map_err(io("chown", &d))?;
        }
    }
    Ok(ChrootPlan {
        root: cstr(task_dir)?,
        ops,
    })
}

/// A small tmpfs `/dev` holding binds of the harmless host devices.
fn dev_ops(task_dir: &Path, ops: &mut Vec<MountOp>) -> Result<()> {
    let dev = task_dir.join("dev");
    std::fs::create_dir_all(&dev).map_err(io("create directory", &dev))?;
    let at = |s: &str| -> Result<CString> { cstr(&dev.join(s)) };
    ops.push(MountOp::Mount {
        source: lit("tmpfs"),
        target: cstr(&dev)?,
        fstype: Some(lit("tmpfs")),
        flags: libc::MS_NOSUID | libc::MS_STRICTATIME,
        data: Some(lit("mode=755,size=65536k")),
    });
    for d in DEVICES {
        let host = PathBuf::from("/dev").join(d);
        if !host.exists() {
            continue;
        }
        ops.push(MountOp::Touch(at(d)?));
        ops.push(MountOp::Mount {
            source: cstr(&host)?,
            target: at(d)?,
            fstype: None,
            flags: libc::MS_BIND,
            data: None,
        });
    }
    ops.push(MountOp::Mkdir(at("shm")?));
    ops.push(MountOp::Mount {
        source: lit("shm"),
        target: at("shm")?,
        fstype: Some(lit("tmpfs")),
        flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        data: Some(lit("mode=1777,size=65536k")),
    });
    ops.push(MountOp::Mkdir(at("pts")?));
    ops.push(MountOp::Mount {
        source: lit("devpts"),
        target: at("pts")?,
        fstype: Some(lit("devpts")),
        flags: libc::MS_NOSUID | libc::MS_NOEXEC,
        data: Some(lit("newinstance,ptmxmode=0666,mode=0620")),
    });
    for (target, link) in [
        ("pts/ptmx", "ptmx"),
        ("/proc/self/fd", "fd"),
        ("/proc/self/fd/0", "stdin"),
        ("/proc/self/fd/1", "stdout"),
        ("/proc/self/fd/2", "stderr"),
    ] {
        ops.push(MountOp::Symlink {
            target: lit(target),
            link: at(link)?,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_binds_for_host_dirs_and_copies_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let alloc = tmp.path().join("alloc");
        std::fs::create_dir_all(&alloc).unwrap();
        let task = tmp.path().join("web");
        let plan = prepare(&task, Some(&alloc), (0, 0)).unwrap();
        for host in CHROOT_ENV {
            let host = Path::new(host);
            let inside = task.join(host.strip_prefix("/").unwrap());
            match std::fs::symlink_metadata(host) {
                Ok(m) if m.file_type().is_symlink() => assert_eq!(
                    std::fs::read_link(&inside).unwrap(),
                    std::fs::read_link(host).unwrap()
                ),
                Ok(m) if m.is_dir() => assert!(inside.is_dir(), "{} missing", inside.display()),
                _ => assert!(!inside.exists()),
            }
        }
        let targets: Vec<String> = plan
            .ops
            .iter()
            .filter_map(|o| match o {
                MountOp::Mount { target, .. } => Some(target.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let has = |p: &Path| targets.contains(&p.to_string_lossy().into_owned());
        assert!(has(&task.join("etc")), "etc is a real dir on every host");
        assert!(has(&task.join("alloc")) && has(&task.join("proc")) && has(&task.join("dev")));
        let tmp_mode = std::fs::metadata(task.join("tmp"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(tmp_mode & 0o7777, 0o1777);
        // Preparing again (a restarted task) keeps working.
        prepare(&task, Some(&alloc), (0, 0)).unwrap();
    }
}
