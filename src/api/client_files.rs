//! `/v1/client/fs/{ls,stat,cat,readat}/{alloc}?path=`: an allocation's directory as
//! Nomad's client serves it. `ls` and `stat` answer `AllocFileInfo` JSON; `cat` and
//! `readat` (`offset`, `limit`) the raw bytes. A path that leaves the allocation
//! directory is refused with 400.

use std::io::SeekFrom;
use std::path::PathBuf;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::client_state::{ClientApi, client_reply};
use super::error::{ApiError, Result};
use super::query::QueryOptions;
use crate::client::alloc_fs::{self, FsError};

/// Bytes read per chunk of a streamed body.
const CHUNK: usize = 64 * 1024;

impl From<FsError> for ApiError {
    fn from(e: FsError) -> Self {
        match e {
            FsError::Escapes(_) | FsError::IsDirectory(_) => ApiError::BadRequest(e.to_string()),
            FsError::NotFound(_) => ApiError::NotFound(e.to_string()),
            FsError::Io(_) => ApiError::Internal(e.to_string()),
        }
    }
}

/// The allocation's directory on this client and the requested path.
async fn target(state: &ClientApi, alloc_id: &str, q: &QueryOptions) -> Result<(PathBuf, String)> {
    let (alloc, client) = state.local(alloc_id).await?;
    let root = client
        .alloc_dir(&alloc.id)
        .ok_or_else(|| ApiError::NotFound(format!("unknown allocation ID {:?}", alloc.id)))?;
    let path = q.param("path").filter(|p| !p.is_empty()).unwrap_or("/");
    Ok((root, path.to_string()))
}

/// `GET /v1/client/fs/ls/{alloc}`.
pub async fn ls(
    State(state): State<ClientApi>,
    Path(alloc_id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let (root, path) = target(&state, &alloc_id, &q).await?;
    let files = alloc_fs::list(&root, &path)?;
    client_reply(&q, &files)
}

/// `GET /v1/client/fs/stat/{alloc}`.
pub async fn stat(
    State(state): State<ClientApi>,
    Path(alloc_id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let (root, path) = target(&state, &alloc_id, &q).await?;
    let info = alloc_fs::stat(&root, &path)?;
    client_reply(&q, &info)
}

/// `GET /v1/client/fs/cat/{alloc}`.
pub async fn cat(
    State(state): State<ClientApi>,
    Path(alloc_id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let (root, path) = target(&state, &alloc_id, &q).await?;
    let file = alloc_fs::open_file(&root, &path)?;
    stream_file(file, 0, None).await
}

fn number(q: &QueryOptions, name: &str) -> Result<u64> {
    let v = q
        .param(name)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("must provide {name}")))?;
    v.parse()
        .map_err(|_| ApiError::BadRequest(format!("invalid {name} {v:?}")))
}

/// `GET /v1/client/fs/readat/{alloc}?offset=&limit=`.
pub async fn readat(
    State(state): State<ClientApi>,
    Path(alloc_id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let (offset, limit) = (number(&q, "offset")?, number(&q, "limit")?);
    let (root, path) = target(&state, &alloc_id, &q).await?;
    let file = alloc_fs::open_file(&root, &path)?;
    stream_file(file, offset, Some(limit)).await
}

/// The file's bytes from `offset`, at most `limit` of them, streamed.
async fn stream_file(path: PathBuf, offset: u64, limit: Option<u64>) -> Result<Response> {
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::Internal(format!("open {}: {e}", path.display())))?;
    file.seek(SeekFrom::Start(offset))
        .await
        .map_err(|e| ApiError::Internal(format!("seek {}: {e}", path.display())))?;
    let left = limit.unwrap_or(u64::MAX);
    let body = Body::from_stream(stream::unfold(
        (file, left),
        |(mut file, left)| async move {
            if left == 0 {
                return None;
            }
            let mut buf = vec![0u8; CHUNK.min(usize::try_from(left).unwrap_or(CHUNK))];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((
                        Ok::<_, std::io::Error>(Bytes::from(buf)),
                        (file, left - n as u64),
                    ))
                }
                Err(e) => Some((Err(e), (file, 0))),
            }
        },
    ));
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(resp)
}
