//! The root package's end-to-end test binary: tests that run the built `nomad`
//! binary as a user would and check what it prints.
//!
//! * `jobspec_corpus` runs every job file under `tests/jobspecs/` through
//!   `nomad job run -output` and `nomad job validate`: valid files against their
//!   golden JSON (regenerate with `UPDATE_GOLDEN=1`), invalid files against the
//!   error position and wording in their `.expect` sidecar.
//! * `jobspec_coverage` checks the corpus itself: that it is big enough, that it
//!   exercises every part of the job specification we promise to support, and
//!   that its sidecar files are consistent.
//! * `support` holds the shared plumbing (running the binary, listing files).
//! * `walkthrough`, `scheduling`, `api_errors`, `exec_driver`, `alloc_operate` drive a real dev agent
//!   (`dev_agent` starts and stops it); `docker_jobs` does so with the real Docker Engine
//!   (`docker_support` builds the local `redis:7` stand-in image and finds the driver's containers).
//! * `mesh_members`, `mesh_security` run several server-only agents that form a mesh (`mesh_support`
//!   starts, kills, terminates and restarts them); `mesh_members` also forms one Raft group through it.
//! * `cluster` (durable server restart, client-only agents over RPC, a dead client's allocations replaced,
//!   wrong-region clients, client restart re-attach with the task's output and exit code kept) and `raft_cluster` (three servers, leader SIGKILL,
//!   restart of every server) run agents with data dirs (`cluster_support` starts and stops them);
//!   `raft_peers` adds a non-voting server and removes a dead one with `operator raft remove-peer`.
//! * `raw_exec_recover` drives the raw_exec driver in process under the built binary's executor:
//!   output written while no client runs and the exit status survive a client restart.
//!   `split_agents` runs a server-only and a client-only agent and operates the client's allocation
//!   through both (logs, follow, fs, stats, signal, exec) and fails fast once the client is gone.
//! * `federation` runs one server+client agent per region (`federation_support`), federates them and
//!   forwards requests, log follows and failures between regions; `federation_cut` cuts one off and
//!   brings it back (`federation_netns` does it with the network, in a namespace of its own);
//!   `federation_raft` federates a region of three servers (one Raft group) with two
//!   single-server regions, kills its leader, then all of it, and restarts it; `federation_exec` runs
//!   `alloc exec -region west` from east (output, exit codes, stdin, refusals, a lost region), also
//!   through a client-only agent of east (with a log follow).

mod jobspec_corpus;
mod jobspec_coverage;
mod support;

// Tests that start a real `nomad agent -dev` on free loopback ports.
mod alloc_operate;
mod api_errors;
mod cluster;
mod cluster_support;
mod dev_agent;
mod docker_jobs;
mod docker_support;
mod exec_driver;
mod raft_cluster;
mod raft_peers;
mod raw_exec_recover;
mod scheduling;
mod split_agents;
mod walkthrough;

// Tests that start several server-only agents on free loopback ports and join them into a mesh.
mod mesh_members;
mod mesh_security;
mod mesh_support;

// Three regions federated over the mesh: forwarding, streaming, a lost region, NAT, pruning.
mod federation;
mod federation_cut;
mod federation_exec;
mod federation_netns;
mod federation_raft;
mod federation_support;
