//! `EvalBroker`: the leader's in-memory queue of evaluations waiting for a worker.
//! Sans-IO: every call takes `now` (Unix nanoseconds); the driver (`super::leader`)
//! owns the lock, wakes workers and acts on the returned effects.
//!
//! ```text
//!  enqueue --(WaitUntil in future)--> delayed --tick--> ready
//!  enqueue --(job has one in flight)-> pending[job] --ack of that job--> ready (newest),
//!                                                                  rest -> cancel
//!  ready --dequeue(token)--> unacked --ack--> done
//!                                    --nack / timeout--> ready (after a delay)
//!                                                        or failed (delivery limit)
//! ```
//! At most one evaluation per job is ready or unacked at a time (Nomad's rule), so
//! two workers never schedule the same job concurrently.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::state::parse_rfc3339;
use crate::structs::{Evaluation, SECOND};

type JobKey = (String, String);

/// Delay before a nacked evaluation is redelivered: first nack, then later ones
/// (Nomad's `EvalNackInitialReenqueueDelay` / `EvalNackSubsequentReenqueueDelay`).
const NACK_INITIAL_DELAY: i64 = SECOND;
const NACK_SUBSEQUENT_DELAY: i64 = 20 * SECOND;

/// Something the driver must do after a broker call.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerEffect {
    /// The evaluation hit the delivery limit: mark it failed (and create a follow-up).
    Failed(Evaluation),
    /// A newer evaluation of the same job superseded it: mark it canceled.
    Cancel(Evaluation),
}

/// Why an ack/nack was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerError {
    /// No such outstanding evaluation.
    NotOutstanding,
    /// The token is not the one handed out with the evaluation.
    TokenMismatch,
}

#[derive(Debug, Clone)]
struct Unacked {
    eval: Evaluation,
    token: String,
    deadline: i64,
}

/// Ready-queue order: higher priority first, then older (lower create index) first.
type ReadyKey = (Reverse<i32>, u64, String);

/// The broker's state.
#[derive(Debug)]
pub struct EvalBroker {
    nack_timeout: i64,
    delivery_limit: u32,
    /// Per scheduler type.
    ready: HashMap<String, BTreeMap<ReadyKey, Evaluation>>,
    unacked: HashMap<String, Unacked>,
    /// Job -> the one eval of that job that is ready or unacked.
    in_flight: HashMap<JobKey, String>,
    pending: HashMap<JobKey, Vec<Evaluation>>,
    /// `(time, eval id)` -> eval, released by `tick`.
    delayed: BTreeMap<(i64, String), Evaluation>,
    deliveries: HashMap<String, u32>,
    known: BTreeSet<String>,
    /// Evaluations enqueued again while out with a worker (a blocked eval that
    /// was reblocked and at once unblocked): made ready when acked.
    requeue: HashMap<String, Evaluation>,
}

fn key(e: &Evaluation) -> JobKey {
    (e.namespace.clone(), e.job_id.clone())
}

fn ready_key(e: &Evaluation) -> ReadyKey {
    (Reverse(e.priority), e.create_index, e.id.clone())
}

impl EvalBroker {
    /// A broker with Nomad's timing settings.
    pub fn new(nack_timeout: i64, delivery_limit: u32) -> Self {
        Self {
            nack_timeout,
            delivery_limit,
            ready: HashMap::new(),
            unacked: HashMap::new(),
            in_flight: HashMap::new(),
            pending: HashMap::new(),
            delayed: BTreeMap::new(),
            deliveries: HashMap::new(),
            known: BTreeSet::new(),
            requeue: HashMap::new(),
        }
    }

    /// Adds an evaluation. Duplicates of one already queued are ignored; one whose
    /// `WaitUntil` (or `Wait`) lies ahead waits in the delay queue.
    pub fn enqueue(&mut self, eval: Evaluation, now: i64) {
        if self.unacked.contains_key(&eval.id) {
            self.requeue.insert(eval.id.clone(), eval);
            return;
        }
        if self.known.contains(&eval.id) {
            return;
        }
        let at = eval
            .wait_until
            .as_deref()
            .and_then(parse_rfc3339)
            .unwrap_or(0)
            .max(if eval.wait > 0 { now + eval.wait } else { 0 });
        self.known.insert(eval.id.clone());
        if at > now {
            self.delayed.insert((at, eval.id.clone()), eval);
        } else {
            self.make_ready(eval);
        }
    }

    fn make_ready(&mut self, eval: Evaluation) {
        let k = key(&eval);
        if self.in_flight.contains_key(&k) {
            self.pending.entry(k).or_default().push(eval);
            return;
        }
        self.in_flight.insert(k, eval.id.clone());
        self.ready
            .entry(eval.eval_type.clone())
            .or_default()
            .insert(ready_key(&eval), eval);
    }

    /// Hands out the most urgent ready evaluation of one of `types` (any type when
    /// empty) under `token`; it must be acked or nacked before `now + nack_timeout`.
    pub fn dequeue(&mut self, types: &[&str], token: &str, now: i64) -> Option<Evaluation> {
        let best = self
            .ready
            .iter()
            .filter(|(t, q)| !q.is_empty() && (types.is_empty() || types.contains(&t.as_str())))
            .filter_map(|(t, q)| q.keys().next().map(|k| (k.clone(), t.clone())))
            .min()?;
        let eval = self.ready.get_mut(&best.1)?.remove(&best.0)?;
        *self.deliveries.entry(eval.id.clone()).or_default() += 1;
        self.unacked.insert(
            eval.id.clone(),
            Unacked {
                eval: eval.clone(),
                token: token.to_string(),
                deadline: now + self.nack_timeout,
            },
        );
        Some(eval)
    }

    /// True when `eval_id` is out with this token (the plan applier checks this).
    pub fn outstanding(&self, eval_id: &str, token: &str) -> bool {
        self.unacked.get(eval_id).is_some_and(|u| u.token == token)
    }

    /// Pushes back the nack deadline of an outstanding evaluation (long plans).
    pub fn touch(&mut self, eval_id: &str, token: &str, now: i64) -> Result<(), BrokerError> {
        let u = self
            .unacked
            .get_mut(eval_id)
            .ok_or(BrokerError::NotOutstanding)?;
        if u.token != token {
            return Err(BrokerError::TokenMismatch);
        }
        u.deadline = now + self.nack_timeout;
        Ok(())
    }

    /// The worker finished the evaluation. Releases its job: the newest pending
    /// evaluation of the job becomes ready, older pending ones are canceled.
    pub fn ack(&mut self, eval_id: &str, token: &str) -> Result<Vec<BrokerEffect>, BrokerError> {
        self.check(eval_id, token)?;
        let Some(u) = self.unacked.remove(eval_id) else {
            return Err(BrokerError::NotOutstanding);
        };
        self.deliveries.remove(eval_id);
        self.known.remove(eval_id);
        let effects = self.release_job(&u.eval);
        if let Some(again) = self.requeue.remove(eval_id) {
            self.known.insert(again.id.clone());
            self.make_ready(again);
        }
        Ok(effects)
    }

    /// The worker gave up on the evaluation: redeliver it later, or fail it once it
    /// has been delivered `delivery_limit` times.
    pub fn nack(
        &mut self,
        eval_id: &str,
        token: &str,
        now: i64,
    ) -> Result<Vec<BrokerEffect>, BrokerError> {
        self.check(eval_id, token)?;
        let Some(u) = self.unacked.remove(eval_id) else {
            return Err(BrokerError::NotOutstanding);
        };
        // It is redelivered anyway.
        self.requeue.remove(eval_id);
        Ok(self.requeue(u.eval, now))
    }

    fn check(&self, eval_id: &str, token: &str) -> Result<(), BrokerError> {
        match self.unacked.get(eval_id) {
            None => Err(BrokerError::NotOutstanding),
            Some(u) if u.token != token => Err(BrokerError::TokenMismatch),
            Some(_) => Ok(()),
        }
    }

    fn requeue(&mut self, eval: Evaluation, now: i64) -> Vec<BrokerEffect> {
        let n = self.deliveries.get(&eval.id).copied().unwrap_or(0);
        if n >= self.delivery_limit {
            self.deliveries.remove(&eval.id);
            self.known.remove(&eval.id);
            let mut effects = vec![BrokerEffect::Failed(eval.clone())];
            effects.extend(self.release_job(&eval));
            return effects;
        }
        let delay = if n <= 1 {
            NACK_INITIAL_DELAY
        } else {
            NACK_SUBSEQUENT_DELAY
        };
        // It stays the job's in-flight eval while it waits.
        self.in_flight.remove(&key(&eval));
        self.in_flight.insert(key(&eval), eval.id.clone());
        self.delayed.insert((now + delay, eval.id.clone()), eval);
        Vec::new()
    }

    fn release_job(&mut self, eval: &Evaluation) -> Vec<BrokerEffect> {
        let k = key(eval);
        if self.in_flight.get(&k) == Some(&eval.id) {
            self.in_flight.remove(&k);
        }
        let Some(mut waiting) = self.pending.remove(&k) else {
            return Vec::new();
        };
        waiting.sort_by_key(|e| (e.create_index, e.modify_index));
        let Some(newest) = waiting.pop() else {
            return Vec::new();
        };
        self.make_ready(newest);
        waiting
            .into_iter()
            .map(|e| {
                self.known.remove(&e.id);
                BrokerEffect::Cancel(e)
            })
            .collect()
    }

    /// Advances time: releases delayed evaluations that are due and redelivers those
    /// whose worker missed the nack deadline.
    pub fn tick(&mut self, now: i64) -> Vec<BrokerEffect> {
        let mut effects = Vec::new();
        let expired: Vec<String> = self
            .unacked
            .iter()
            .filter(|(_, u)| u.deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some(u) = self.unacked.remove(&id) {
                self.requeue.remove(&id);
                effects.extend(self.requeue(u.eval, now));
            }
        }
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let eval = entry.remove();
            let k = key(&eval);
            if self.in_flight.get(&k) == Some(&eval.id) {
                // A nacked eval coming back: it already owns its job.
                self.ready
                    .entry(eval.eval_type.clone())
                    .or_default()
                    .insert(ready_key(&eval), eval);
            } else {
                self.make_ready(eval);
            }
        }
        effects
    }

    /// Evaluations ready for a worker.
    pub fn ready_len(&self) -> usize {
        self.ready.values().map(BTreeMap::len).sum()
    }

    /// Evaluations handed out and not yet acked.
    pub fn unacked_len(&self) -> usize {
        self.unacked.len()
    }

    /// Evaluations waiting for their job's in-flight one, or for their time.
    pub fn waiting_len(&self) -> usize {
        self.pending.values().map(Vec::len).sum::<usize>() + self.delayed.len()
    }
}

#[cfg(test)]
#[path = "broker_tests.rs"]
mod tests;
