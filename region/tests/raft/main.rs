//! Raft integration tests: openraft's storage conformance suite on the sled
//! stores, and 3-member clusters over the in-memory transport (election,
//! replication, failover, restart from disk, snapshot install).

mod cluster;
mod leadership;
mod suite;
mod support;
