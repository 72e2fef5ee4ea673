//! Tests of the eval broker core.

use super::*;
use crate::state::rfc3339;

fn ev(id: &str, job: &str, priority: i32, create_index: u64) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: "default".into(),
        job_id: job.into(),
        eval_type: "service".into(),
        priority,
        create_index,
        status: "pending".into(),
        ..Default::default()
    }
}

fn broker() -> EvalBroker {
    EvalBroker::new(60 * SECOND, 3)
}

#[test]
fn priority_then_age() {
    let mut b = broker();
    b.enqueue(ev("low", "a", 10, 1), 0);
    b.enqueue(ev("high-new", "b", 90, 5), 0);
    b.enqueue(ev("high-old", "c", 90, 3), 0);
    let order: Vec<String> = (0..3)
        .filter_map(|_| b.dequeue(&[], "t", 0))
        .map(|e| e.id)
        .collect();
    assert_eq!(order, ["high-old", "high-new", "low"]);
    assert!(b.dequeue(&[], "t", 0).is_none());
}

#[test]
fn scheduler_types_filter() {
    let mut b = broker();
    let mut e = ev("sys", "a", 50, 1);
    e.eval_type = "system".into();
    b.enqueue(e, 0);
    assert!(b.dequeue(&["service", "batch"], "t", 0).is_none());
    assert_eq!(
        b.dequeue(&["system"], "t", 0).map(|e| e.id),
        Some("sys".into())
    );
}

#[test]
fn one_in_flight_per_job_and_newest_pending_wins() {
    let mut b = broker();
    b.enqueue(ev("e1", "web", 50, 1), 0);
    b.enqueue(ev("e2", "web", 50, 2), 0);
    b.enqueue(ev("e3", "web", 50, 3), 0);
    let first = b.dequeue(&[], "t1", 0).unwrap();
    assert_eq!(first.id, "e1");
    assert!(b.dequeue(&[], "t2", 0).is_none(), "the job is busy");
    assert_eq!(b.waiting_len(), 2);
    assert_eq!(b.ack("e1", "wrong"), Err(BrokerError::TokenMismatch));
    let effects = b.ack("e1", "t1").unwrap();
    assert_eq!(effects, vec![BrokerEffect::Cancel(ev("e2", "web", 50, 2))]);
    assert_eq!(b.dequeue(&[], "t3", 0).map(|e| e.id), Some("e3".into()));
    assert_eq!(b.ack("e1", "t1"), Err(BrokerError::NotOutstanding));
}

#[test]
fn nack_redelivers_after_a_delay_then_fails_at_the_limit() {
    let mut b = broker();
    b.enqueue(ev("e1", "web", 50, 1), 0);
    let mut now = 0;
    for round in 1..=3 {
        let e = b.dequeue(&[], "t", now).unwrap();
        assert_eq!(e.id, "e1");
        assert!(b.outstanding("e1", "t"));
        let effects = b.nack("e1", "t", now).unwrap();
        if round < 3 {
            assert!(effects.is_empty());
            assert!(
                b.dequeue(&[], "t", now).is_none(),
                "not before the nack delay"
            );
            now += 30 * SECOND;
            assert!(b.tick(now).is_empty());
        } else {
            assert_eq!(effects, vec![BrokerEffect::Failed(ev("e1", "web", 50, 1))]);
        }
    }
    assert_eq!(b.ready_len() + b.unacked_len() + b.waiting_len(), 0);
    // The job is free again.
    b.enqueue(ev("e2", "web", 50, 2), now);
    assert!(b.dequeue(&[], "t", now).is_some());
}

#[test]
fn missed_nack_deadline_redelivers() {
    let mut b = broker();
    b.enqueue(ev("e1", "web", 50, 1), 0);
    b.dequeue(&[], "t", 0).unwrap();
    assert!(b.tick(59 * SECOND).is_empty());
    assert!(b.outstanding("e1", "t"));
    b.touch("e1", "t", 59 * SECOND).unwrap();
    b.tick(100 * SECOND);
    assert!(b.outstanding("e1", "t"), "touch pushed the deadline");
    b.tick(120 * SECOND);
    assert!(!b.outstanding("e1", "t"));
    b.tick(121 * SECOND);
    assert_eq!(
        b.dequeue(&[], "t2", 121 * SECOND).map(|e| e.id),
        Some("e1".into())
    );
}

#[test]
fn wait_until_delays_delivery() {
    let mut b = broker();
    let mut e = ev("later", "web", 50, 1);
    e.wait_until = Some(rfc3339(10 * SECOND));
    b.enqueue(e, 0);
    assert!(b.dequeue(&[], "t", 0).is_none());
    b.tick(9 * SECOND);
    assert!(b.dequeue(&[], "t", 9 * SECOND).is_none());
    b.tick(10 * SECOND);
    assert_eq!(
        b.dequeue(&[], "t", 10 * SECOND).map(|e| e.id),
        Some("later".into())
    );
}

#[test]
fn duplicate_enqueue_is_ignored() {
    let mut b = broker();
    b.enqueue(ev("e1", "web", 50, 1), 0);
    b.enqueue(ev("e1", "web", 50, 1), 0);
    assert_eq!(b.ready_len(), 1);
    assert_eq!(b.waiting_len(), 0);
}

#[test]
fn enqueue_while_out_is_redelivered_after_ack() {
    let mut b = broker();
    b.enqueue(ev("e1", "web", 50, 1), 0);
    b.dequeue(&[], "t", 0).unwrap();
    // Reblocked then unblocked at once while the worker still holds it.
    b.enqueue(ev("e1", "web", 50, 1), 0);
    assert!(b.dequeue(&[], "t2", 0).is_none());
    b.ack("e1", "t").unwrap();
    assert_eq!(b.dequeue(&[], "t3", 0).map(|e| e.id), Some("e1".into()));
    b.ack("e1", "t3").unwrap();
    assert!(b.dequeue(&[], "t4", 0).is_none());
}
