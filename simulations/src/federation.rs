//! The federation simulation: `regions` x `servers` real `MeshCore`s in one mesh on the simulated network
//! and clock, and the forwarding rule of `nomad::api::forward::send` (alive servers of the target region
//! in the origin's view, rotated, recent non-answerers last; `Deadline::per_try_for` per unreachable
//! server, [`BUDGET`] in all) replayed against each origin's view as time passes.
//!
//! Phases, all in simulated time:
//! 1. start and converge (each server joins through a random earlier one);
//! 2. partition: two servers of one region (`split`) and all servers of another (`lost`) are cut off from
//!    the rest. Measured: when every other server stops listing the cut-off servers as alive (detection);
//!    forwarded requests to `split` (they succeed, slowly while an origin still tries a cut-off server:
//!    failover) and to `lost` (they fail, after the budget until detection, at once after);
//! 3. heal: when every server lists every server alive again, and when forwarding to both regions works
//!    on the first try from every sampled origin (recovery).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use nomad::api::forward::send::{BUDGET, Deadline, SUSPECT_FOR, order};
use nomad_gossip::testing::{LinkConfig, SimCluster};
use nomad_gossip::{MemberStatus, MeshConfig};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The simulation's parameters.
#[derive(Clone, Debug)]
pub struct FederationSimConfig {
    pub regions: usize,
    pub servers: usize,
    /// One-way latency between any two servers, and up to `jitter` more.
    pub latency: Duration,
    pub jitter: Duration,
    pub seed: u64,
    /// Nomad's WAN timing (its default for servers) instead of LAN.
    pub wan: bool,
    /// How long the partition lasts.
    pub partition: Duration,
    /// Origins sampled for forwarding, each sending one request every `sample_every`.
    pub origins: usize,
    pub sample_every: Duration,
}

impl Default for FederationSimConfig {
    fn default() -> Self {
        Self {
            regions: 50,
            servers: 5,
            latency: Duration::from_millis(10),
            jitter: Duration::from_millis(5),
            seed: 1,
            wan: true,
            partition: Duration::from_secs(60),
            origins: 20,
            sample_every: Duration::from_millis(100),
        }
    }
}

/// Forwarded requests seen in a window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forwarding {
    pub requests: usize,
    pub ok: usize,
    /// Requests that tried an unreachable server before one answered.
    pub retried: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// The last moment (since the phase began) a request still had to retry or fail slowly.
    pub last_slow: Option<Duration>,
}

/// What a run measured (durations since the phase began).
#[derive(Clone, Debug, PartialEq)]
pub struct FederationReport {
    pub members: usize,
    pub converge: Option<Duration>,
    /// Until every other server stopped listing the cut-off servers alive.
    pub detect_split: Option<Duration>,
    pub detect_lost: Option<Duration>,
    pub forward_split: Forwarding,
    pub forward_lost: Forwarding,
    /// After the heal: until every server lists every server alive.
    pub heal_converge: Option<Duration>,
    /// After the heal: until forwarding to both regions answers first try from every origin.
    pub heal_forwarding: Option<Duration>,
}

const STEP: Duration = Duration::from_millis(100);
const LIMIT: Duration = Duration::from_secs(900);

/// When each origin last saw each target fail to answer (the forwarder's suspects, per origin).
type Suspects = HashMap<(usize, usize), Duration>;

/// One forwarded request from `origin` to one region's `targets`, issued at `now`.
struct Request<'a> {
    origin: usize,
    targets: &'a [usize],
    rtt: Duration,
    rotate: usize,
    now: Duration,
}

/// Plays `req`: its duration, whether it got an answer, whether it had to retry.
fn forward(
    c: &SimCluster,
    req: Request<'_>,
    reachable: impl Fn(usize) -> bool,
    suspects: &mut Suspects,
) -> (Duration, bool, bool) {
    let Request {
        origin,
        targets,
        rtt,
        rotate,
        now,
    } = req;
    let alive: Vec<usize> = targets
        .iter()
        .copied()
        .filter(|&t| c.status_seen_by(origin, &c.name(t)) == Some(MemberStatus::Alive))
        .collect();
    if alive.is_empty() {
        // "No path to region" at once.
        return (Duration::ZERO, false, false);
    }
    let per_try = Deadline::ordinary().per_try_for(alive.len());
    let alive = order(alive, rotate, |t| {
        suspects
            .get(&(origin, *t))
            .is_some_and(|at| now.saturating_sub(*at) < SUSPECT_FOR)
    });
    let mut spent = Duration::ZERO;
    let mut retried = false;
    for t in alive {
        let left = BUDGET.saturating_sub(spent);
        if left.is_zero() {
            break;
        }
        if reachable(t) {
            suspects.remove(&(origin, t));
            return (spent + rtt, true, retried);
        }
        spent += per_try.min(left);
        suspects.insert((origin, t), now + spent);
        retried = true;
    }
    (spent, false, retried)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[derive(Default)]
struct Tally {
    took: Vec<Duration>,
    ok: usize,
    retried: usize,
    last_slow: Option<Duration>,
}

impl Tally {
    fn add(&mut self, at: Duration, (took, ok, retried): (Duration, bool, bool)) {
        self.took.push(took);
        self.ok += usize::from(ok);
        self.retried += usize::from(retried);
        if retried || (!ok && !took.is_zero()) {
            self.last_slow = Some(at);
        }
    }

    fn finish(mut self) -> Forwarding {
        self.took.sort();
        Forwarding {
            requests: self.took.len(),
            ok: self.ok,
            retried: self.retried,
            p50: percentile(&self.took, 0.5),
            p99: percentile(&self.took, 0.99),
            max: self.took.last().copied().unwrap_or_default(),
            last_slow: self.last_slow,
        }
    }
}

/// Runs one simulation.
pub fn run(cfg: &FederationSimConfig) -> Result<FederationReport> {
    anyhow::ensure!(cfg.regions >= 3, "need at least 3 regions");
    anyhow::ensure!(cfg.servers >= 3, "need at least 3 servers per region");
    let core = if cfg.wan {
        MeshConfig::wan()
    } else {
        MeshConfig::lan()
    };
    let link = LinkConfig {
        latency: cfg.latency,
        jitter: cfg.jitter,
        ..LinkConfig::default()
    };
    let mut c = SimCluster::new(cfg.seed, core, link);
    c.record_events = false;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut region_of = Vec::new();
    for r in 0..cfg.regions {
        for s in 0..cfg.servers {
            let i = c
                .add_node_named(&format!("s{s}"), &format!("r{r:02}"))
                .context("add server")?;
            region_of.push(r);
            if i > 0 {
                let via = rng.random_range(0..i);
                c.join(i, via).context("join")?;
            }
            c.run_for(Duration::from_millis(10));
        }
    }
    let members = c.len();
    let converged = c.run_until(LIMIT, Duration::from_millis(500), SimCluster::converged);
    let converge = converged.then(|| c.elapsed());

    let servers_of =
        |r: usize| -> Vec<usize> { (0..members).filter(|&i| region_of[i] == r).collect() };
    let (split, lost) = (cfg.regions / 3, 2 * cfg.regions / 3);
    let split_servers = servers_of(split);
    let lost_servers = servers_of(lost);
    let cut: Vec<usize> = split_servers[cfg.servers - 2..]
        .iter()
        .chain(&lost_servers)
        .copied()
        .collect();
    let is_cut = |i: usize| cut.contains(&i);
    let observers: Vec<usize> = (0..members).filter(|&i| !is_cut(i)).collect();
    let origins: Vec<usize> = (0..cfg.origins)
        .map(|_| {
            loop {
                let o = observers[rng.random_range(0..observers.len())];
                if region_of[o] != split && region_of[o] != lost {
                    break o;
                }
            }
        })
        .collect();
    let rtt = 2 * cfg.latency + cfg.jitter;

    // Partition: the cut-off servers can only talk among themselves.
    let addr = |i: usize| c.node(i).addr;
    let rest: Vec<_> = observers.iter().map(|&i| addr(i)).collect();
    let island: Vec<_> = cut.iter().map(|&i| addr(i)).collect();
    c.net.partition(&[rest, island]);
    let begun = c.elapsed();
    let sees_cut_alive = |c: &SimCluster, set: &[usize]| {
        observers.iter().any(|&o| {
            set.iter()
                .any(|&t| c.status_seen_by(o, &c.name(t)) == Some(MemberStatus::Alive))
        })
    };
    let split_cut: Vec<usize> = split_servers[cfg.servers - 2..].to_vec();
    let (mut detect_split, mut detect_lost) = (None, None);
    let (mut to_split, mut to_lost) = (Tally::default(), Tally::default());
    let mut rotate = 0usize;
    let mut suspects = Suspects::new();
    let mut next_sample = Duration::ZERO;
    while c.elapsed() - begun < cfg.partition {
        let at = c.elapsed() - begun;
        if detect_split.is_none() && !sees_cut_alive(&c, &split_cut) {
            detect_split = Some(at);
        }
        if detect_lost.is_none() && !sees_cut_alive(&c, &lost_servers) {
            detect_lost = Some(at);
        }
        if at >= next_sample {
            for &o in &origins {
                rotate += 1;
                let req = |targets| Request {
                    origin: o,
                    targets,
                    rtt,
                    rotate,
                    now: at,
                };
                let to = forward(&c, req(&split_servers), |t| !is_cut(t), &mut suspects);
                to_split.add(at, to);
                let to = forward(&c, req(&lost_servers), |_| false, &mut suspects);
                to_lost.add(at, to);
            }
            next_sample += cfg.sample_every;
        }
        c.run_for(STEP.min(cfg.sample_every));
    }

    // Heal: follow both recoveries at once.
    c.net.heal();
    let healed = c.elapsed();
    let first_try = |c: &SimCluster| {
        origins.iter().all(|&o| {
            split_servers
                .iter()
                .chain(&lost_servers)
                .all(|&t| c.status_seen_by(o, &c.name(t)) == Some(MemberStatus::Alive))
        })
    };
    let (mut heal_converge, mut heal_forwarding) = (None, None);
    c.run_until(LIMIT, STEP, |c| {
        let at = c.elapsed() - healed;
        if heal_forwarding.is_none() && first_try(c) {
            heal_forwarding = Some(at);
        }
        if heal_converge.is_none() && c.converged() {
            heal_converge = Some(at);
        }
        heal_converge.is_some() && heal_forwarding.is_some()
    });
    Ok(FederationReport {
        members,
        converge,
        detect_split,
        detect_lost,
        forward_split: to_split.finish(),
        forward_lost: to_lost.finish(),
        heal_converge,
        heal_forwarding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_federation_detects_fails_over_and_recovers() {
        let cfg = FederationSimConfig {
            regions: 4,
            servers: 3,
            wan: false,
            partition: Duration::from_secs(20),
            origins: 3,
            ..FederationSimConfig::default()
        };
        let r = run(&cfg).unwrap();
        assert!(r.converge.is_some());
        let (split, lost) = (r.detect_split.unwrap(), r.detect_lost.unwrap());
        // Requests to the split region always got an answer; to the lost one never.
        assert_eq!(r.forward_split.ok, r.forward_split.requests);
        assert_eq!(r.forward_lost.ok, 0);
        // Slow answers stop once the origins noticed (sampling lags detection by a step at most).
        assert!(r.forward_split.last_slow.unwrap_or_default() <= split + STEP);
        assert!(r.forward_lost.last_slow.unwrap_or_default() <= lost + STEP);
        assert!(r.forward_lost.max <= BUDGET);
        assert!(r.heal_converge.is_some() && r.heal_forwarding.is_some());
        assert_eq!(run(&cfg).unwrap(), r, "same seed, different run");
    }
}
