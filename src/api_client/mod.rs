//! The HTTP client the CLI uses to talk to an agent's `/v1` API, like Nomad's Go `api` package: it adds
//! `region`, `namespace` and the token to every request and turns non-2xx replies into Nomad's
//! `Unexpected response code: N (body)` errors.

pub mod exec;
pub mod exec_frames;
pub mod types;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

/// Where and as whom to call.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub address: String,
    pub region: Option<String>,
    pub namespace: Option<String>,
    pub token: Option<String>,
}

#[derive(Debug, Error)]
pub enum ApiError {
    /// The agent answered with a non-2xx status; `body` is its plain-text reason.
    #[error("Unexpected response code: {status} ({body})")]
    Status { status: u16, body: String },
    /// The agent could not be reached at all.
    #[error("Error querying {address}: {message}")]
    Transport { address: String, message: String },
    #[error("Error decoding response from {path}: {message}")]
    Decode { path: String, message: String },
}

pub type Result<T> = std::result::Result<T, ApiError>;

/// What a query's response headers say about the state it was read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryMeta {
    /// `X-Nomad-Index`: the Raft index of the data returned; pass it back as `index` to block.
    pub last_index: u64,
    /// `X-Nomad-KnownLeader`.
    pub known_leader: bool,
}

/// A blocking HTTP client for one agent.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(config: ClientConfig) -> Self {
        // Blocking queries wait up to 5 minutes on the server.
        Self::with_timeout(config, Duration::from_secs(330))
    }

    /// A client whose every call gives up after `timeout` (quick lookups that must not hang).
    pub fn with_timeout(config: ClientConfig, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .new_agent();
        Client { config, agent }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `GET path?query`, decoding the JSON body.
    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(T, QueryMeta)> {
        let resp = self.call_get(path, query)?;
        self.decode(path, resp)
    }

    /// A GET, sent again once on a fresh connection when the pooled one it went out on turns out
    /// to be closed (the server may close an idle keep-alive connection just as it is reused; a
    /// GET is idempotent, so HTTP allows the retry).
    fn call_get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let send = || {
            self.with_params(self.agent.get(self.url(path)), query)
                .call()
        };
        match send() {
            Err(ureq::Error::Io(_)) => send().map_err(|e| self.transport(e)),
            other => other.map_err(|e| self.transport(e)),
        }
    }

    /// `PUT path` with a JSON body.
    pub fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &B,
    ) -> Result<(T, QueryMeta)> {
        let req = self.with_params(self.agent.put(self.url(path)), query);
        let resp = req.send_json(body).map_err(|e| self.transport(e))?;
        self.decode(path, resp)
    }

    /// `DELETE path`.
    pub fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(T, QueryMeta)> {
        let req = self.with_params(self.agent.delete(self.url(path)), query);
        let resp = req.call().map_err(|e| self.transport(e))?;
        self.decode(path, resp)
    }

    /// `GET path` returning the raw body as a reader (log streams).
    pub fn get_stream(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<impl std::io::Read + use<>> {
        let resp = self.call_get(path, query)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let body = resp.into_body().read_to_string().unwrap_or_default();
            return Err(ApiError::Status {
                status,
                body: body.trim().to_owned(),
            });
        }
        Ok(resp.into_body().into_reader())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.address.trim_end_matches('/'), path)
    }

    fn with_params<B>(
        &self,
        mut req: ureq::RequestBuilder<B>,
        query: &[(&str, String)],
    ) -> ureq::RequestBuilder<B> {
        if let Some(region) = &self.config.region {
            req = req.query("region", region);
        }
        if let Some(ns) = &self.config.namespace {
            req = req.query("namespace", ns);
        }
        for (k, v) in query {
            req = req.query(*k, v);
        }
        if let Some(token) = &self.config.token {
            req = req.header("X-Nomad-Token", token);
        }
        req
    }

    fn transport(&self, e: ureq::Error) -> ApiError {
        ApiError::Transport {
            address: self.config.address.clone(),
            message: e.to_string(),
        }
    }

    fn decode<T: DeserializeOwned>(
        &self,
        path: &str,
        resp: ureq::http::Response<ureq::Body>,
    ) -> Result<(T, QueryMeta)> {
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let meta = QueryMeta {
            last_index: header("X-Nomad-Index")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            known_leader: header("X-Nomad-KnownLeader").is_some_and(|v| v == "true"),
        };
        let body = resp
            .into_body()
            .read_to_string()
            .map_err(|e| self.transport(e))?;
        if !(200..300).contains(&status) {
            return Err(ApiError::Status {
                status,
                body: body.trim().to_owned(),
            });
        }
        // Some writes (force-leave) answer with an empty body: read it as `null`.
        let body = if body.trim().is_empty() {
            "null".to_owned()
        } else {
            body
        };
        let value = serde_json::from_str(&body).map_err(|e| ApiError::Decode {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Ok((value, meta))
    }
}

#[cfg(test)]
mod tests;
