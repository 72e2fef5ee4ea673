//! The `mock` driver: pretends to run a task as its config says (`run_for`,
//! `exit_code`, `exit_signal`, `exit_err_msg`, `start_error`,
//! `start_error_recoverable`, `stdout_string`, `kill_after`), after Nomad's mock
//! driver. No processes: tests of the runners use it to script task behaviour.

use std::collections::BTreeMap;
use std::time::Duration;

use nomad_region::duration::parse_duration;
use nomad_region::structs::DriverInfo;
use tokio::sync::watch;

use super::{BoxFuture, Driver, ExitResult, TaskHandle, TaskSpec, now_rfc3339};
use crate::client::error::{ClientError, Result};
use crate::client::stats::TaskResourceUsage;

/// The `mock` driver.
#[derive(Debug, Clone, Default)]
pub struct MockDriver;

/// Parsed mock config.
#[derive(Debug, Default)]
struct MockConfig {
    run_for: Option<Duration>,
    exit_code: i32,
    exit_signal: i32,
    exit_err_msg: Option<String>,
    start_error: Option<String>,
    start_error_recoverable: bool,
    stdout_string: Option<String>,
    kill_after: Duration,
}

fn duration(config: &BTreeMap<String, serde_json::Value>, key: &str) -> Result<Option<Duration>> {
    match config.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => parse_duration(s)
            .map(|n| Some(Duration::from_nanos(n.max(0) as u64)))
            .map_err(|e| ClientError::TaskConfig(format!("{key}: {e}"))),
        Some(serde_json::Value::Number(n)) => Ok(n.as_u64().map(Duration::from_nanos)),
        Some(_) => Err(ClientError::TaskConfig(format!("{key} must be a duration"))),
    }
}

impl MockConfig {
    fn parse(config: &BTreeMap<String, serde_json::Value>) -> Result<Self> {
        let int = |k: &str| config.get(k).and_then(|v| v.as_i64()).unwrap_or(0) as i32;
        let string = |k: &str| {
            config
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        Ok(Self {
            run_for: duration(config, "run_for")?,
            exit_code: int("exit_code"),
            exit_signal: int("exit_signal"),
            exit_err_msg: string("exit_err_msg"),
            start_error: string("start_error"),
            start_error_recoverable: config
                .get("start_error_recoverable")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            stdout_string: string("stdout_string"),
            kill_after: duration(config, "kill_after")?.unwrap_or_default(),
        })
    }
}

impl Driver for MockDriver {
    fn name(&self) -> &'static str {
        "mock_driver"
    }

    fn fingerprint(&self) -> DriverInfo {
        DriverInfo {
            attributes: BTreeMap::from([("driver.mock_driver".to_string(), "true".to_string())]),
            detected: true,
            healthy: true,
            health_description: "Healthy".into(),
            update_time: Some(now_rfc3339()),
        }
    }

    fn start(&self, mut spec: TaskSpec) -> BoxFuture<'_, Result<Box<dyn TaskHandle>>> {
        Box::pin(async move {
            let cfg = MockConfig::parse(&spec.config)?;
            if let Some(message) = cfg.start_error.clone() {
                return Err(ClientError::DriverStart {
                    message,
                    recoverable: cfg.start_error_recoverable,
                });
            }
            if let (Some(s), Some(out)) = (&cfg.stdout_string, spec.stdout.as_mut()) {
                out.write_all(s.as_bytes())?;
            }
            let (tx, rx) = watch::channel(None);
            let natural = ExitResult {
                exit_code: cfg.exit_code,
                signal: cfg.exit_signal,
                err: cfg.exit_err_msg.clone(),
                oom_killed: false,
            };
            let tx2 = tx.clone();
            if let Some(run_for) = cfg.run_for {
                // Detached timer: it only publishes the exit and ends by itself.
                tokio::spawn(async move {
                    tokio::time::sleep(run_for).await;
                    tx2.send_if_modified(|r| {
                        r.is_none() && {
                            *r = Some(natural);
                            true
                        }
                    });
                });
            }
            Ok(Box::new(MockHandle {
                exit_tx: tx,
                exit: rx,
                kill_after: cfg.kill_after,
            }) as Box<dyn TaskHandle>)
        })
    }
}

/// A pretend task.
struct MockHandle {
    exit_tx: watch::Sender<Option<ExitResult>>,
    exit: watch::Receiver<Option<ExitResult>>,
    kill_after: Duration,
}

impl MockHandle {
    async fn wait_exit(&self) -> ExitResult {
        let mut rx = self.exit.clone();
        match rx.wait_for(|r| r.is_some()).await {
            Ok(r) => r.clone().unwrap_or_default(),
            Err(_) => ExitResult {
                exit_code: -1,
                ..Default::default()
            },
        }
    }
}

impl TaskHandle for MockHandle {
    fn pid(&self) -> Option<u32> {
        None
    }

    fn wait(&self) -> BoxFuture<'_, ExitResult> {
        Box::pin(self.wait_exit())
    }

    fn signal(&self, name: &str) -> Result<()> {
        super::signal::parse(name)?;
        if self.exit.borrow().is_some() {
            Err(ClientError::TaskNotRunning)
        } else {
            Ok(())
        }
    }

    fn stop(&self, name: &str, timeout: Duration) -> BoxFuture<'_, ExitResult> {
        let sig = super::signal::parse(name).unwrap_or(libc::SIGINT);
        Box::pin(async move {
            // Honours the signal after `kill_after`, or is force-killed at the timeout.
            let (delay, signal) = if self.kill_after <= timeout {
                (self.kill_after, sig)
            } else {
                (timeout, libc::SIGKILL)
            };
            tokio::select! {
                r = self.wait_exit() => return r,
                _ = tokio::time::sleep(delay) => {}
            }
            self.exit_tx.send_if_modified(|r| {
                r.is_none() && {
                    *r = Some(ExitResult {
                        signal,
                        ..Default::default()
                    });
                    true
                }
            });
            self.wait_exit().await
        })
    }

    fn stats(&self) -> TaskResourceUsage {
        TaskResourceUsage {
            timestamp: super::super::now_nanos(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(config: serde_json::Value) -> TaskSpec {
        let config = serde_json::from_value(config).unwrap();
        TaskSpec {
            alloc_id: "a".into(),
            task_name: "t".into(),
            config,
            env: BTreeMap::new(),
            task_dir: std::env::temp_dir(),
            stdout: None,
            stderr: None,
            user: String::new(),
            mhz_per_core: 1000.0,
        }
    }

    #[tokio::test]
    async fn exits_as_configured() {
        let h = MockDriver
            .start(spec(serde_json::json!({"run_for": "20ms", "exit_code": 7})))
            .await
            .unwrap();
        assert_eq!(h.wait().await.exit_code, 7);
    }

    #[tokio::test]
    async fn stop_honours_kill_after() {
        let h = MockDriver
            .start(spec(serde_json::json!({"kill_after": "10ms"})))
            .await
            .unwrap();
        assert_eq!(
            h.stop("SIGTERM", Duration::from_secs(5)).await.signal,
            libc::SIGTERM
        );
        let h = MockDriver
            .start(spec(serde_json::json!({"kill_after": "10s"})))
            .await
            .unwrap();
        assert_eq!(
            h.stop("SIGTERM", Duration::from_millis(20)).await.signal,
            libc::SIGKILL
        );
    }

    #[tokio::test]
    async fn drivers_without_exec_say_so() {
        assert!(!MockDriver.capabilities().exec);
        let mut s = spec(serde_json::json!({"run_for": "10s"}));
        assert!(MockDriver.recover(&mut s).await.unwrap().is_none());
        let h = MockDriver.start(s).await.unwrap();
        let r = h
            .exec(super::super::ExecRequest {
                command: vec!["true".into()],
                ..Default::default()
            })
            .await;
        assert!(matches!(r, Err(ClientError::ExecNotSupported)));
        assert_eq!(
            r.err().map(|e| e.to_string()).as_deref(),
            Some("driver does not support exec")
        );
        h.stop("SIGKILL", Duration::from_secs(1)).await;
    }

    #[tokio::test]
    async fn start_errors() {
        let r = MockDriver
            .start(spec(
                serde_json::json!({"start_error": "boom", "start_error_recoverable": true}),
            ))
            .await;
        assert!(
            matches!(r, Err(ClientError::DriverStart { recoverable: true, ref message }) if message == "boom")
        );
        let r = MockDriver
            .start(spec(serde_json::json!({"run_for": "soon"})))
            .await;
        assert!(matches!(r, Err(ClientError::TaskConfig(_))));
    }
}
