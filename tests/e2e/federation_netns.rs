//! A region cut off by the network, not frozen: the test runs in a network namespace of its own (its
//! agents and CLI calls too), and iptables rules in that namespace drop the UDP traffic (mesh and RPC)
//! between west's ports and everyone else's. West keeps running and scheduling on its own, the others
//! keep scheduling and fail fast and clearly for west, and when the rules go the mesh heals without a
//! restart. Needs root, `ip` and `iptables`: missing under `CI=true` is a failure, elsewhere a loud NOT
//! TESTED banner.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use super::federation_support::{FAST_FAILURE, RegionAgent, batch_job, completed_in, run_job};
use super::mesh_support::{both, join, stdout, wait_for};

/// A network namespace this test created; deleted when dropped (it goes away for good once the last
/// process in it exits).
struct Netns {
    name: String,
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Netns {
    fn create() -> Result<Netns, String> {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nomad-e2e-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        run("ip", &["netns", "add", &name])?;
        let ns = Netns { name };
        ns.exec(&["ip", "link", "set", "lo", "up"])?;
        // iptables must work in it (the kernel may lack netfilter).
        ns.exec(&["iptables", "-S"])?;
        Ok(ns)
    }

    fn exec(&self, args: &[&str]) -> Result<(), String> {
        let mut all = vec!["netns", "exec", &self.name];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// Moves the calling thread (and what it starts from now on) into the namespace.
    fn enter(&self) -> Result<(), String> {
        let f = File::open(format!("/run/netns/{}", self.name)).map_err(|e| e.to_string())?;
        // SAFETY: setns on a valid namespace fd; it affects only the calling thread.
        if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
        Ok(())
    }

    /// Drops UDP between `ports` and every other port (traffic among `ports` still flows: a region's own
    /// client talks to its own server over RPC).
    fn cut(&self, ports: &[u16]) -> Result<(), String> {
        let list = ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        for (to, from) in [("--dports", "--sports"), ("--sports", "--dports")] {
            self.exec(&[
                "iptables",
                "-A",
                "INPUT",
                "-p",
                "udp",
                "-m",
                "multiport",
                to,
                &list,
                "-m",
                "multiport",
                "!",
                from,
                &list,
                "-j",
                "DROP",
            ])?;
        }
        Ok(())
    }

    fn heal(&self) -> Result<(), String> {
        self.exec(&["iptables", "-F", "INPUT"])
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name]);
    }
}

/// A namespace for this test, or `None` (with the banner) where it cannot be made outside CI.
fn netns() -> Option<Netns> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let made = if root {
        Netns::create()
    } else {
        Err("not root".into())
    };
    match made {
        Ok(ns) => Some(ns),
        Err(e) => {
            let msg = format!(
                "the network-cut federation test needs root, ip and iptables ({e}); a region cut off by \
                 the network is NOT tested here"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {msg}");
            }
            eprintln!("\n!!!!!!!! {msg} !!!!!!!!\n");
            None
        }
    }
}

#[test]
fn a_region_cut_off_by_the_network_works_alone_and_heals() {
    let Some(ns) = netns() else {
        return;
    };
    // On a thread of its own, so that no other test shares the namespace.
    let outcome = std::thread::spawn(move || {
        ns.enter().expect("enter the namespace");
        cut_and_heal(&ns);
    })
    .join();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn cut_and_heal(ns: &Netns) {
    let east = RegionAgent::start("east", "");
    let west = RegionAgent::start("west", "");
    let south = RegionAgent::start("south", "");
    let (e, w, s) = (east.member(), west.member(), south.member());
    join(&west, &east);
    join(&south, &east);
    let agents = [&*east, &*west, &*south];
    wait_for(&agents, "every region alive everywhere", || {
        [&east, &south]
            .iter()
            .all(|a| a.status_of(&w).as_deref() == Some("alive"))
            && west.status_of(&s).as_deref() == Some("alive")
            && [&east, &west, &south].iter().all(|a| a.node_ready())
    });
    let dir = tempfile::tempdir().expect("tempdir");
    run_job(
        &east,
        &["-region", "west"],
        &batch_job(dir.path(), "before", None, "before-cut"),
    );
    completed_in(&agents, &west, "before");

    // The cut: west's mesh and RPC ports hear nothing from the others' and reach none of them.
    ns.cut(&[west.serf, west.rpc]).expect("cut west off");
    let begun = Instant::now();
    let out = south.nomad(&["job", "status", "-region", "west", "before"]);
    let took = begun.elapsed();
    assert!(!out.status.success(), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No path to region"),
        "{}",
        both(&out)
    );
    assert!(took < FAST_FAILURE, "took {took:?}");
    wait_for(&agents, "each side to see the other failed", || {
        [&east, &south]
            .iter()
            .all(|a| a.status_of(&w).as_deref() == Some("failed"))
            && [&e, &s]
                .iter()
                .all(|m| west.status_of(m).as_deref() == Some("failed"))
    });
    // East and south keep scheduling; `server members` still prints.
    run_job(
        &south,
        &["-region", "east"],
        &batch_job(dir.path(), "during", None, "during-cut"),
    );
    completed_in(&agents, &east, "during");
    let out = east.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"west\""),
        "{}",
        both(&out)
    );
    // West, alone, keeps scheduling too, and fails fast for the regions it cannot reach.
    run_job(
        &west,
        &[],
        &batch_job(dir.path(), "alone", None, "west-alone"),
    );
    completed_in(&agents, &west, "alone");
    let begun = Instant::now();
    let out = west.nomad(&["job", "status", "-region", "east", "during"]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("No path to region"),
        "{}",
        both(&out)
    );
    assert!(begun.elapsed() < FAST_FAILURE, "took {:?}", begun.elapsed());

    // The network heals: the mesh takes west back; nothing is restarted.
    ns.heal().expect("heal");
    wait_for(&agents, "every region alive everywhere again", || {
        [&east, &south]
            .iter()
            .all(|a| a.status_of(&w).as_deref() == Some("alive"))
            && [&e, &s]
                .iter()
                .all(|m| west.status_of(m).as_deref() == Some("alive"))
    });
    for a in [&east, &south] {
        let out = a.nomad(&["job", "status", "-region", "west", "alone"]);
        assert!(out.status.success(), "{}: {}", a.region, both(&out));
    }
    let out = west.nomad(&["job", "status", "-region", "east", "during"]);
    assert!(out.status.success(), "{}", both(&out));
    run_job(
        &east,
        &["-region", "west"],
        &batch_job(dir.path(), "after", None, "after-cut"),
    );
    let alloc = completed_in(&agents, &west, "after");
    let out = south.nomad(&["alloc", "logs", "-region", "west", &alloc]);
    assert_eq!(stdout(&out).trim(), "after-cut", "{}", both(&out));
}
