//! Properties of every generated job: JSON round-trips unchanged, canonicalize is
//! idempotent and fills every default, validate is total, and canonicalized
//! reasonable jobs validate.

use nomad_region::structs::*;
use proptest::prelude::*;

use crate::strategies as strat;

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn json_round_trip_is_lossless(job in strat::garbage_job()) {
        let text = serde_json::to_string(&job).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Job = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &job);
        let value = serde_json::to_value(&job).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Job = serde_json::from_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, job);
    }

    #[test]
    fn canonicalize_is_idempotent(job in strat::garbage_job()) {
        let mut once = job;
        once.canonicalize();
        let mut twice = once.clone();
        twice.canonicalize();
        prop_assert_eq!(&twice, &once);
        for g in &once.task_groups {
            prop_assert!(g.count.is_some());
            prop_assert!(g.restart_policy.is_some());
            prop_assert!(g.ephemeral_disk.as_ref().is_some_and(|d| d.size_mb.is_some()));
            for t in &g.tasks {
                let r = t.resources.as_ref();
                prop_assert!(r.is_some_and(|r| r.cpu.is_some() && r.memory_mb.is_some()));
                prop_assert!(t.kill_timeout.is_some());
                prop_assert!(t.log_config.as_ref().is_some_and(|l| l.max_files.is_some()));
                prop_assert!(t.restart_policy.as_ref().is_some_and(|r| r.attempts.is_some() && r.mode.is_some()));
            }
        }
    }

    #[test]
    fn validate_never_panics(job in strat::garbage_job()) {
        let raw = job.validate();
        let mut canonical = job;
        canonical.canonicalize();
        let checked = canonical.validate();
        // Every reported error names a message; paths only use HCL names and labels.
        for errs in [raw.err(), checked.err()].into_iter().flatten() {
            prop_assert!(!errs.0.is_empty());
            prop_assert!(errs.0.iter().all(|e| !e.message.is_empty()));
            prop_assert!(!errs.to_string().is_empty());
        }
    }

    #[test]
    fn reasonable_jobs_validate_once_canonical(job in strat::job()) {
        let mut job = job;
        job.canonicalize();
        let result = job.validate();
        prop_assert!(result.is_ok(), "{}", result.err().map(|e| e.to_string()).unwrap_or_default());
    }

    #[test]
    fn any_json_object_deserializes_or_errors_without_panic(v in strat::json_value()) {
        if let Ok(job) = serde_json::from_value::<Job>(v) {
            let mut job = job;
            let _ = job.validate();
            job.canonicalize();
            let _ = job.validate();
        }
    }
}
