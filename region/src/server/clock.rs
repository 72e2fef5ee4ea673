//! The server's only reads of the wall clock and of OS randomness; the cores
//! (broker, blocked evals, heartbeats, plan evaluation, scheduler) get them as inputs.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, Unix nanoseconds.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A fresh random UUID (v4) string.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 64 random bits (scheduler RNG seeds, heartbeat jitter).
pub fn random_u64() -> u64 {
    let b = *uuid::Uuid::new_v4().as_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[9], b[10]])
}

/// A random fraction in `0..1`.
pub fn random_fraction() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}
