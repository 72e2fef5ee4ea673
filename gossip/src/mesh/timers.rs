//! The driver's timer queue: core timers ordered by deadline, ties in the
//! order they were set.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::core::CoreTimer;

struct Entry {
    at: Instant,
    seq: u64,
    timer: CoreTimer,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl TimerQueue {
    pub(crate) fn push(&mut self, at: Instant, timer: CoreTimer) {
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            timer,
        }));
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<CoreTimer> {
        if self.next_deadline()? <= now {
            self.heap.pop().map(|Reverse(e)| e.timer)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_then_insertion_order() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        q.push(t0 + Duration::from_secs(2), CoreTimer::Sync);
        q.push(t0 + Duration::from_secs(1), CoreTimer::Housekeeping);
        q.push(t0 + Duration::from_secs(1), CoreTimer::FinishLeave);
        assert_eq!(q.pop_due(t0), None);
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(q.pop_due(t1), Some(CoreTimer::Housekeeping));
        assert_eq!(q.pop_due(t1), Some(CoreTimer::FinishLeave));
        assert_eq!(q.pop_due(t1), None);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_secs(2)));
    }
}
