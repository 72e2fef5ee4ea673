//! The CLI's side of `alloc exec`: a blocking websocket (tungstenite) to the agent's
//! `/v1/client/allocation/{id}/exec`, with the same `region`/`namespace`/token as every
//! other request, carrying the frames of [`super::exec_frames`].

use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use super::exec_frames::{ExecStreamingInput, ExecStreamingOutput};
use super::{ApiError, Client, Result};

/// An open exec session.
pub struct ExecSocket {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
}

/// What a poll of the socket produced.
#[derive(Debug)]
pub enum Polled {
    /// A frame.
    Frame(ExecStreamingOutput),
    /// Nothing within the poll interval.
    Idle,
    /// The agent closed the socket (with its reason, if any).
    Closed(String),
}

impl Client {
    /// Opens an exec session running `command` in `task` of allocation `alloc_id`.
    pub fn exec(
        &self,
        alloc_id: &str,
        task: &str,
        command: &[String],
        tty: bool,
    ) -> Result<ExecSocket> {
        let base = &self.config().address;
        let ws_base = if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else if base.starts_with("https://") {
            return Err(ApiError::Transport {
                address: base.clone(),
                message: "alloc exec over https is not supported by this CLI yet".into(),
            });
        } else {
            format!("ws://{base}")
        };
        let command_json = serde_json::to_string(command).unwrap_or_default();
        let mut query = vec![
            ("task", task.to_owned()),
            ("command", command_json),
            ("tty", tty.to_string()),
        ];
        if let Some(r) = &self.config().region {
            query.push(("region", r.clone()));
        }
        if let Some(ns) = &self.config().namespace {
            query.push(("namespace", ns.clone()));
        }
        let qs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let url = format!(
            "{}/v1/client/allocation/{alloc_id}/exec?{}",
            ws_base.trim_end_matches('/'),
            qs.join("&")
        );
        let transport = |message: String| ApiError::Transport {
            address: base.clone(),
            message,
        };
        let mut request = url
            .into_client_request()
            .map_err(|e| transport(e.to_string()))?;
        if let Some(token) = &self.config().token
            && let Ok(v) = token.parse()
        {
            request.headers_mut().insert("X-Nomad-Token", v);
        }
        let (socket, _) = tungstenite::connect(request).map_err(|e| match e {
            tungstenite::Error::Http(resp) => ApiError::Status {
                status: resp.status().as_u16(),
                body: resp
                    .body()
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(b).trim().to_owned())
                    .unwrap_or_default(),
            },
            other => transport(other.to_string()),
        })?;
        if let MaybeTlsStream::Plain(s) = socket.get_ref() {
            // Reads give up after a short wait so stdin can be forwarded in between.
            s.set_read_timeout(Some(Duration::from_millis(50)))
                .map_err(|e| transport(e.to_string()))?;
        }
        Ok(ExecSocket { socket })
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn percent_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ExecSocket {
    /// Sends one input frame.
    pub fn send(&mut self, frame: &ExecStreamingInput) -> std::result::Result<(), String> {
        let text = serde_json::to_string(frame).map_err(|e| e.to_string())?;
        self.socket
            .send(Message::Text(text.into()))
            .map_err(|e| format!("sending to the exec session: {e}"))
    }

    /// Waits briefly for the next frame.
    pub fn poll(&mut self) -> std::result::Result<Polled, String> {
        match self.socket.read() {
            Ok(Message::Text(t)) => serde_json::from_str(t.as_str())
                .map(Polled::Frame)
                .map_err(|e| format!("invalid frame from the agent: {e}")),
            Ok(Message::Binary(b)) => serde_json::from_slice(&b)
                .map(Polled::Frame)
                .map_err(|e| format!("invalid frame from the agent: {e}")),
            Ok(Message::Close(frame)) => Ok(Polled::Closed(
                frame.map(|f| f.reason.to_string()).unwrap_or_default(),
            )),
            Ok(_) => Ok(Polled::Idle),
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                Ok(Polled::Idle)
            }
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Ok(Polled::Closed(String::new()))
            }
            Err(e) => Err(format!("reading from the exec session: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            percent_encode(r#"["sh","-c","exit 3"]"#),
            "%5B%22sh%22%2C%22-c%22%2C%22exit%203%22%5D"
        );
        assert_eq!(percent_encode("web-1.a_b~"), "web-1.a_b~");
    }
}
