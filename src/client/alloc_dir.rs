//! An allocation's directory tree, as Nomad lays it out:
//!
//! ```text
//! <data_dir>/alloc/<alloc_id>/
//!   alloc/        shared by the group's tasks (NOMAD_ALLOC_DIR)
//!     logs/       <task>.stdout.N / <task>.stderr.N
//!     tmp/  data/
//!   <task>/       the task's working directory
//!     local/      NOMAD_TASK_DIR
//!     secrets/    NOMAD_SECRETS_DIR (mode 0700)
//!     tmp/
//! ```

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::error::{ClientError, Result};

/// Paths of one allocation's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocDir {
    root: PathBuf,
}

impl AllocDir {
    /// The directory of `alloc_id` under `alloc_root` (not created yet).
    pub fn new(alloc_root: &Path, alloc_id: &str) -> Self {
        Self {
            root: alloc_root.join(alloc_id),
        }
    }

    /// `<alloc_root>/<alloc_id>`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The shared `alloc/logs` directory.
    pub fn log_dir(&self) -> PathBuf {
        self.root.join("alloc").join("logs")
    }

    /// A task's working directory.
    pub fn task_dir(&self, task: &str) -> PathBuf {
        self.root.join(task)
    }

    /// Creates the shared directories.
    pub fn build(&self) -> Result<()> {
        for sub in ["alloc/logs", "alloc/tmp", "alloc/data"] {
            mkdir(&self.root.join(sub))?;
        }
        Ok(())
    }

    /// Creates a task's directories.
    pub fn build_task(&self, task: &str) -> Result<PathBuf> {
        let dir = self.task_dir(task);
        for sub in ["local", "tmp", "secrets"] {
            mkdir(&dir.join(sub))?;
        }
        let secrets = dir.join("secrets");
        std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| ClientError::io("chmod", &secrets, e))?;
        Ok(dir)
    }

    /// Removes everything (allocation garbage-collected).
    pub fn destroy(&self) -> Result<()> {
        match std::fs::remove_dir_all(&self.root) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(ClientError::io("remove", &self.root, e))
            }
            _ => Ok(()),
        }
    }
}

fn mkdir(p: &Path) -> Result<()> {
    std::fs::create_dir_all(p).map_err(|e| ClientError::io("create directory", p, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_destroys_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let d = AllocDir::new(tmp.path(), "a1");
        d.build().unwrap();
        let t = d.build_task("web").unwrap();
        assert!(d.log_dir().is_dir());
        assert!(t.join("local").is_dir());
        let mode = std::fs::metadata(t.join("secrets"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        d.destroy().unwrap();
        assert!(!d.root().exists());
        d.destroy().unwrap();
    }
}
