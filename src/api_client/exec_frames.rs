//! The JSON frames of Nomad's `alloc exec` websocket (`/v1/client/allocation/{id}/exec`),
//! shared by the HTTP API and the CLI. Client to server: `{"stdin":{"data":"<base64>"}}`,
//! `{"stdin":{"close":true}}`, `{"tty_size":{"height":H,"width":W}}`. Server to client:
//! `{"stdout":{"data":".."}}`, `{"stderr":{"data":".."}}`, and last
//! `{"exited":true,"result":{"exit_code":N}}`. Empty fields are left out.

use base64::Engine;
use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// Bytes of one stream, or its end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecStreamingIoOperation {
    /// Base64 of the bytes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub data: String,
    /// The stream ended.
    #[serde(skip_serializing_if = "is_false")]
    pub close: bool,
}

impl ExecStreamingIoOperation {
    /// A frame carrying `bytes`.
    pub fn data(bytes: &[u8]) -> Self {
        Self {
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
            close: false,
        }
    }

    /// The end of the stream.
    pub fn close() -> Self {
        Self {
            data: String::new(),
            close: true,
        }
    }

    /// The bytes carried (an error for bad base64).
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .map_err(|e| format!("invalid base64 in exec frame: {e}"))
    }
}

/// Terminal size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TerminalSize {
    pub height: u16,
    pub width: u16,
}

/// One frame from the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecStreamingInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin: Option<ExecStreamingIoOperation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tty_size: Option<TerminalSize>,
}

/// How the command ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecStreamingExitResult {
    pub exit_code: i32,
}

/// One frame from the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecStreamingOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<ExecStreamingIoOperation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<ExecStreamingIoOperation>,
    #[serde(skip_serializing_if = "is_false")]
    pub exited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ExecStreamingExitResult>,
}

impl ExecStreamingOutput {
    /// The final frame.
    pub fn exited(code: i32) -> Self {
        Self {
            exited: true,
            result: Some(ExecStreamingExitResult { exit_code: code }),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_nomads_json() {
        let out = ExecStreamingOutput {
            stdout: Some(ExecStreamingIoOperation::data(b"hi\n")),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"stdout":{"data":"aGkK"}}"#
        );
        assert_eq!(
            serde_json::to_string(&ExecStreamingOutput::exited(3)).unwrap(),
            r#"{"exited":true,"result":{"exit_code":3}}"#
        );
        let close = ExecStreamingInput {
            stdin: Some(ExecStreamingIoOperation::close()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&close).unwrap(),
            r#"{"stdin":{"close":true}}"#
        );
        let input: ExecStreamingInput =
            serde_json::from_str(r#"{"stdin":{"data":"ZWNobyBoaQo="}}"#).unwrap();
        assert_eq!(input.stdin.unwrap().bytes().unwrap(), b"echo hi\n");
        let resize: ExecStreamingInput =
            serde_json::from_str(r#"{"tty_size":{"height":40,"width":120}}"#).unwrap();
        assert_eq!(
            resize.tty_size,
            Some(TerminalSize {
                height: 40,
                width: 120
            })
        );
        let bad = ExecStreamingIoOperation {
            data: "!!".into(),
            close: false,
        };
        assert!(bad.bytes().is_err());
    }
}
