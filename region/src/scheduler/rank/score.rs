//! Node scoring: the fit score ("BestFit v3" for binpack, its mirror for spread),
//! job anti-affinity and the reschedule penalty; the final score is the mean of
//! the sub-scores a node has.

use super::super::SchedulerAlgorithm;
use super::super::resources::Usage;

/// Highest raw fit score; the normalised `binpack` sub-score is `raw / 18`.
pub const MAX_FIT_SCORE: f64 = 18.0;
/// Sub-score names as Nomad shows them in `ScoreMetaData`.
pub const SCORE_BINPACK: &str = "binpack";
/// Penalty for co-locating allocations of the same job and group.
pub const SCORE_JOB_ANTI_AFFINITY: &str = "job-anti-affinity";
/// Penalty for placing a rescheduled allocation on the node it failed on.
pub const SCORE_RESCHEDULE_PENALTY: &str = "node-reschedule-penalty";

/// The normalised fit score of a node whose allocations would use `used` (the new
/// one included) out of `capacity`.
///
/// BestFit v3: with `free = 1 - used/capacity` per dimension, the raw score is
/// `20 - (10^free_cpu + 10^free_mem)` clamped to `0..=18`, so fuller nodes score
/// higher. Spread uses `(10^free_cpu + 10^free_mem) - 2` instead.
pub fn fit_score(used: &Usage, capacity: &Usage, algorithm: SchedulerAlgorithm) -> f64 {
    let free = |u: i64, c: i64| -> f64 {
        if c <= 0 {
            0.0
        } else {
            1.0 - (u as f64 / c as f64)
        }
    };
    let total =
        10f64.powf(free(used.cpu, capacity.cpu)) + 10f64.powf(free(used.memory, capacity.memory));
    let raw = match algorithm {
        SchedulerAlgorithm::Binpack => 20.0 - total,
        SchedulerAlgorithm::Spread => total - 2.0,
    };
    raw.clamp(0.0, MAX_FIT_SCORE) / MAX_FIT_SCORE
}

/// The anti-affinity penalty for a node already running `collisions` allocations
/// of the same job and group, out of `desired` wanted: `-(collisions + 1) / desired`
/// (none when there is no collision).
pub fn anti_affinity(collisions: usize, desired: i32) -> Option<f64> {
    if collisions == 0 {
        return None;
    }
    Some(-((collisions + 1) as f64) / f64::from(desired.max(1)))
}

/// Mean of the sub-scores.
pub fn final_score<'a>(scores: impl ExactSizeIterator<Item = &'a f64>) -> f64 {
    let n = scores.len();
    if n == 0 {
        0.0
    } else {
        scores.sum::<f64>() / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(cpu: i64, memory: i64) -> Usage {
        Usage {
            cpu,
            memory,
            disk: 0,
        }
    }

    #[test]
    fn binpack_prefers_fuller_nodes() {
        let cap = u(1000, 1000);
        let empty = fit_score(&u(0, 0), &cap, SchedulerAlgorithm::Binpack);
        let half = fit_score(&u(500, 500), &cap, SchedulerAlgorithm::Binpack);
        let full = fit_score(&u(1000, 1000), &cap, SchedulerAlgorithm::Binpack);
        assert_eq!(empty, 0.0); // 20 - (10 + 10)
        assert!((full - 1.0).abs() < 1e-9); // 20 - (1 + 1) = 18
        assert!(half > empty && half < full);
        let raw_half = 20.0 - 2.0 * 10f64.powf(0.5);
        assert!((half - raw_half / 18.0).abs() < 1e-9);
    }

    #[test]
    fn spread_prefers_emptier_nodes() {
        let cap = u(1000, 1000);
        let empty = fit_score(&u(0, 0), &cap, SchedulerAlgorithm::Spread);
        let half = fit_score(&u(500, 500), &cap, SchedulerAlgorithm::Spread);
        assert!((empty - 1.0).abs() < 1e-9);
        assert!(half < empty);
    }

    #[test]
    fn anti_affinity_and_mean() {
        assert_eq!(anti_affinity(0, 3), None);
        assert_eq!(anti_affinity(1, 4), Some(-0.5));
        assert_eq!(final_score([0.5, -0.5, 1.0].iter()), 1.0 / 3.0);
        assert_eq!(final_score([].iter()), 0.0);
    }
}
