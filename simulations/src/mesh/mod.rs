//! The mesh simulation: N real `MeshCore`s on a simulated network and a
//! virtual clock, one seed reproducing a run exactly.
//!
//! Phases: staggered start and convergence (or, with `seeded`, a mesh that
//! starts converged and settles for `SETTLE`); one more member joins (spread
//! of the join); a member changes its metadata (spread of the update); a
//! member is killed (time until the others mark it failed); then a steady
//! window of `duration` measuring bytes per member. False failures are
//! counted over the whole run.
//!
//! The cores share decoded identities and records (`share_decoded`): a big
//! mesh would otherwise hold n² copies of the same values.

mod recorder;
mod report;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nomad_gossip::testing::{LinkConfig, SimCluster, share_decoded};
use nomad_gossip::{MemberEventKind, MeshConfig};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use self::recorder::Recorder;
pub use self::recorder::Spread;
pub use self::report::{csv_header, csv_row, summary};

/// One simulation's parameters.
#[derive(Clone, Debug)]
pub struct MeshSimConfig {
    pub members: usize,
    /// Probability (0..1) that a datagram is lost.
    pub loss: f64,
    pub latency: Duration,
    pub jitter: Duration,
    pub seed: u64,
    /// Length of the steady window.
    pub duration: Duration,
    /// WAN timing (Nomad's default) instead of LAN.
    pub wan: bool,
    /// Time between two members starting.
    pub join_spacing: Duration,
    /// Start from a converged mesh (every member told every member) instead
    /// of the staggered mass start; `converge` is then not measured.
    pub seeded: bool,
}

impl Default for MeshSimConfig {
    fn default() -> Self {
        Self {
            members: 100,
            loss: 0.0,
            latency: Duration::from_millis(1),
            jitter: Duration::ZERO,
            seed: 1,
            duration: Duration::from_secs(60),
            wan: false,
            join_spacing: Duration::from_millis(10),
            seeded: false,
        }
    }
}

/// What a simulation measured.
#[derive(Clone, Debug, PartialEq)]
pub struct MeshReport {
    pub config_members: usize,
    /// From the first start until every member saw every member alive.
    pub converge: Option<Duration>,
    pub join: Spread,
    pub update: Spread,
    pub failure: Spread,
    /// Failures reported for members that were in fact running.
    pub false_failures: u64,
    /// Bytes sent per member per second over the steady window.
    pub bytes_per_member_mean: f64,
    pub bytes_per_member_max: f64,
    pub datagrams_sent: u64,
    pub datagrams_lost: u64,
    /// Simulated time covered.
    pub simulated: Duration,
    /// Wall-clock time the run took (not deterministic).
    pub wall: Duration,
}

/// How long each measured phase may take before it counts as not reached.
const PHASE_LIMIT: Duration = Duration::from_secs(120);
/// Convergence after a mass start may need a member-list sync round, which
/// big meshes run only every few minutes.
const CONVERGE_LIMIT: Duration = Duration::from_secs(600);
const STEP: Duration = Duration::from_millis(50);
/// How long a seeded mesh runs before the measurements: every member's own
/// first record is still being gossiped, and the probe rounds desynchronise.
const SETTLE: Duration = Duration::from_secs(5);

/// Runs one simulation.
pub fn run(cfg: &MeshSimConfig) -> Result<MeshReport> {
    anyhow::ensure!(cfg.members >= 3, "need at least 3 members");
    anyhow::ensure!((0.0..1.0).contains(&cfg.loss), "loss must be in [0, 1)");
    share_decoded(true);
    let report = run_shared(cfg);
    share_decoded(false);
    report
}

fn run_shared(cfg: &MeshSimConfig) -> Result<MeshReport> {
    let started = Instant::now();
    let core = if cfg.wan {
        MeshConfig::wan()
    } else {
        MeshConfig::lan()
    };
    let link = LinkConfig {
        latency: cfg.latency,
        jitter: cfg.jitter,
        loss: cfg.loss,
        ..LinkConfig::default()
    };
    let mut c = SimCluster::new(cfg.seed, core, link);
    c.record_events = false;
    let rec = Rc::new(RefCell::new(Recorder::default()));
    let observer = rec.clone();
    c.set_observer(Box::new(move |node, at, event| {
        observer.borrow_mut().on_event(node, at, event)
    }));
    let mut rng = StdRng::seed_from_u64(cfg.seed);

    let n = cfg.members;
    let all_alive = |c: &SimCluster| {
        let running = c.running().count();
        c.running().all(|i| c.node(i).core.alive_count() == running)
    };
    let converge = if cfg.seeded {
        for _ in 0..n {
            c.add_node().context("add member")?;
        }
        // Spread the first probe rounds over one probe period.
        c.seed_converged(Duration::from_secs(if cfg.wan { 5 } else { 1 }));
        c.run_for(SETTLE);
        anyhow::ensure!(all_alive(&c), "seeded mesh lost members while settling");
        None
    } else {
        // Staggered start: each member joins through a random earlier one.
        for i in 0..n {
            c.add_node().context("add member")?;
            if i > 0 {
                let via = rng.random_range(0..i);
                c.join(i, via).context("join")?;
            }
            c.run_for(cfg.join_spacing);
        }
        let converged = c.run_until(CONVERGE_LIMIT, Duration::from_millis(500), all_alive);
        converged.then(|| c.elapsed())
    };
    if std::env::var_os("MESH_SIM_DEBUG").is_some() {
        let running = c.running().count();
        let short_foca = c
            .running()
            .filter(|&i| c.node(i).core.num_active() + 1 < running)
            .count();
        let short_view = c
            .running()
            .filter(|&i| c.node(i).core.alive_count() < running)
            .count();
        eprintln!(
            "after convergence: pending (timers, datagrams) = {:?}; members missing someone: foca {short_foca}, view {short_view}",
            c.pending()
        );
    }

    // One more member joins through member 0.
    let since = c.elapsed();
    let newcomer = c.len();
    let name = format!("s{newcomer}.global");
    rec.borrow_mut()
        .watch(&name, since, Some(newcomer), n, |e| {
            e.kind == MemberEventKind::Joined
        });
    c.add_node()?;
    c.join(newcomer, 0)?;
    c.run_until(PHASE_LIMIT, STEP, |_| rec.borrow().complete());
    let join = rec.borrow_mut().finish();
    let members = n + 1;

    // A metadata update from one member.
    let updater = members / 2;
    let since = c.elapsed();
    let mut meta = c.node(updater).core.record().meta.clone();
    meta.build = "sim-updated".into();
    rec.borrow_mut()
        .watch(&c.name(updater), since, Some(updater), members - 1, |e| {
            e.member.meta.build == "sim-updated"
        });
    c.set_meta(updater, meta)?;
    c.run_until(PHASE_LIMIT, STEP, |_| rec.borrow().complete());
    let update = rec.borrow_mut().finish();

    // A member dies without a word.
    let victim = members / 3;
    let since = c.elapsed();
    rec.borrow_mut().expect_failure_of(&c.name(victim));
    rec.borrow_mut()
        .watch(&c.name(victim), since, Some(victim), members - 1, |e| {
            e.kind == MemberEventKind::Failed
        });
    c.kill(victim);
    c.run_until(PHASE_LIMIT, STEP, |_| rec.borrow().complete());
    let failure = rec.borrow_mut().finish();

    // Steady window: bandwidth.
    let before = c.net.stats().bytes_by_sender.clone();
    let window_start = c.elapsed();
    c.run_for(cfg.duration);
    let secs = (c.elapsed() - window_start).as_secs_f64().max(f64::EPSILON);
    let after = &c.net.stats().bytes_by_sender;
    let rates: Vec<f64> = c
        .running()
        .map(|i| {
            let addr = c.node(i).addr;
            let sent =
                after.get(&addr).copied().unwrap_or(0) - before.get(&addr).copied().unwrap_or(0);
            sent as f64 / secs
        })
        .collect();
    let mean = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    let max = rates.iter().copied().fold(0.0, f64::max);

    let false_failures = rec.borrow().false_failures;
    Ok(MeshReport {
        config_members: n,
        converge,
        join,
        update,
        failure,
        false_failures,
        bytes_per_member_mean: mean,
        bytes_per_member_max: max,
        datagrams_sent: c.net.stats().sent,
        datagrams_lost: c.net.stats().lost,
        simulated: c.elapsed(),
        wall: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> MeshSimConfig {
        MeshSimConfig {
            members: 20,
            duration: Duration::from_secs(30),
            seed: 7,
            ..MeshSimConfig::default()
        }
    }

    #[test]
    fn small_run_reaches_everyone_and_is_reproducible() {
        let a = run(&small()).unwrap();
        assert!(a.converge.is_some());
        for spread in [a.join, a.update, a.failure] {
            assert!(spread.p100.is_some(), "not everyone saw it: {spread:?}");
            assert!(spread.p50 <= spread.p100);
        }
        assert_eq!(a.false_failures, 0);
        assert!(a.bytes_per_member_mean > 0.0);
        assert!(a.bytes_per_member_max >= a.bytes_per_member_mean);
        let b = run(&small()).unwrap();
        assert_eq!(
            MeshReport { wall: a.wall, ..b },
            a,
            "same seed, different run"
        );
    }

    #[test]
    fn seeded_start_measures_through_the_protocol() {
        let cfg = MeshSimConfig {
            seeded: true,
            ..small()
        };
        let a = run(&cfg).unwrap();
        assert_eq!(a.converge, None, "a seeded start is not measured");
        for spread in [a.join, a.update, a.failure] {
            assert!(spread.p100.is_some(), "not everyone saw it: {spread:?}");
        }
        assert_eq!(a.false_failures, 0);
        assert!(a.datagrams_sent > 0);
        assert_eq!(
            MeshReport {
                wall: a.wall,
                ..run(&cfg).unwrap()
            },
            a
        );
    }

    #[test]
    fn rejects_nonsense() {
        assert!(
            run(&MeshSimConfig {
                members: 1,
                ..small()
            })
            .is_err()
        );
        assert!(
            run(&MeshSimConfig {
                loss: 1.5,
                ..small()
            })
            .is_err()
        );
    }
}
