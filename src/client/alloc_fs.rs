//! Reading an allocation's directory for `alloc fs` and `/v1/client/fs/*`: a request
//! path (relative to the allocation directory, `/` its root) resolved to a host path
//! that cannot leave the directory, neither through `..` nor through a symlink, and
//! Nomad's `AllocFileInfo` for listings and stat.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a file request failed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FsError {
    /// The path points outside the allocation directory.
    #[error("Alloc path {0:?} escapes the alloc directory")]
    Escapes(String),
    /// Nothing there.
    #[error("no such file or directory: {0:?}")]
    NotFound(String),
    /// A directory where a file was wanted.
    #[error("{0:?} is a directory")]
    IsDirectory(String),
    /// The OS refused.
    #[error("{0}")]
    Io(String),
}

/// Nomad's `AllocFileInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocFileInfo {
    pub name: String,
    pub is_dir: bool,
    pub size: u64,
    /// Go's `FileMode.String()`, e.g. `drwxr-xr-x`.
    pub file_mode: String,
    /// RFC 3339.
    pub mod_time: String,
    pub content_type: String,
}

/// The host path of `rel` inside the allocation directory `root`. `..` may not climb
/// above `root`, and what the path finally names (after symlinks) must lie within it.
pub fn resolve(root: &Path, rel: &str) -> Result<PathBuf, FsError> {
    let mut clean = PathBuf::new();
    for c in Path::new(rel).components() {
        match c {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                if !clean.pop() {
                    return Err(FsError::Escapes(rel.to_string()));
                }
            }
            Component::Normal(part) => clean.push(part),
        }
    }
    let path = root.join(&clean);
    let real_root = root
        .canonicalize()
        .map_err(|_| FsError::NotFound(rel.to_string()))?;
    match path.canonicalize() {
        Ok(real) if real.starts_with(&real_root) => Ok(path),
        Ok(_) => Err(FsError::Escapes(rel.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(FsError::NotFound(rel.to_string()))
        }
        Err(e) => Err(FsError::Io(e.to_string())),
    }
}

/// Go's `FileMode.String()` for `meta`.
pub fn mode_string(meta: &std::fs::Metadata) -> String {
    let ft = meta.file_type();
    let kind = if ft.is_dir() {
        'd'
    } else if ft.is_symlink() {
        'L'
    } else if ft.is_fifo() {
        'p'
    } else if ft.is_socket() {
        'S'
    } else if ft.is_block_device() {
        'D'
    } else if ft.is_char_device() {
        'c'
    } else {
        '-'
    };
    let mode = meta.permissions().mode();
    let mut s = String::with_capacity(10);
    s.push(kind);
    for (bit, ch) in [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ] {
        s.push(if mode & bit != 0 { ch } else { '-' });
    }
    s
}

fn content_type(path: &Path, meta: &std::fs::Metadata) -> String {
    if meta.is_dir() {
        return String::new();
    }
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    let head = &head[..n];
    if head.is_empty() || (std::str::from_utf8(head).is_ok() && !head.contains(&0)) {
        "text/plain; charset=utf-8".into()
    } else {
        "application/octet-stream".into()
    }
}

fn info(name: String, path: &Path) -> Result<AllocFileInfo, FsError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| FsError::Io(e.to_string()))?;
    let mod_time = meta
        .modified()
        .ok()
        .map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
        })
        .unwrap_or_default();
    Ok(AllocFileInfo {
        name,
        is_dir: meta.is_dir(),
        size: meta.len(),
        file_mode: mode_string(&meta),
        mod_time,
        content_type: content_type(path, &meta),
    })
}

/// `stat` of `rel`.
pub fn stat(root: &Path, rel: &str) -> Result<AllocFileInfo, FsError> {
    let path = resolve(root, rel)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "/".into());
    info(name, &path)
}

/// The entries of directory `rel`, by name.
pub fn list(root: &Path, rel: &str) -> Result<Vec<AllocFileInfo>, FsError> {
    let path = resolve(root, rel)?;
    let entries = std::fs::read_dir(&path).map_err(|e| match e.raw_os_error() {
        Some(libc::ENOTDIR) => FsError::Io(format!("{rel:?} is not a directory")),
        _ => FsError::Io(e.to_string()),
    })?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Ok(i) = info(name, &entry.path()) {
            out.push(i);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The file `rel` names, for reading (directories refused).
pub fn open_file(root: &Path, rel: &str) -> Result<PathBuf, FsError> {
    let path = resolve(root, rel)?;
    if path.is_dir() {
        return Err(FsError::IsDirectory(rel.to_string()));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("alloc/logs")).unwrap();
        std::fs::create_dir_all(tmp.path().join("web/local")).unwrap();
        std::fs::write(tmp.path().join("web/local/out.txt"), "hello\n").unwrap();
        tmp
    }

    #[test]
    fn paths_stay_inside_the_alloc_dir() {
        let tmp = alloc();
        let root = tmp.path();
        assert_eq!(resolve(root, "/").unwrap(), root);
        assert_eq!(resolve(root, "").unwrap(), root);
        assert_eq!(
            resolve(root, "web/local/../local/out.txt").unwrap(),
            root.join("web/local/out.txt")
        );
        for bad in [
            "..",
            "../",
            "/../etc/passwd",
            "web/../../x",
            "alloc/../../..",
        ] {
            assert_eq!(
                resolve(root, bad),
                Err(FsError::Escapes(bad.to_string())),
                "{bad}"
            );
        }
        // A symlink pointing out is refused too; one pointing within is fine.
        std::os::unix::fs::symlink("/etc", root.join("web/local/etc")).unwrap();
        assert!(matches!(
            resolve(root, "web/local/etc/passwd"),
            Err(FsError::Escapes(_))
        ));
        std::os::unix::fs::symlink(root.join("alloc"), root.join("web/shared")).unwrap();
        assert!(resolve(root, "web/shared/logs").is_ok());
        assert!(matches!(
            resolve(root, "web/nope"),
            Err(FsError::NotFound(_))
        ));
    }

    #[test]
    fn lists_and_stats_like_nomad() {
        let tmp = alloc();
        let root = tmp.path();
        let names: Vec<String> = list(root, "/")
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, ["alloc", "web"]);
        let dir = &list(root, "web").unwrap()[0];
        assert!(dir.is_dir && dir.file_mode.starts_with('d'), "{dir:?}");
        let f = stat(root, "web/local/out.txt").unwrap();
        assert_eq!((f.name.as_str(), f.size, f.is_dir), ("out.txt", 6, false));
        assert!(f.file_mode.starts_with('-'), "{f:?}");
        assert_eq!(f.content_type, "text/plain; charset=utf-8");
        assert!(f.mod_time.ends_with('Z'), "{f:?}");
        assert!(matches!(
            open_file(root, "web"),
            Err(FsError::IsDirectory(_))
        ));
        assert!(list(root, "web/local/out.txt").is_err());
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["IsDir"], false);
        assert_eq!(v["FileMode"].as_str().map(str::len), Some(10));
    }
}
