//! `HeartbeatTracker`: each client node's deadline to heartbeat again. Sans-IO:
//! `reset` on register/heartbeat returns the TTL to hand the client; `expired`
//! (polled by the leader's timer loop) returns the nodes to mark `down`.
//!
//! TTL as Nomad computes it: enough that the whole cluster stays under
//! `max_per_second` heartbeats (at least `min_ttl`), plus a random stagger of up to
//! one TTL (the caller passes `jitter` in 0..1), and the node is declared down only
//! after TTL + `grace`.

use std::collections::HashMap;

use crate::structs::SECOND;

/// Heartbeat deadlines of client nodes.
#[derive(Debug)]
pub struct HeartbeatTracker {
    min_ttl: i64,
    max_per_second: f64,
    grace: i64,
    deadlines: HashMap<String, i64>,
}

impl HeartbeatTracker {
    /// A tracker with Nomad's knobs (nanoseconds).
    pub fn new(min_ttl: i64, max_per_second: f64, grace: i64) -> Self {
        Self {
            min_ttl,
            max_per_second,
            grace,
            deadlines: HashMap::new(),
        }
    }

    /// The node heartbeated (or registered) at `now`: returns its TTL.
    pub fn reset(&mut self, node_id: &str, now: i64, jitter: f64) -> i64 {
        let nodes = self.deadlines.len().max(1) as f64;
        let rate_scaled = if self.max_per_second > 0.0 {
            (nodes / self.max_per_second * SECOND as f64) as i64
        } else {
            0
        };
        let base = self.min_ttl.max(rate_scaled);
        let ttl = base + (base as f64 * jitter.clamp(0.0, 1.0)) as i64;
        self.deadlines
            .insert(node_id.to_string(), now + ttl + self.grace);
        ttl
    }

    /// Stops tracking a node (deregistered, or already marked down).
    pub fn remove(&mut self, node_id: &str) {
        self.deadlines.remove(node_id);
    }

    /// Nodes whose deadline passed; they are no longer tracked.
    pub fn expired(&mut self, now: i64) -> Vec<String> {
        let mut gone: Vec<String> = self
            .deadlines
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(n, _)| n.clone())
            .collect();
        gone.sort();
        for n in &gone {
            self.deadlines.remove(n);
        }
        gone
    }

    /// True when the node is tracked.
    pub fn tracks(&self, node_id: &str) -> bool {
        self.deadlines.contains_key(node_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_grace_and_expiry() {
        let mut h = HeartbeatTracker::new(10 * SECOND, 50.0, 10 * SECOND);
        assert_eq!(h.reset("n1", 0, 0.0), 10 * SECOND);
        assert!(h.expired(19 * SECOND).is_empty());
        assert_eq!(h.reset("n1", 5 * SECOND, 0.5), 15 * SECOND);
        assert!(h.expired(29 * SECOND).is_empty(), "5 + 15 + 10 = 30");
        assert_eq!(h.expired(30 * SECOND), vec!["n1".to_string()]);
        assert!(!h.tracks("n1"));
        assert!(h.expired(100 * SECOND).is_empty());
    }

    #[test]
    fn ttl_scales_with_cluster_size() {
        let mut h = HeartbeatTracker::new(10 * SECOND, 50.0, 0);
        for i in 0..1000 {
            h.reset(&format!("n{i}"), 0, 0.0);
        }
        // 1000 nodes at 50/s: 20 s.
        assert_eq!(h.reset("n0", 0, 0.0), 20 * SECOND);
        h.remove("n0");
        assert!(!h.tracks("n0"));
    }
}
