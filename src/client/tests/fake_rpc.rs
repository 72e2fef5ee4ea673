//! `FakeServer`: an honest in-memory `ServerRpc` with a Raft-like index. Blocking
//! queries block until the index passes `min_index`; client updates merge only
//! client-side fields, as the real state store does.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use nomad_region::structs::{ALLOC_DESIRED_STATUS_STOP, Allocation, Node};
use tokio::sync::watch;

use crate::client::rpc::{RpcError, RpcResult, ServerRpc};

#[derive(Default)]
pub struct State {
    pub nodes: BTreeMap<String, Node>,
    pub allocs: BTreeMap<String, Allocation>,
    pub index: u64,
    pub registrations: u32,
    pub heartbeats: u32,
    /// Every update_allocs batch received.
    pub updates: Vec<Vec<Allocation>>,
}

pub struct FakeServer {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    ttl: Duration,
}

impl FakeServer {
    pub fn new(ttl: Duration) -> Self {
        Self {
            state: Mutex::default(),
            changed: watch::channel(0).0,
            ttl,
        }
    }

    fn mutate<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap();
        s.index += 1;
        let out = f(&mut s);
        self.changed.send_replace(s.index);
        out
    }

    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.lock().unwrap())
    }

    /// Places an allocation (as the plan applier would).
    pub fn place(&self, mut alloc: Allocation) {
        self.mutate(|s| {
            alloc.alloc_modify_index = s.index;
            alloc.modify_index = s.index;
            s.allocs.insert(alloc.id.clone(), alloc);
        });
    }

    /// Sets desired status `stop` (as `job stop` would).
    pub fn stop(&self, alloc_id: &str) {
        self.mutate(|s| {
            let idx = s.index;
            if let Some(a) = s.allocs.get_mut(alloc_id) {
                a.desired_status = ALLOC_DESIRED_STATUS_STOP.into();
                a.alloc_modify_index = idx;
                a.modify_index = idx;
            }
        });
    }

    /// Forgets every node (servers lost their state).
    pub fn forget_nodes(&self) {
        self.mutate(|s| s.nodes.clear());
    }

    /// Waits until `pred` holds; panics after a generous guard so a broken client
    /// fails the test instead of hanging it.
    pub async fn wait_until(&self, what: &str, pred: impl Fn(&State) -> bool) {
        let mut rx = self.changed.subscribe();
        let guard = tokio::time::sleep(Duration::from_secs(30));
        tokio::pin!(guard);
        loop {
            if self.read(&pred) {
                return;
            }
            tokio::select! {
                _ = rx.changed() => {}
                _ = &mut guard => panic!("timed out waiting for {what}"),
            }
        }
    }

    pub fn alloc(&self, id: &str) -> Allocation {
        self.read(|s| s.allocs[id].clone())
    }
}

impl ServerRpc for FakeServer {
    async fn register_node(&self, node: Node) -> RpcResult<Duration> {
        self.mutate(|s| {
            s.registrations += 1;
            s.nodes.insert(node.id.clone(), node);
        });
        Ok(self.ttl)
    }

    async fn heartbeat(&self, node_id: String) -> RpcResult<Duration> {
        let known = self.mutate(|s| {
            s.heartbeats += 1;
            s.nodes.contains_key(&node_id)
        });
        if known {
            Ok(self.ttl)
        } else {
            Err(RpcError::UnknownNode(node_id))
        }
    }

    async fn allocs_for_node(
        &self,
        node_id: String,
        min_index: u64,
        wait: Duration,
    ) -> RpcResult<(Vec<Allocation>, u64)> {
        let mut rx = self.changed.subscribe();
        let _ = tokio::time::timeout(wait, rx.wait_for(|i| *i > min_index)).await;
        Ok(self.read(|s| {
            let allocs = s
                .allocs
                .values()
                .filter(|a| a.node_id == node_id)
                .cloned()
                .collect();
            (allocs, s.index)
        }))
    }

    async fn update_allocs(&self, allocs: Vec<Allocation>) -> RpcResult<()> {
        self.mutate(|s| {
            for u in &allocs {
                if let Some(a) = s.allocs.get_mut(&u.id) {
                    a.client_status = u.client_status.clone();
                    a.client_description = u.client_description.clone();
                    a.task_states = u.task_states.clone();
                }
            }
            s.updates.push(allocs);
        });
        Ok(())
    }
}
