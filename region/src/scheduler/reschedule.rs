//! Reschedule policy math: may a failed allocation be replaced, and when? Delays
//! grow per `delay_function` over the allocation's reschedule history.

use crate::structs::{
    Allocation, DELAY_CONSTANT, DELAY_EXPONENTIAL, DELAY_FIBONACCI, HOUR, JOB_TYPE_BATCH,
    JOB_TYPE_SERVICE, ReschedulePolicy, SECOND,
};

/// Failed allocations due within this window are rescheduled now (Nomad: 1s).
pub const RESCHEDULE_WINDOW: i64 = SECOND;

/// What to do with a failed allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RescheduleDecision {
    /// Place a replacement in this evaluation.
    Now,
    /// Place a replacement at this time (Unix nanos), through a follow-up eval.
    Later(i64),
    /// The policy is used up (or off): leave the allocation failed.
    Never,
}

/// Nomad's default policy per job type (none for system jobs).
pub fn default_policy(job_type: &str) -> ReschedulePolicy {
    match job_type {
        JOB_TYPE_SERVICE => ReschedulePolicy {
            attempts: Some(0),
            interval: Some(0),
            delay: Some(30 * SECOND),
            delay_function: Some(DELAY_EXPONENTIAL.into()),
            max_delay: Some(HOUR),
            unlimited: Some(true),
        },
        JOB_TYPE_BATCH => ReschedulePolicy {
            attempts: Some(1),
            interval: Some(24 * HOUR),
            delay: Some(5 * SECOND),
            delay_function: Some(DELAY_CONSTANT.into()),
            max_delay: Some(0),
            unlimited: Some(false),
        },
        _ => ReschedulePolicy::default(),
    }
}

/// The delay before the `n`-th reschedule (0-based) of a lineage.
pub fn delay_for(policy: &ReschedulePolicy, n: usize) -> i64 {
    let base = policy.delay.unwrap_or(0).max(0);
    let max = policy.max_delay.unwrap_or(0);
    let raw = match policy.delay_function.as_deref().unwrap_or(DELAY_CONSTANT) {
        DELAY_EXPONENTIAL => {
            let shift = n.min(40) as u32;
            base.saturating_mul(1i64 << shift)
        }
        DELAY_FIBONACCI => {
            let (mut a, mut b) = (base, base);
            for _ in 0..n.min(90) {
                let next = a.saturating_add(b);
                a = b;
                b = next;
            }
            a
        }
        _ => base,
    };
    if max > 0 { raw.min(max) } else { raw }
}

/// Decides for a failed allocation. `followup_eval` is the evaluation being
/// processed: an allocation waiting for exactly that evaluation is due now.
pub fn decide(
    alloc: &Allocation,
    policy: &ReschedulePolicy,
    now: i64,
    eval_id: &str,
) -> RescheduleDecision {
    if !policy.enabled() {
        return RescheduleDecision::Never;
    }
    let events = alloc
        .reschedule_tracker
        .as_ref()
        .map(|t| t.events.as_slice())
        .unwrap_or_default();
    if !policy.unlimited.unwrap_or(false) {
        let interval = policy.interval.unwrap_or(0);
        let recent = events
            .iter()
            .filter(|e| interval <= 0 || e.reschedule_time > now - interval)
            .count();
        if recent as i64 >= i64::from(policy.attempts.unwrap_or(0)) {
            return RescheduleDecision::Never;
        }
    }
    if alloc.desired_transition.force_reschedule == Some(true)
        || (!alloc.followup_eval_id.is_empty() && alloc.followup_eval_id == eval_id)
    {
        return RescheduleDecision::Now;
    }
    let failed_at = if alloc.modify_time > 0 {
        alloc.modify_time
    } else {
        now
    };
    let at = failed_at.saturating_add(delay_for(policy, events.len()));
    if at <= now + RESCHEDULE_WINDOW {
        RescheduleDecision::Now
    } else {
        RescheduleDecision::Later(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{RescheduleEvent, RescheduleTracker};

    fn failed(modify_time: i64, events: usize) -> Allocation {
        Allocation {
            client_status: "failed".into(),
            modify_time,
            reschedule_tracker: Some(RescheduleTracker {
                events: (0..events)
                    .map(|i| RescheduleEvent {
                        reschedule_time: 100 * SECOND + i as i64,
                        ..Default::default()
                    })
                    .collect(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn delay_functions() {
        let mut p = default_policy(JOB_TYPE_SERVICE);
        assert_eq!(delay_for(&p, 0), 30 * SECOND);
        assert_eq!(delay_for(&p, 1), 60 * SECOND);
        assert_eq!(delay_for(&p, 10), HOUR); // capped
        p.delay_function = Some(DELAY_FIBONACCI.into());
        let seq: Vec<i64> = (0..5).map(|n| delay_for(&p, n) / SECOND).collect();
        assert_eq!(seq, vec![30, 30, 60, 90, 150]);
        assert_eq!(delay_for(&default_policy(JOB_TYPE_BATCH), 7), 5 * SECOND);
    }

    #[test]
    fn batch_allows_one_attempt_per_day() {
        let p = default_policy(JOB_TYPE_BATCH);
        let now = 200 * SECOND;
        assert_eq!(
            decide(&failed(now - 10 * SECOND, 0), &p, now, "e"),
            RescheduleDecision::Now
        );
        assert_eq!(
            decide(&failed(now, 0), &p, now, "e"),
            RescheduleDecision::Later(now + 5 * SECOND)
        );
        assert_eq!(
            decide(&failed(now, 1), &p, now, "e"),
            RescheduleDecision::Never
        );
        assert_eq!(
            decide(&failed(now, 0), &ReschedulePolicy::default(), now, "e"),
            RescheduleDecision::Never
        );
    }

    #[test]
    fn followup_eval_makes_it_due() {
        let p = default_policy(JOB_TYPE_SERVICE);
        let mut a = failed(1000 * SECOND, 3);
        assert_eq!(
            decide(&a, &p, 1000 * SECOND, "e1"),
            RescheduleDecision::Later(1000 * SECOND + 240 * SECOND)
        );
        a.followup_eval_id = "e1".into();
        assert_eq!(decide(&a, &p, 1000 * SECOND, "e1"), RescheduleDecision::Now);
    }
}
