//! `GET /v1/client/fs/logs/{alloc}`: a task's stdout or stderr, as plain bytes (`plain=true`) or as
//! Nomad's stream of JSON frames (`{"Offset","Data"(base64),"File"}`, `{}` as heartbeat), from `origin`
//! (`start`/`end`) + `offset`, optionally following (`follow=true`) until the task is dead.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use base64::Engine;
use futures_util::stream;
use serde::Serialize;

use super::client_state::{ClientApi, Lookup};
use super::error::{ApiError, Result};
use super::log_stream::{Chunk, LogCursor, Origin};
use super::query::QueryOptions;

/// How often a follower looks for new output.
const POLL: Duration = Duration::from_millis(200);
/// Idle polls between heartbeat frames (about 10 s, as Nomad).
const HEARTBEAT_POLLS: u32 = 50;

/// Nomad's `StreamFrame`; empty fields are left out, so a heartbeat is `{}`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Frame {
    #[serde(skip_serializing_if = "is_zero")]
    offset: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    data: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    file: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    file_event: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What the request asks for.
struct LogRequest {
    task: String,
    kind: String,
    follow: bool,
    plain: bool,
    origin: Origin,
    offset: u64,
}

fn parse_request(q: &QueryOptions, tasks: &[String]) -> Result<LogRequest> {
    let task = match q.param("task").filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        // One task needs no name.
        None if tasks.len() == 1 => tasks[0].clone(),
        None => return Err(ApiError::BadRequest("must include task name".into())),
    };
    if !tasks.contains(&task) {
        return Err(ApiError::BadRequest(format!("unknown task name {task:?}")));
    }
    let kind = match q.param("type").unwrap_or("stdout") {
        k @ ("stdout" | "stderr") => k.to_string(),
        other => {
            return Err(ApiError::BadRequest(format!(
                "log type must be \"stdout\" or \"stderr\", got {other:?}"
            )));
        }
    };
    let origin = match q.param("origin").unwrap_or("start") {
        "start" | "" => Origin::Start,
        "end" => Origin::End,
        _ => return Err(ApiError::BadRequest("origin must be start or end".into())),
    };
    let offset = match q.param("offset").filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| ApiError::BadRequest(format!("invalid offset {s:?}")))?,
        None => 0,
    };
    Ok(LogRequest {
        task,
        kind,
        follow: q.flag("follow")?,
        plain: q.flag("plain")?,
        origin,
        offset,
    })
}

/// `GET /v1/client/fs/logs/{alloc}`.
pub async fn logs(
    State(state): State<ClientApi>,
    Path(alloc_id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let (alloc, client) = state.local(&alloc_id).await?;
    let tasks: Vec<String> = alloc
        .job
        .as_deref()
        .and_then(|j| j.lookup_task_group(&alloc.task_group))
        .map(|g| g.tasks.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    let req = parse_request(&q, &tasks)?;
    let dir = client
        .log_dir(&alloc.id)
        .ok_or_else(|| ApiError::NotFound(format!("unknown allocation ID {:?}", alloc.id)))?;
    let cursor = LogCursor::open(dir, &req.task, &req.kind, req.origin, req.offset).await;
    let content_type = if req.plain {
        "text/plain; charset=utf-8"
    } else {
        "application/json"
    };
    let follower = Follower {
        cursor,
        lookup: state.lookup.clone(),
        alloc_id: alloc.id.clone(),
        task: req.task,
        follow: req.follow,
        plain: req.plain,
        idle: 0,
        done: false,
    };
    let body = Body::from_stream(stream::unfold(follower, |mut f| async move {
        f.next().await.map(|item| (item, f))
    }));
    let mut resp = Response::new(body);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(resp)
}

/// The state of one streaming response.
struct Follower {
    cursor: LogCursor,
    lookup: Lookup,
    alloc_id: String,
    task: String,
    follow: bool,
    plain: bool,
    idle: u32,
    done: bool,
}

impl Follower {
    /// The next piece of the body; `None` ends the response.
    async fn next(&mut self) -> Option<std::io::Result<Bytes>> {
        if self.done {
            return None;
        }
        loop {
            match self.cursor.next_chunk().await {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(Some(chunk)) => {
                    self.idle = 0;
                    return Some(Ok(self.encode(chunk)));
                }
                Ok(None) if !self.follow => return None,
                Ok(None) => {
                    // Output ends for good once the task is dead and its files are drained.
                    if self.task_dead().await {
                        match self.cursor.next_chunk().await {
                            Ok(Some(chunk)) => return Some(Ok(self.encode(chunk))),
                            _ => return None,
                        }
                    }
                    tokio::time::sleep(POLL).await;
                    self.idle += 1;
                    if self.idle >= HEARTBEAT_POLLS && !self.plain {
                        self.idle = 0;
                        return Some(Ok(Bytes::from_static(b"{}")));
                    }
                }
            }
        }
    }

    async fn task_dead(&self) -> bool {
        self.lookup.task_dead(&self.alloc_id, &self.task).await
    }

    fn encode(&self, chunk: Chunk) -> Bytes {
        if self.plain {
            return Bytes::from(chunk.data);
        }
        let frame = Frame {
            offset: chunk.offset,
            data: base64::engine::general_purpose::STANDARD.encode(&chunk.data),
            file: chunk.file,
            file_event: String::new(),
        };
        Bytes::from(serde_json::to_vec(&frame).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn q(pairs: &[(&str, &str)]) -> Result<QueryOptions> {
        let params: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        QueryOptions::parse(params, "global")
    }

    #[test]
    fn request_defaults_and_errors() -> Result<()> {
        let tasks = vec!["web".to_string()];
        let r = parse_request(&q(&[])?, &tasks)?;
        assert_eq!((r.task.as_str(), r.kind.as_str()), ("web", "stdout"));
        assert_eq!(
            (r.origin, r.offset, r.follow, r.plain),
            (Origin::Start, 0, false, false)
        );
        let r = parse_request(
            &q(&[
                ("type", "stderr"),
                ("origin", "end"),
                ("offset", "10"),
                ("follow", "true"),
            ])?,
            &tasks,
        )?;
        assert_eq!(
            (r.kind.as_str(), r.origin, r.offset, r.follow),
            ("stderr", Origin::End, 10, true)
        );
        assert!(parse_request(&q(&[("type", "stdin")])?, &tasks).is_err());
        assert!(parse_request(&q(&[("task", "db")])?, &tasks).is_err());
        let two = vec!["a".to_string(), "b".to_string()];
        assert!(parse_request(&q(&[])?, &two).is_err());
        Ok(())
    }

    #[test]
    fn heartbeat_frame_is_empty_object() {
        let json = serde_json::to_string(&Frame::default()).unwrap_or_default();
        assert_eq!(json, "{}");
        let f = Frame {
            offset: 3,
            data: "YWJj".into(),
            file: "alloc/logs/web.stdout.0".into(),
            file_event: String::new(),
        };
        let json = serde_json::to_string(&f).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"Offset":3,"Data":"YWJj","File":"alloc/logs/web.stdout.0"}"#
        );
    }
}
