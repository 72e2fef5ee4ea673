//! Every way an HTTP request can fail, and the one place errors become responses: Nomad answers with a
//! plain-text body (`Content-Type: text/plain`) and a status code, never JSON.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use nomad_region::server::RegionError;
use nomad_region::state::StateError;
use thiserror::Error;

/// A failed request; the `Display` text is the body the user sees.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, bad parameter, ambiguous prefix). 400.
    #[error("{0}")]
    BadRequest(String),
    /// No such object or path. 404.
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method. 405.
    #[error("Invalid method")]
    MethodNotAllowed,
    /// The request names a region this agent cannot reach. 500, as Nomad's RPC layer answers.
    #[error("No path to region")]
    NoPathToRegion,
    /// The region server refused or failed the request.
    #[error("{0}")]
    Region(#[from] RegionError),
    /// Anything else. 500.
    #[error("{0}")]
    Internal(String),
}

/// Result alias of the HTTP handlers.
pub type Result<T> = std::result::Result<T, ApiError>;

impl ApiError {
    /// The status code Nomad uses for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NoPathToRegion | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Region(e) => region_status(e),
        }
    }
}

fn region_status(e: &RegionError) -> StatusCode {
    match e {
        RegionError::NotFound(_) => StatusCode::NOT_FOUND,
        RegionError::Invalid(_) | RegionError::Validation(_) | RegionError::IndexMismatch(_) => {
            StatusCode::BAD_REQUEST
        }
        RegionError::State(StateError::Invalid(_)) => StatusCode::BAD_REQUEST,
        RegionError::State(
            StateError::JobNotFound(_) | StateError::NodeNotFound(_) | StateError::AllocNotFound(_),
        ) => StatusCode::NOT_FOUND,
        RegionError::ShuttingDown | RegionError::NoLeader | RegionError::Internal(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, %status, "request refused");
        }
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.to_string(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_nomad() {
        assert_eq!(
            ApiError::BadRequest("x".into()).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ApiError::NotFound("x".into()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::Region(RegionError::NotFound("job not found".into())).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::Region(RegionError::IndexMismatch("Enforcing".into())).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ApiError::Region(RegionError::NoLeader).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            ApiError::NoPathToRegion.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn body_is_plain_text_reason() {
        let resp = ApiError::NotFound("job not found".into()).into_response();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        assert_eq!(ct, Some("text/plain; charset=utf-8"));
    }
}
