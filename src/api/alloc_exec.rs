//! `GET /v1/client/allocation/{id}/exec?task=&command=["sh"]&tty=false`: a command run
//! inside a task, bridged over a websocket with Nomad's JSON frames
//! ([`crate::api_client::exec_frames`]). Without a tty the session is started before
//! the upgrade, so a bad request or a driver without exec is a plain HTTP error; a
//! tty session starts once the caller's first frame (its terminal size) arrived, and
//! its start failures close the socket with the reason. Once upgraded, a socket that
//! closes early ends the session (and the command with it).

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;

use super::alloc_ops::client_error;
use super::client_state::ClientApi;
use super::error::{ApiError, Result};
use super::query::QueryOptions;
use crate::api_client::exec_frames::{
    ExecStreamingInput, ExecStreamingIoOperation, ExecStreamingOutput,
};
use crate::client::drivers::{ExecInput, ExecOutput, ExecRequest, ExecSession, TtySize};

/// The `command` parameter: a JSON array of strings, at least one.
pub fn parse_command(raw: Option<&str>) -> Result<Vec<String>> {
    let raw = raw
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("command is not present".into()))?;
    let command: Vec<String> = serde_json::from_str(raw).map_err(|_| {
        ApiError::BadRequest(format!("command must be a JSON array of strings: {raw}"))
    })?;
    if command.is_empty() || command[0].is_empty() {
        return Err(ApiError::BadRequest("command is not present".into()));
    }
    Ok(command)
}

/// The input one client frame carries (none for an empty or unknown frame).
pub fn decode_input(text: &str) -> std::result::Result<Vec<ExecInput>, String> {
    let frame: ExecStreamingInput =
        serde_json::from_str(text).map_err(|e| format!("invalid exec frame: {e}"))?;
    let mut out = Vec::new();
    if let Some(size) = frame.tty_size {
        out.push(ExecInput::Resize(TtySize {
            height: size.height,
            width: size.width,
        }));
    }
    if let Some(stdin) = frame.stdin {
        let data = stdin.bytes()?;
        if !data.is_empty() {
            out.push(ExecInput::Stdin(data));
        }
        if stdin.close {
            out.push(ExecInput::CloseStdin);
        }
    }
    Ok(out)
}

/// The frame for one piece of output.
pub fn encode_output(o: &ExecOutput) -> ExecStreamingOutput {
    match o {
        ExecOutput::Stdout(b) => ExecStreamingOutput {
            stdout: Some(ExecStreamingIoOperation::data(b)),
            ..Default::default()
        },
        ExecOutput::Stderr(b) => ExecStreamingOutput {
            stderr: Some(ExecStreamingIoOperation::data(b)),
            ..Default::default()
        },
        ExecOutput::Exited(code) => ExecStreamingOutput::exited(*code),
    }
}

/// `GET /v1/client/allocation/{id}/exec` (websocket).
pub async fn exec(
    State(state): State<ClientApi>,
    Path(id): Path<String>,
    q: QueryOptions,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    let (alloc, client) = state.local(&id).await?;
    let command = parse_command(q.param("command"))?;
    let tty = q.flag("tty")?;
    let task = q.param("task").filter(|t| !t.is_empty());
    let req = ExecRequest {
        command,
        tty,
        tty_size: None,
    };
    if tty {
        // A terminal should start at the caller's size, which arrives as the first
        // frame: start the command after the upgrade (failures then close the socket
        // with the reason).
        client
            .check_running(&alloc.id, task)
            .map_err(client_error)?;
        let (client, alloc_id, task) = (client.clone(), alloc.id.clone(), task.map(String::from));
        return Ok(ws.on_upgrade(move |socket| async move {
            tty_session(socket, client, alloc_id, task, req).await
        }));
    }
    let session = client
        .exec(&alloc.id, task, req)
        .await
        .map_err(client_error)?;
    Ok(ws.on_upgrade(move |socket| bridge(socket, session)))
}

/// How long a tty session waits for the caller's terminal size before starting.
const TTY_SIZE_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

async fn tty_session(
    mut socket: WebSocket,
    client: crate::client::ClientHandle,
    alloc_id: String,
    task: Option<String>,
    mut req: ExecRequest,
) {
    let mut pending = Vec::new();
    if let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(TTY_SIZE_WAIT, socket.recv()).await
    {
        match decode_input(t.as_str()) {
            Ok(inputs) => {
                for i in inputs {
                    match i {
                        ExecInput::Resize(size) if req.tty_size.is_none() => {
                            req.tty_size = Some(size)
                        }
                        other => pending.push(other),
                    }
                }
            }
            Err(e) => return close(&mut socket, 1003, &e).await,
        }
    }
    let session = match client.exec(&alloc_id, task.as_deref(), req).await {
        Ok(s) => s,
        Err(e) => return close(&mut socket, 1011, &client_error(e).to_string()).await,
    };
    for i in pending {
        session.send(i).await;
    }
    bridge(socket, session).await;
}

fn text(frame: &ExecStreamingOutput) -> Message {
    Message::Text(serde_json::to_string(frame).unwrap_or_default().into())
}

/// Moves frames both ways until the command exits or the socket closes.
async fn bridge(mut socket: WebSocket, mut session: ExecSession) {
    loop {
        tokio::select! {
            out = session.recv() => {
                let Some(out) = out else { break };
                let exited = matches!(out, ExecOutput::Exited(_));
                if socket.send(text(&encode_output(&out))).await.is_err() {
                    return;
                }
                if exited {
                    break;
                }
            }
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => match decode_input(t.as_str()) {
                    Ok(inputs) => {
                        for i in inputs {
                            session.send(i).await;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "bad exec frame");
                        close(&mut socket, 1003, &e).await;
                        return;
                    }
                },
                Some(Ok(Message::Binary(b))) => {
                    if let Ok(inputs) = decode_input(&String::from_utf8_lossy(&b)) {
                        for i in inputs {
                            session.send(i).await;
                        }
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                // The caller left: dropping the session kills the command.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
            },
        }
    }
    close(&mut socket, 1000, "").await;
    linger(socket).await;
}

/// How long a closed session waits for the caller to close too.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// After our close, reads what the caller still sends until it closes too (bounded): a socket closed
/// with unread input (a late stdin frame) is reset, and a reset can cost the caller output it has not
/// read yet.
pub async fn linger(mut socket: WebSocket) {
    let drain = async {
        while let Some(Ok(msg)) = socket.recv().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.to_string().into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_must_be_a_non_empty_json_array() {
        assert_eq!(
            parse_command(Some(r#"["echo","hi"]"#)).unwrap(),
            vec!["echo", "hi"]
        );
        for bad in [
            None,
            Some(""),
            Some("[]"),
            Some("echo hi"),
            Some(r#"[""]"#),
            Some("[1]"),
        ] {
            assert!(parse_command(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn frames_map_to_session_io() {
        assert_eq!(
            decode_input(r#"{"stdin":{"data":"aGkK"}}"#).unwrap(),
            vec![ExecInput::Stdin(b"hi\n".to_vec())]
        );
        assert_eq!(
            decode_input(r#"{"stdin":{"close":true}}"#).unwrap(),
            vec![ExecInput::CloseStdin]
        );
        assert_eq!(
            decode_input(r#"{"tty_size":{"height":24,"width":80}}"#).unwrap(),
            vec![ExecInput::Resize(TtySize {
                height: 24,
                width: 80
            })]
        );
        assert_eq!(decode_input("{}").unwrap(), vec![]);
        assert!(decode_input("not json").is_err());
        assert!(decode_input(r#"{"stdin":{"data":"%%"}}"#).is_err());
        let json = |o: ExecOutput| serde_json::to_string(&encode_output(&o)).unwrap();
        assert_eq!(
            json(ExecOutput::Stderr(b"x".to_vec())),
            r#"{"stderr":{"data":"eA=="}}"#
        );
        assert_eq!(
            json(ExecOutput::Exited(0)),
            r#"{"exited":true,"result":{"exit_code":0}}"#
        );
    }
}
