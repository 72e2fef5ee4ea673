//! Watches member events during a simulation: when each member first saw a
//! given change, and how many failures were false.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use nomad_gossip::{MemberEvent, MemberEventKind};

/// How fast a change reached the members: time until 50 %, 99 %, 99.9 % and
/// 100 % of them had seen it (None: never within the limit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub p999: Option<Duration>,
    pub p100: Option<Duration>,
}

type Predicate = Box<dyn Fn(&MemberEvent) -> bool>;

struct Watch {
    name: String,
    matches: Predicate,
    since: Duration,
    /// The member the change is about (its own view does not count).
    subject: Option<usize>,
    expected: usize,
    seen: BTreeMap<usize, Duration>,
}

#[derive(Default)]
pub(crate) struct Recorder {
    watch: Option<Watch>,
    /// Members killed on purpose: their failure is expected.
    killed: BTreeSet<String>,
    pub(crate) false_failures: u64,
}

impl Recorder {
    /// Starts watching for events about `name` that satisfy `matches`, as seen
    /// by `expected` observers other than `subject`.
    pub(crate) fn watch(
        &mut self,
        name: &str,
        since: Duration,
        subject: Option<usize>,
        expected: usize,
        matches: impl Fn(&MemberEvent) -> bool + 'static,
    ) {
        self.watch = Some(Watch {
            name: name.to_owned(),
            matches: Box::new(matches),
            since,
            subject,
            expected,
            seen: BTreeMap::new(),
        });
    }

    pub(crate) fn expect_failure_of(&mut self, name: &str) {
        self.killed.insert(name.to_owned());
    }

    pub(crate) fn on_event(&mut self, node: usize, at: Duration, event: &MemberEvent) {
        if event.kind == MemberEventKind::Failed && !self.killed.contains(&event.member.name) {
            self.false_failures += 1;
        }
        if let Some(w) = self.watch.as_mut()
            && event.member.name == w.name
            && w.subject != Some(node)
            && (w.matches)(event)
        {
            w.seen.entry(node).or_insert(at);
        }
    }

    /// True once every expected observer has seen the change.
    pub(crate) fn complete(&self) -> bool {
        self.watch
            .as_ref()
            .is_some_and(|w| w.seen.len() >= w.expected)
    }

    /// Ends the watch and summarises it.
    pub(crate) fn finish(&mut self) -> Spread {
        let Some(w) = self.watch.take() else {
            return Spread::default();
        };
        let mut times: Vec<Duration> = w.seen.values().map(|t| t.saturating_sub(w.since)).collect();
        times.sort();
        let at = |fraction: f64| {
            let need = ((fraction * w.expected as f64).ceil() as usize).max(1);
            times.get(need - 1).copied()
        };
        Spread {
            p50: at(0.5),
            p99: at(0.99),
            p999: at(0.999),
            p100: at(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomad_gossip::{Member, MemberMeta, MemberStatus};

    fn event(name: &str, kind: MemberEventKind) -> MemberEvent {
        let addr = "10.0.0.1:4648".parse().unwrap();
        let (node, region) = name.split_once('.').unwrap();
        MemberEvent {
            kind,
            member: Member {
                name: name.into(),
                addr,
                incarnation: 1,
                status: MemberStatus::Alive,
                meta: MemberMeta::new(node, region, "dc1", addr, addr),
            },
        }
    }

    #[test]
    fn spread_counts_first_sightings_per_observer() {
        let mut r = Recorder::default();
        r.watch("x.global", Duration::from_secs(10), Some(0), 4, |e| {
            e.kind == MemberEventKind::Joined
        });
        r.on_event(
            0,
            Duration::from_secs(10),
            &event("x.global", MemberEventKind::Joined),
        ); // subject: ignored
        r.on_event(
            1,
            Duration::from_secs(11),
            &event("x.global", MemberEventKind::Joined),
        );
        r.on_event(
            1,
            Duration::from_secs(19),
            &event("x.global", MemberEventKind::Joined),
        ); // repeat: ignored
        r.on_event(
            2,
            Duration::from_secs(12),
            &event("x.global", MemberEventKind::Joined),
        );
        r.on_event(
            3,
            Duration::from_secs(13),
            &event("y.global", MemberEventKind::Joined),
        ); // other member
        r.on_event(
            3,
            Duration::from_secs(14),
            &event("x.global", MemberEventKind::Joined),
        );
        assert!(!r.complete());
        let s = r.finish();
        assert_eq!(s.p50, Some(Duration::from_secs(2)));
        assert_eq!(s.p99, None);
        assert_eq!(s.p100, None);
    }

    #[test]
    fn only_unexpected_failures_are_false() {
        let mut r = Recorder::default();
        r.expect_failure_of("dead.global");
        r.on_event(
            1,
            Duration::ZERO,
            &event("dead.global", MemberEventKind::Failed),
        );
        r.on_event(
            1,
            Duration::ZERO,
            &event("fine.global", MemberEventKind::Failed),
        );
        assert_eq!(r.false_failures, 1);
    }
}
