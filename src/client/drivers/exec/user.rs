//! The task's `user`, looked up in the host's `/etc/passwd` (the file the task's
//! chroot shows too). `exec` runs tasks as `nobody` unless told otherwise, as Nomad.

use std::path::Path;

use crate::client::error::{ClientError, Result};

/// The user `exec` runs a task as when the task sets none.
pub const DEFAULT_USER: &str = "nobody";

/// A resolved user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// User ID.
    pub uid: u32,
    /// Primary group ID.
    pub gid: u32,
    /// Home directory (for `HOME`).
    pub home: String,
}

/// Finds `name` (or a numeric uid) in the passwd file at `path`.
pub fn lookup_in(path: &Path, name: &str) -> Result<User> {
    let text = std::fs::read_to_string(path).map_err(|e| ClientError::io("read", path, e))?;
    let numeric: Option<u32> = name.parse().ok();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(User {
                name: f.first()?.to_string(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                home: f.get(5).unwrap_or(&"/").to_string(),
            })
        })
        .find(|u| u.name == name || numeric == Some(u.uid))
        .ok_or_else(|| {
            ClientError::TaskConfig(format!("failed to identify user {name:?}: no such user"))
        })
}

/// Finds `name` (empty: `nobody`) in `/etc/passwd`.
pub fn lookup(name: &str) -> Result<User> {
    let name = if name.is_empty() { DEFAULT_USER } else { name };
    lookup_in(Path::new("/etc/passwd"), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_name_or_uid() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("passwd");
        std::fs::write(
            &p,
            "# comment\nroot:x:0:0:root:/root:/bin/sh\nbroken\nnobody:x:65534:65533:nobody:/nonexistent:/usr/sbin/nologin\n",
        )
        .unwrap();
        let n = lookup_in(&p, "nobody").unwrap();
        assert_eq!(
            (n.uid, n.gid, n.home.as_str()),
            (65534, 65533, "/nonexistent")
        );
        assert_eq!(lookup_in(&p, "0").unwrap().name, "root");
        let e = lookup_in(&p, "ghost").unwrap_err().to_string();
        assert!(e.contains("failed to identify user \"ghost\""), "{e}");
    }
}
