//! Query parameters every endpoint shares (`?index`, `?wait`, `?prefix`, `?pretty`, `?region`,
//! `?namespace`), blocking queries over the region's state, and the JSON reply with Nomad's `X-Nomad-*`
//! headers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nomad_region::state::{StateSnapshot, Table};
use nomad_region::structs::DEFAULT_NAMESPACE;
use serde::Serialize;

use super::ApiState;
use super::error::{ApiError, Result};

/// Longest (and default) wait of a blocking query: Nomad's 5 minutes.
pub const MAX_BLOCKING_WAIT: Duration = Duration::from_secs(300);

/// The parsed query string of a request, already checked against this agent's region.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// `?index=`: block until the data's index is greater (0: answer at once).
    pub index: u64,
    /// `?wait=`: how long to block at most.
    pub wait: Duration,
    /// `?prefix=`.
    pub prefix: String,
    /// `?pretty`: indent the JSON.
    pub pretty: bool,
    /// `?namespace=` (default `default`; `*` lists every namespace).
    pub namespace: String,
    /// Every parameter, for endpoint-specific ones.
    pub params: HashMap<String, String>,
}

impl QueryOptions {
    /// Parses the parameters; `local_region` is the only region served for now.
    pub fn parse(params: HashMap<String, String>, local_region: &str) -> Result<QueryOptions> {
        if let Some(region) = params.get("region").filter(|r| !r.is_empty())
            && region != local_region
        {
            return Err(ApiError::NoPathToRegion);
        }
        let index = match params.get("index").filter(|s| !s.is_empty()) {
            Some(s) => s.parse::<u64>().map_err(|_| {
                ApiError::BadRequest(format!("Failed to parse index parameter: {s:?}"))
            })?,
            None => 0,
        };
        let wait = match params.get("wait").filter(|s| !s.is_empty()) {
            Some(s) => {
                let nanos = nomad_region::duration::parse_duration(s)
                    .map_err(|_| ApiError::BadRequest(format!("Invalid wait time: {s}")))?;
                Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)).min(MAX_BLOCKING_WAIT)
            }
            None => MAX_BLOCKING_WAIT,
        };
        let opts = QueryOptions {
            index,
            wait,
            prefix: params.get("prefix").cloned().unwrap_or_default(),
            pretty: false,
            namespace: params
                .get("namespace")
                .filter(|s| !s.is_empty())
                .cloned()
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()),
            params,
        };
        let pretty = opts.flag("pretty")?;
        Ok(QueryOptions { pretty, ..opts })
    }

    /// A boolean parameter as Go's `strconv.ParseBool` reads it; present without a value means true.
    pub fn flag(&self, name: &str) -> Result<bool> {
        match self.params.get(name).map(String::as_str) {
            None => Ok(false),
            Some("" | "1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
            Some(other) => Err(ApiError::BadRequest(format!(
                "Failed to parse value of {name:?} ({other}) as a bool"
            ))),
        }
    }

    /// A string parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// True when objects of `namespace` are listed.
    pub fn namespace_matches(&self, namespace: &str) -> bool {
        self.namespace == "*" || self.namespace == namespace
    }
}

impl FromRequestParts<ApiState> for QueryOptions {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self> {
        let Query(params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        QueryOptions::parse(params, &state.agent.region)
    }
}

/// Runs a blocking query: without `?index` returns the current state; with it, waits until the index of
/// one of `tables` passes `q.index` or `q.wait` runs out, and returns the state at that moment.
pub async fn blocking(state: &ApiState, q: &QueryOptions, tables: &[Table]) -> StateSnapshot {
    let mut snap = state.region.snapshot();
    if q.index == 0 {
        return snap;
    }
    let deadline = Instant::now() + q.wait;
    while snap.max_index(tables) <= q.index {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        snap = state
            .region
            .wait_for_index(snap.latest_index(), deadline - now)
            .await;
    }
    snap
}

/// The index a reply reports for `tables`: never 0, so that clients passing it back do block.
pub fn reply_index(snap: &StateSnapshot, tables: &[Table]) -> u64 {
    snap.max_index(tables).max(1)
}

/// A JSON reply with `X-Nomad-Index`, `X-Nomad-KnownLeader` and `X-Nomad-LastContact`.
pub fn reply<T: Serialize>(
    state: &ApiState,
    q: &QueryOptions,
    index: u64,
    body: &T,
) -> Result<Response> {
    let bytes = if q.pretty {
        serde_json::to_vec_pretty(body)
    } else {
        serde_json::to_vec(body)
    }
    .map_err(|e| ApiError::Internal(format!("failed to encode response: {e}")))?;
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert("X-Nomad-Index", HeaderValue::from(index));
    let leader = if state.region.is_leader() || state.region.leader_addr().is_some() {
        "true"
    } else {
        "false"
    };
    h.insert("X-Nomad-KnownLeader", HeaderValue::from_static(leader));
    // Milliseconds since this server heard from the leader (0 on the leader); followers answer
    // `?stale` reads from their own state.
    let contact = state.region.last_contact_ms().unwrap_or(0);
    h.insert("X-Nomad-LastContact", HeaderValue::from(contact));
    Ok(resp)
}

/// Decodes a JSON request body with Nomad's wording for malformed input.
pub fn decode_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("Request body is empty".into()));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("Failed to decode request body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_parsing() -> Result<()> {
        let q = QueryOptions::parse(params(&[]), "global")?;
        assert_eq!((q.index, q.wait, q.pretty), (0, MAX_BLOCKING_WAIT, false));
        assert_eq!(q.namespace, "default");
        let q = QueryOptions::parse(
            params(&[
                ("index", "7"),
                ("wait", "10s"),
                ("pretty", ""),
                ("prefix", "ab"),
            ]),
            "global",
        )?;
        assert_eq!(
            (q.index, q.wait, q.pretty),
            (7, Duration::from_secs(10), true)
        );
        assert_eq!(q.prefix, "ab");
        Ok(())
    }

    #[test]
    fn wait_is_capped_at_five_minutes() -> Result<()> {
        let q = QueryOptions::parse(params(&[("index", "1"), ("wait", "1h")]), "global")?;
        assert_eq!(q.wait, MAX_BLOCKING_WAIT);
        Ok(())
    }

    #[test]
    fn bad_values_are_bad_requests() {
        for p in [("index", "x"), ("wait", "soon"), ("pretty", "maybe")] {
            let r = QueryOptions::parse(params(&[p]), "global");
            assert!(matches!(r, Err(ApiError::BadRequest(_))), "{p:?}");
        }
    }

    #[test]
    fn other_region_has_no_path() {
        let r = QueryOptions::parse(params(&[("region", "west")]), "global");
        assert!(matches!(r, Err(ApiError::NoPathToRegion)));
        assert!(QueryOptions::parse(params(&[("region", "global")]), "global").is_ok());
    }

    #[test]
    fn flags_read_like_go() -> Result<()> {
        let q = QueryOptions::parse(params(&[("purge", "true"), ("all", "0")]), "global")?;
        assert!(q.flag("purge")?);
        assert!(!q.flag("all")?);
        assert!(!q.flag("absent")?);
        Ok(())
    }

    #[test]
    fn body_errors_are_worded() {
        let e = decode_body::<serde_json::Value>(b"{oops")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.starts_with("Failed to decode request body")));
        let e = decode_body::<serde_json::Value>(b"  ")
            .err()
            .map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("Request body is empty"));
    }
}
