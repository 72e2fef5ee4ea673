//! Task log files: `<alloc>/alloc/logs/<task>.<stdout|stderr>.<n>`, rotated per the
//! task's `logs` block (`max_files`, `max_file_size` MB). The file with the highest
//! `n` is the current one; when it reaches the size limit the next index is
//! opened and the oldest files beyond `max_files` are deleted, as Nomad's logmon does.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use nomad_region::structs::LogConfig;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::error::{ClientError, Result};

/// Nomad's default `max_files`.
pub const DEFAULT_MAX_FILES: u32 = 10;
/// Nomad's default `max_file_size`, MB.
pub const DEFAULT_MAX_FILE_SIZE_MB: u64 = 10;

/// The indexes of `<task>.<stream>.<n>` files in `log_dir`, ascending.
pub fn log_indexes(log_dir: &Path, task: &str, stream: &str) -> Vec<u32> {
    let prefix = format!("{task}.{stream}.");
    let mut idx: Vec<u32> = std::fs::read_dir(log_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix(&prefix)?.parse().ok())
        .collect();
    idx.sort_unstable();
    idx
}

/// The path of log file `index` of `task`'s `stream` (`stdout` or `stderr`).
pub fn log_path(log_dir: &Path, task: &str, stream: &str, index: u32) -> PathBuf {
    log_dir.join(format!("{task}.{stream}.{index}"))
}

/// Writes one stream of one task, rotating files.
#[derive(Debug)]
pub struct LogRotator {
    dir: PathBuf,
    task: String,
    stream: String,
    max_files: u32,
    max_bytes: u64,
    index: u32,
    file: File,
    size: u64,
}

impl LogRotator {
    /// Opens (appending to) the newest file of `task`'s `stream` in `dir`.
    pub fn open(dir: &Path, task: &str, stream: &str, config: Option<&LogConfig>) -> Result<Self> {
        let max_files = config
            .and_then(|c| c.max_files)
            .filter(|n| *n > 0)
            .map_or(DEFAULT_MAX_FILES, |n| n as u32);
        let max_mb = config
            .and_then(|c| c.max_file_size_mb)
            .filter(|n| *n > 0)
            .map_or(DEFAULT_MAX_FILE_SIZE_MB, |n| n as u64);
        Self::with_limits(dir, task, stream, max_files, max_mb * 1024 * 1024)
    }

    /// Opens with explicit limits (bytes, not MB: tests rotate small files).
    pub fn with_limits(
        dir: &Path,
        task: &str,
        stream: &str,
        max_files: u32,
        max_bytes: u64,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| ClientError::io("create log dir", dir, e))?;
        let index = log_indexes(dir, task, stream).last().copied().unwrap_or(0);
        let (file, size) = open_append(&log_path(dir, task, stream, index))?;
        let mut r = Self {
            dir: dir.to_path_buf(),
            task: task.to_string(),
            stream: stream.to_string(),
            max_files: max_files.max(1),
            max_bytes: max_bytes.max(1),
            index,
            file,
            size,
        };
        r.purge();
        Ok(r)
    }

    /// Writes `buf`, splitting it across files at the size limit.
    pub fn write_all(&mut self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            if self.size >= self.max_bytes {
                self.rotate()?;
            }
            let room = (self.max_bytes - self.size) as usize;
            let n = room.min(buf.len());
            let path = self.current_path();
            self.file
                .write_all(&buf[..n])
                .map_err(|e| ClientError::io("write log", path, e))?;
            self.size += n as u64;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// The file being written.
    pub fn current_path(&self) -> PathBuf {
        log_path(&self.dir, &self.task, &self.stream, self.index)
    }

    fn rotate(&mut self) -> Result<()> {
        self.index += 1;
        let (file, size) = open_append(&self.current_path())?;
        self.file = file;
        self.size = size;
        self.purge();
        Ok(())
    }

    /// Deletes the oldest files so that at most `max_files` remain.
    fn purge(&mut self) {
        let idx = log_indexes(&self.dir, &self.task, &self.stream);
        let excess = idx.len().saturating_sub(self.max_files as usize);
        for i in &idx[..excess] {
            // A file that is already gone is fine.
            let _ = std::fs::remove_file(log_path(&self.dir, &self.task, &self.stream, *i));
        }
    }

    /// Copies `reader` into the log files until it closes.
    pub async fn pump(mut self, mut reader: impl AsyncRead + Unpin) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if let Err(e) = self.write_all(&buf[..n]) {
                        tracing::warn!(error = %e, "dropping task log output");
                    }
                }
            }
        }
    }
}

fn open_append(path: &Path) -> Result<(File, u64)> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| ClientError::io("open log", path, e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((file, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(dir: &Path, i: u32) -> String {
        std::fs::read_to_string(log_path(dir, "web", "stdout", i)).unwrap()
    }

    #[test]
    fn rotates_at_size_and_keeps_max_files() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = LogRotator::with_limits(tmp.path(), "web", "stdout", 2, 4).unwrap();
        r.write_all(b"abcdefghij").unwrap();
        // 0: abcd, 1: efgh, 2: ij; only the newest two remain.
        assert_eq!(log_indexes(tmp.path(), "web", "stdout"), vec![1, 2]);
        assert_eq!(read(tmp.path(), 1), "efgh");
        assert_eq!(read(tmp.path(), 2), "ij");
        assert_eq!(r.current_path(), log_path(tmp.path(), "web", "stdout", 2));
    }

    #[test]
    fn reopen_appends_to_newest_file() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = LogRotator::with_limits(tmp.path(), "web", "stdout", 5, 100).unwrap();
        r.write_all(b"one\n").unwrap();
        drop(r);
        let mut r = LogRotator::with_limits(tmp.path(), "web", "stdout", 5, 100).unwrap();
        r.write_all(b"two\n").unwrap();
        assert_eq!(read(tmp.path(), 0), "one\ntwo\n");
        assert!(log_indexes(tmp.path(), "web", "stderr").is_empty());
    }

    #[test]
    fn defaults_from_log_config() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = LogConfig {
            max_files: Some(3),
            max_file_size_mb: Some(1),
            disabled: false,
            ..Default::default()
        };
        let r = LogRotator::open(tmp.path(), "t", "stderr", Some(&cfg)).unwrap();
        assert_eq!((r.max_files, r.max_bytes), (3, 1024 * 1024));
        let r = LogRotator::open(tmp.path(), "t", "stderr", None).unwrap();
        assert_eq!((r.max_files, r.max_bytes), (10, 10 * 1024 * 1024));
    }

    #[tokio::test]
    async fn pump_copies_until_eof() {
        let tmp = tempfile::tempdir().unwrap();
        let r = LogRotator::with_limits(tmp.path(), "web", "stdout", 3, 1000).unwrap();
        r.pump(&b"hello from the pipe\n"[..]).await;
        assert_eq!(read(tmp.path(), 0), "hello from the pipe\n");
    }
}
