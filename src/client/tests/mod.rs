//! Behaviour tests of the whole client (registration, heartbeats, alloc watching,
//! runners, drivers, logs, shutdown) against an in-memory fake of the servers.

mod fake_rpc;
mod fixtures;
mod lifecycle;
mod operate;
mod running;
