//! Reading a task's rotated log files (`<task>.<type>.<n>`) as one continuous stream from a byte position
//! (`origin` start or end, `offset`), in chunks, optionally following new output. The handler in
//! [`super::client_fs`] turns chunks into plain bytes or Nomad's JSON frames.

use std::io::SeekFrom;
use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::client::logs::{log_indexes, log_path};

/// Largest chunk read at once.
const CHUNK: usize = 64 * 1024;

/// Where reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Start,
    End,
}

/// A chunk of log output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Path of the file relative to the allocation dir, e.g. `alloc/logs/web.stdout.0`.
    pub file: String,
    /// Offset in that file just after `data`.
    pub offset: u64,
    pub data: Vec<u8>,
}

/// A cursor over one task stream's log files.
#[derive(Debug)]
pub struct LogCursor {
    dir: PathBuf,
    task: String,
    kind: String,
    /// Current file index and position in it.
    index: u32,
    pos: u64,
}

impl LogCursor {
    /// Positions a cursor `offset` bytes from the start or the end of the whole stream.
    pub async fn open(
        dir: PathBuf,
        task: &str,
        kind: &str,
        origin: Origin,
        offset: u64,
    ) -> LogCursor {
        let indexes = log_indexes(&dir, task, kind);
        let mut sizes = Vec::with_capacity(indexes.len());
        for i in &indexes {
            let len = tokio::fs::metadata(log_path(&dir, task, kind, *i))
                .await
                .map(|m| m.len())
                .unwrap_or(0);
            sizes.push((*i, len));
        }
        let total: u64 = sizes.iter().map(|(_, l)| l).sum();
        let mut target = match origin {
            Origin::Start => offset.min(total),
            Origin::End => total.saturating_sub(offset),
        };
        let mut at = (indexes.first().copied().unwrap_or(0), 0);
        for (i, len) in &sizes {
            at = (*i, target.min(*len));
            if target <= *len {
                break;
            }
            target -= len;
        }
        LogCursor {
            dir,
            task: task.to_string(),
            kind: kind.to_string(),
            index: at.0,
            pos: at.1,
        }
    }

    fn rel_name(&self) -> String {
        format!("alloc/logs/{}.{}.{}", self.task, self.kind, self.index)
    }

    /// The next chunk, or `None` when everything written so far has been read.
    pub async fn next_chunk(&mut self) -> std::io::Result<Option<Chunk>> {
        loop {
            let path = log_path(&self.dir, &self.task, &self.kind, self.index);
            let mut data = Vec::new();
            match tokio::fs::File::open(&path).await {
                Ok(mut f) => {
                    f.seek(SeekFrom::Start(self.pos)).await?;
                    let mut limited = (&mut f).take(CHUNK as u64);
                    limited.read_to_end(&mut data).await?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if !data.is_empty() {
                self.pos += data.len() as u64;
                return Ok(Some(Chunk {
                    file: self.rel_name(),
                    offset: self.pos,
                    data,
                }));
            }
            // At the end of this file: move on if the writer has rotated to a newer one.
            let next = log_indexes(&self.dir, &self.task, &self.kind)
                .into_iter()
                .find(|i| *i > self.index);
            match next {
                Some(i) => {
                    self.index = i;
                    self.pos = 0;
                }
                None => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(c: &mut LogCursor) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = c.next_chunk().await? {
            out.extend(chunk.data);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn reads_across_rotated_files_from_start_and_end() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("web.stdout.0"), b"hello ")?;
        std::fs::write(dir.path().join("web.stdout.1"), b"world\n")?;
        std::fs::write(dir.path().join("web.stderr.0"), b"oops")?;
        let d = dir.path().to_path_buf();
        let mut c = LogCursor::open(d.clone(), "web", "stdout", Origin::Start, 0).await;
        assert_eq!(read_all(&mut c).await?, b"hello world\n");
        let mut c = LogCursor::open(d.clone(), "web", "stdout", Origin::Start, 3).await;
        assert_eq!(read_all(&mut c).await?, b"lo world\n");
        let mut c = LogCursor::open(d.clone(), "web", "stdout", Origin::End, 8).await;
        assert_eq!(read_all(&mut c).await?, b"o world\n");
        let mut c = LogCursor::open(d.clone(), "web", "stderr", Origin::End, 100).await;
        assert_eq!(read_all(&mut c).await?, b"oops");
        Ok(())
    }

    #[tokio::test]
    async fn follows_appended_output_and_names_files() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("t.stdout.0");
        std::fs::write(&file, b"a")?;
        let mut c =
            LogCursor::open(dir.path().to_path_buf(), "t", "stdout", Origin::Start, 0).await;
        let first = c.next_chunk().await?;
        assert_eq!(
            first,
            Some(Chunk {
                file: "alloc/logs/t.stdout.0".into(),
                offset: 1,
                data: b"a".to_vec()
            })
        );
        assert_eq!(c.next_chunk().await?, None);
        std::fs::write(&file, b"ab")?;
        assert_eq!(c.next_chunk().await?.map(|c| c.data), Some(b"b".to_vec()));
        Ok(())
    }

    #[tokio::test]
    async fn missing_files_read_as_empty() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut c = LogCursor::open(dir.path().to_path_buf(), "x", "stdout", Origin::End, 0).await;
        assert_eq!(c.next_chunk().await?, None);
        Ok(())
    }
}
