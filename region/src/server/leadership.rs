//! The leadership loop: starts leader duties when the applier says this server
//! became leader (after a barrier, so they restore from the fully applied state)
//! and stops them when it lost leadership.
//!
//! ```text
//!   follower --leadership=true--> barrier --ok--> establish (restore evals, heartbeat timers)
//!      ^                                                   |
//!      '-------------------- revoke <--leadership=false----'
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::leader::Leader;

/// Pause between failed barriers (no quorum yet, leadership just moved).
const BARRIER_RETRY: Duration = Duration::from_millis(200);

/// Runs until cancelled.
pub(crate) async fn run(leader: Arc<Leader>) {
    let mut rx = leader.applier.leadership();
    loop {
        let leading = *rx.borrow_and_update();
        if leading && !leader.is_leader() {
            match leader.applier.barrier().await {
                Ok(()) => {
                    leader.establish();
                    tracing::info!(region = %leader.config.region, "cluster leadership acquired");
                }
                Err(e) => {
                    tracing::debug!(error = %e, "leader barrier failed; retrying");
                    tokio::select! {
                        _ = leader.cancel.cancelled() => break,
                        _ = tokio::time::sleep(BARRIER_RETRY) => continue,
                    }
                }
            }
        } else if !leading && leader.is_leader() {
            leader.revoke();
            tracing::info!(region = %leader.config.region, "cluster leadership lost");
        }
        tokio::select! {
            _ = leader.cancel.cancelled() => break,
            changed = rx.changed() => {
                if changed.is_err() {
                    // The applier's leadership is final (single server): nothing more to follow.
                    leader.cancel.cancelled().await;
                    break;
                }
            }
        }
    }
}
