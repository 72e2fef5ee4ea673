//! Container lifecycle calls against the engine: make sure the image is there
//! (pulled only when absent, or when `force_pull`), create and start a task's
//! container, find the container a task left running (by label), remove one.

use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, InspectContainerOptions, ListContainersOptions,
    RemoveContainerOptions,
};
use futures_util::StreamExt;

use super::{LABEL_ALLOC_ID, LABEL_TASK_NAME};
use crate::client::error::{ClientError, Result};

/// Tries to remove a container before giving up, and the pause between tries.
const REMOVE_ATTEMPTS: u32 = 25;
const REMOVE_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// A start failure shown in the task's `Driver Failure` event.
pub fn start_error(message: String, recoverable: bool) -> ClientError {
    ClientError::DriverStart {
        message,
        recoverable,
    }
}

/// Whether the engine answered 404.
pub fn is_not_found(e: &DockerError) -> bool {
    matches!(
        e,
        DockerError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Splits `repo[:tag]` (a registry port is not a tag); no tag and no digest means `latest`.
pub fn split_image(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

/// Pulls `image` unless it is already present (or pulls anyway when `force`).
pub async fn ensure_image(docker: &Docker, image: &str, force: bool) -> Result<()> {
    if !force {
        match docker.inspect_image(image).await {
            Ok(_) => return Ok(()),
            Err(e) if is_not_found(&e) => {}
            Err(e) => {
                return Err(start_error(
                    format!("Failed to inspect image `{image}`: {e}"),
                    true,
                ));
            }
        }
    }
    let (repo, tag) = split_image(image);
    let options = CreateImageOptions {
        from_image: Some(repo),
        tag: Some(tag).filter(|t| !t.is_empty()),
        ..Default::default()
    };
    let mut pull = docker.create_image(Some(options), None, None);
    while let Some(progress) = pull.next().await {
        match progress {
            Ok(p) => {
                if let Some(err) = p.error_detail.and_then(|d| d.message) {
                    return Err(start_error(
                        format!("Failed to pull `{image}`: {err}"),
                        true,
                    ));
                }
            }
            Err(e) => return Err(start_error(format!("Failed to pull `{image}`: {e}"), true)),
        }
    }
    // A pull that "succeeded" without producing the image is still a failure.
    docker
        .inspect_image(image)
        .await
        .map(|_| ())
        .map_err(|e| start_error(format!("Failed to pull `{image}`: {e}"), true))
}

/// Creates and starts the container; returns its ID. A stale container of the same
/// name (left by an earlier attempt) is removed first.
pub async fn create_and_start(
    docker: &Docker,
    name: &str,
    body: ContainerCreateBody,
) -> Result<String> {
    let options = CreateContainerOptions {
        name: Some(name.to_string()),
        ..Default::default()
    };
    let created = match docker
        .create_container(Some(options.clone()), body.clone())
        .await
    {
        Ok(c) => c,
        Err(DockerError::DockerResponseServerError {
            status_code: 409, ..
        }) => {
            remove(docker, name).await;
            docker
                .create_container(Some(options), body)
                .await
                .map_err(|e| start_error(format!("Failed to create container: {e}"), true))?
        }
        Err(e) => {
            // 400s are configuration mistakes a restart will not fix.
            let recoverable = !matches!(
                e,
                DockerError::DockerResponseServerError {
                    status_code: 400,
                    ..
                }
            );
            return Err(start_error(
                format!("Failed to create container: {e}"),
                recoverable,
            ));
        }
    };
    if let Err(e) = docker.start_container(&created.id, None).await {
        remove(docker, &created.id).await;
        return Err(start_error(
            format!("Failed to start container {}: {e}", created.id),
            true,
        ));
    }
    Ok(created.id)
}

/// A container labelled as this allocation's task: its ID and whether it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Container ID.
    pub id: String,
    /// Still running.
    pub running: bool,
}

/// The containers labelled with `alloc_id` and `task` (any state).
pub async fn find(docker: &Docker, alloc_id: &str, task: &str) -> Result<Vec<Found>> {
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![
            format!("{LABEL_ALLOC_ID}={alloc_id}"),
            format!("{LABEL_TASK_NAME}={task}"),
        ],
    )]);
    let options = ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    let list = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| start_error(format!("Failed to list containers: {e}"), true))?;
    let mut out = Vec::new();
    for c in list {
        let Some(id) = c.id else { continue };
        // The summary's state enum varies across engine versions: ask inspect.
        let running = docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
            .ok()
            .and_then(|i| i.state)
            .and_then(|s| s.running)
            .unwrap_or(false);
        out.push(Found { id, running });
    }
    Ok(out)
}

/// Force-removes a container and its anonymous volumes, returning once it is gone
/// (another caller's removal may be in progress: wait for it). Gone already is fine.
pub async fn remove(docker: &Docker, id: &str) {
    let options = RemoveContainerOptions {
        force: true,
        v: true,
        ..Default::default()
    };
    for _ in 0..REMOVE_ATTEMPTS {
        match docker.remove_container(id, Some(options.clone())).await {
            Ok(()) => return,
            Err(e) if is_not_found(&e) => return,
            Err(e) => tracing::debug!(container = id, error = %e, "container not removed yet"),
        }
        tokio::time::sleep(REMOVE_PAUSE).await;
    }
    tracing::warn!(container = id, "failed to remove container");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_into_repo_and_tag() {
        let s = |i: &str| {
            let (r, t) = split_image(i);
            (r, t)
        };
        assert_eq!(s("redis:7"), ("redis".into(), "7".into()));
        assert_eq!(s("redis"), ("redis".into(), "latest".into()));
        assert_eq!(
            s("localhost:5000/app"),
            ("localhost:5000/app".into(), "latest".into())
        );
        assert_eq!(
            s("localhost:5000/app:v2"),
            ("localhost:5000/app".into(), "v2".into())
        );
        assert_eq!(
            s("app@sha256:abc"),
            ("app@sha256:abc".into(), String::new())
        );
    }
}
