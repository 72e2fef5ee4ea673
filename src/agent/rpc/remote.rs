//! `RemoteRpc`: the client's [`ServerRpc`] over QUIC to the servers in `client { servers = [...] }`. Calls
//! go to the server that answered last; when it does not answer (down, not a server, another region, no
//! leader) the next one in the list is tried, and when none answers the call fails with every reason in
//! one line, which the client logs before it retries. Tasks keep running meanwhile.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nomad_region::structs::{Allocation, Node};

use super::endpoint::RpcEndpoint;
use super::wire::{Envelope, HttpCall, HttpReply, Reply, Request, WireError};
use crate::client::{RpcError, RpcResult, ServerRpc};

/// Deadline of an ordinary call.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Extra time a blocking query gets past its `wait` before the call is given up.
const BLOCKING_SLACK: Duration = Duration::from_secs(10);
/// Deadline of a carried HTTP request (blocking queries wait up to 10 minutes).
const HTTP_TIMEOUT: Duration = Duration::from_secs(620);
/// The port a server address without one uses.
const DEFAULT_RPC_PORT: u16 = 4647;

/// Client -> server calls over QUIC.
pub struct RemoteRpc {
    endpoint: RpcEndpoint,
    region: String,
    servers: Vec<String>,
    preferred: AtomicUsize,
}

impl RemoteRpc {
    /// Calls `servers` (`host[:port]`) from `endpoint` on behalf of a node in `region`.
    pub fn new(endpoint: RpcEndpoint, region: String, servers: Vec<String>) -> Self {
        Self {
            endpoint,
            region,
            servers,
            preferred: AtomicUsize::new(0),
        }
    }

    /// Resolved now rather than once, so that a name that did not resolve at start can later.
    fn resolve(server: &str) -> Result<SocketAddr, String> {
        let with_port = if server
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            server.to_string()
        } else {
            format!("{server}:{DEFAULT_RPC_PORT}")
        };
        with_port
            .to_socket_addrs()
            .map_err(|e| format!("{server}: {e}"))?
            .next()
            .ok_or_else(|| format!("{server}: no address"))
    }

    async fn call(&self, request: Request, timeout: Duration) -> RpcResult<Reply> {
        if self.servers.is_empty() {
            return Err(RpcError::Unavailable(
                "no servers configured (client.servers is empty)".into(),
            ));
        }
        let envelope = Envelope {
            region: self.region.clone(),
            request,
        };
        let n = self.servers.len();
        let start = self.preferred.load(Ordering::Relaxed);
        let mut reasons = Vec::new();
        for k in 0..n {
            let i = (start + k) % n;
            let server = &self.servers[i];
            let addr = match Self::resolve(server) {
                Ok(a) => a,
                Err(e) => {
                    reasons.push(e);
                    continue;
                }
            };
            match self.endpoint.call(addr, &envelope, timeout).await {
                Ok(Reply::Error(
                    e @ (WireError::Unavailable(_)
                    | WireError::WrongRegion { .. }
                    | WireError::Unsupported(_)),
                )) => reasons.push(format!("{server}: {e}")),
                Ok(reply) => {
                    self.preferred.store(i, Ordering::Relaxed);
                    return Ok(reply);
                }
                Err(e) => reasons.push(e.to_string()),
            }
        }
        Err(RpcError::Unavailable(reasons.join("; ")))
    }
}

impl RemoteRpc {
    /// Carries an HTTP API request to a server (client-only agents' API).
    pub async fn http(&self, call: HttpCall) -> RpcResult<HttpReply> {
        // Blocking queries ride on HTTP too: allow for Nomad's longest wait.
        match self.call(Request::Http(call), HTTP_TIMEOUT).await? {
            Reply::Http(r) => Ok(r),
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(reply: Reply) -> RpcError {
    match reply {
        Reply::Error(WireError::UnknownNode(n)) => RpcError::UnknownNode(n),
        Reply::Error(e) => RpcError::Server(e.to_string()),
        other => RpcError::Server(format!("unexpected reply from server: {other:?}")),
    }
}

impl ServerRpc for RemoteRpc {
    async fn register_node(&self, node: Node) -> RpcResult<Duration> {
        match self
            .call(Request::RegisterNode(Box::new(node)), CALL_TIMEOUT)
            .await?
        {
            Reply::Ttl(n) => Ok(Duration::from_nanos(n)),
            other => Err(unexpected(other)),
        }
    }

    async fn heartbeat(&self, node_id: String) -> RpcResult<Duration> {
        match self
            .call(Request::Heartbeat { node_id }, CALL_TIMEOUT)
            .await?
        {
            Reply::Ttl(n) => Ok(Duration::from_nanos(n)),
            other => Err(unexpected(other)),
        }
    }

    async fn allocs_for_node(
        &self,
        node_id: String,
        min_index: u64,
        wait: Duration,
    ) -> RpcResult<(Vec<Allocation>, u64)> {
        let request = Request::AllocsForNode {
            node_id,
            min_index,
            wait_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
        };
        match self.call(request, wait + BLOCKING_SLACK).await? {
            Reply::Allocs(a, i) => Ok((a, i)),
            other => Err(unexpected(other)),
        }
    }

    async fn update_allocs(&self, allocs: Vec<Allocation>) -> RpcResult<()> {
        match self
            .call(Request::UpdateAllocs(allocs), CALL_TIMEOUT)
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }
}
