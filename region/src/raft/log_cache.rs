//! `LogCache`: the newest log entries in memory, beside sled.
//!
//! openraft reads every entry back from the log store twice: to replicate it and to apply it. Both
//! happen shortly after the append, so the log store keeps the newest entries here, written
//! through on append and dropped on truncate and purge; a read that the cache covers entirely is
//! served from it (an entry is an `Arc`'d payload, so a read copies pointers), anything else
//! from sled. The proposer's entries keep their decoded commands here, so the leader applies them
//! without decoding.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::{Entry, EntryPayload};

use super::TypeConfig;

/// At most this many entries are kept (enough for replication and apply to find theirs; a
/// follower further behind reads sled; the proposer's entries also hold their decoded commands).
const MAX_ENTRIES: usize = 64;
/// At most this many encoded payload bytes are kept (a large plan entry is a few MB).
const MAX_BYTES: usize = 32 << 20;

#[derive(Default)]
struct Inner {
    entries: BTreeMap<u64, Entry<TypeConfig>>,
    bytes: usize,
}

/// Shared by a log store and its readers.
#[derive(Clone, Default)]
pub(super) struct LogCache {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for LogCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        write!(f, "LogCache({} entries)", inner.entries.len())
    }
}

fn size(entry: &Entry<TypeConfig>) -> usize {
    match &entry.payload {
        EntryPayload::Normal(batch) => batch.encoded_len(),
        _ => 0,
    }
}

impl LogCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding it leaves the map consistent (single inserts/removes).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds appended entries (in index order), evicting the oldest beyond the limits.
    pub fn append(&self, entries: &[Entry<TypeConfig>]) {
        let mut inner = self.lock();
        for e in entries {
            inner.bytes += size(e);
            if let Some(old) = inner.entries.insert(e.log_id.index, e.clone()) {
                inner.bytes -= size(&old);
            }
        }
        while inner.entries.len() > MAX_ENTRIES || inner.bytes > MAX_BYTES {
            let Some((_, old)) = inner.entries.pop_first() else {
                break;
            };
            inner.bytes -= size(&old);
        }
    }

    /// Entries `start..end` (`end` None: through the newest), when every one is cached.
    pub fn range(&self, start: u64, end: Option<u64>) -> Option<Vec<Entry<TypeConfig>>> {
        let inner = self.lock();
        let (&first, _) = inner.entries.first_key_value()?;
        let (&last, _) = inner.entries.last_key_value()?;
        let end = end.unwrap_or(last + 1);
        if start >= end {
            return Some(Vec::new());
        }
        // Appends are contiguous and the cache is written through, so covering both ends of
        // the range means holding all of it; the count check guards that assumption.
        if start < first || end > last + 1 {
            return None;
        }
        let out: Vec<_> = inner
            .entries
            .range(start..end)
            .map(|(_, e)| e.clone())
            .collect();
        (out.len() as u64 == end - start).then_some(out)
    }

    /// Drops entries at `index` and after (a truncated log).
    pub fn truncate_from(&self, index: u64) {
        let mut inner = self.lock();
        let removed = inner.entries.split_off(&index);
        inner.bytes -= removed.values().map(size).sum::<usize>();
    }

    /// Drops entries up to and including `index` (a purged log).
    pub fn purge_through(&self, index: u64) {
        let mut inner = self.lock();
        let kept = inner.entries.split_off(&(index + 1));
        let removed = std::mem::replace(&mut inner.entries, kept);
        inner.bytes -= removed.values().map(size).sum::<usize>();
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, LogId};

    use super::*;
    use crate::raft::CommandBatch;
    use crate::state::Command;

    fn entry(index: u64) -> Entry<TypeConfig> {
        let cmd = Command::EvalUpsert { evals: Vec::new() };
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 0), index),
            payload: EntryPayload::Normal(CommandBatch::new(vec![cmd]).unwrap()),
        }
    }

    fn indexes(v: Option<Vec<Entry<TypeConfig>>>) -> Option<Vec<u64>> {
        v.map(|v| v.iter().map(|e| e.log_id.index).collect())
    }

    #[test]
    fn serves_only_ranges_it_holds_entirely() {
        let c = LogCache::default();
        assert_eq!(indexes(c.range(1, None)), None);
        c.append(&(5..10).map(entry).collect::<Vec<_>>());
        assert_eq!(indexes(c.range(6, Some(8))), Some(vec![6, 7]));
        assert_eq!(indexes(c.range(7, None)), Some(vec![7, 8, 9]));
        assert_eq!(indexes(c.range(4, Some(6))), None);
        assert_eq!(indexes(c.range(8, Some(11))), None);
        assert_eq!(indexes(c.range(10, None)), Some(vec![]));
    }

    #[test]
    fn truncate_and_purge_drop_their_entries() {
        let c = LogCache::default();
        c.append(&(1..10).map(entry).collect::<Vec<_>>());
        c.truncate_from(7);
        assert_eq!(indexes(c.range(5, None)), Some(vec![5, 6]));
        c.append(&[entry(7)]);
        c.purge_through(3);
        assert_eq!(indexes(c.range(3, None)), None);
        assert_eq!(indexes(c.range(4, None)), Some(vec![4, 5, 6, 7]));
        c.purge_through(100);
        assert_eq!(indexes(c.range(4, None)), None);
        assert_eq!(c.lock().bytes, 0);
    }

    #[test]
    fn the_oldest_entries_go_first_beyond_the_limit() {
        let c = LogCache::default();
        c.append(
            &(0..(MAX_ENTRIES as u64 + 10))
                .map(entry)
                .collect::<Vec<_>>(),
        );
        assert_eq!(c.lock().entries.len(), MAX_ENTRIES);
        assert_eq!(indexes(c.range(9, Some(10))), None);
        assert_eq!(indexes(c.range(10, Some(11))), Some(vec![10]));
    }
}
