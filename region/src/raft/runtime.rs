//! `RaftRuntime`: openraft's Tokio runtime with a floor under its RPC timeouts.
//!
//! openraft 0.9 bounds every `AppendEntries` by `heartbeat_interval` and every vote by
//! `election_timeout_min`, and resends the same range after a timeout. With the short timing fast
//! failover needs (heartbeat 25 ms), a new leader's catch-up batch or a multi-megabyte plan entry,
//! its fsync included, would never fit and would be resent forever. In 0.9.25, `timeout` is only
//! used around network calls (replication, heartbeats of a linearizable read, votes, snapshot
//! chunks) and around a shutdown wait; election and heartbeat timers are `sleep`s and ticks, which
//! stay exact. So raising only `timeout` decouples the two: timers stay short, RPCs get
//! [`RPC_TIMEOUT_FLOOR`]. A call to a dead peer then hangs until the floor instead of a heartbeat,
//! which costs nothing: each peer has its own replication task, votes are spawned one per peer,
//! and the election timer does not wait for them.

use std::future::Future;
use std::time::Duration;

use openraft::async_runtime::AsyncRuntime;
use openraft::{OptionalSend, TokioRuntime};

/// The shortest time openraft gives one Raft RPC: a 4-5 MB plan entry, encoded, sent over QUIC,
/// decoded and fsynced on a loaded 2-core machine fits with room. The transport's own limit is
/// longer (it only bounds a stuck connection).
pub const RPC_TIMEOUT_FLOOR: Duration = Duration::from_secs(2);

type Tokio = TokioRuntime;

/// [`TokioRuntime`] in everything but `timeout` / `timeout_at`, which wait at least
/// [`RPC_TIMEOUT_FLOOR`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RaftRuntime;

/// The duration openraft asked for, raised to the floor.
pub fn floored(duration: Duration) -> Duration {
    duration.max(RPC_TIMEOUT_FLOOR)
}

impl AsyncRuntime for RaftRuntime {
    type JoinError = <Tokio as AsyncRuntime>::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = <Tokio as AsyncRuntime>::JoinHandle<T>;
    type Sleep = <Tokio as AsyncRuntime>::Sleep;
    type Instant = <Tokio as AsyncRuntime>::Instant;
    type TimeoutError = <Tokio as AsyncRuntime>::TimeoutError;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = <Tokio as AsyncRuntime>::Timeout<R, T>;
    type ThreadLocalRng = <Tokio as AsyncRuntime>::ThreadLocalRng;
    type OneshotSender<T: OptionalSend> = <Tokio as AsyncRuntime>::OneshotSender<T>;
    type OneshotReceiverError = <Tokio as AsyncRuntime>::OneshotReceiverError;
    type OneshotReceiver<T: OptionalSend> = <Tokio as AsyncRuntime>::OneshotReceiver<T>;

    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        Tokio::spawn(future)
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        Tokio::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        Tokio::sleep_until(deadline)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(
        duration: Duration,
        future: F,
    ) -> Self::Timeout<R, F> {
        Tokio::timeout(floored(duration), future)
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        let floor = <Self::Instant as openraft::Instant>::now() + RPC_TIMEOUT_FLOOR;
        Tokio::timeout_at(deadline.max(floor), future)
    }

    fn is_panic(join_error: &Self::JoinError) -> bool {
        Tokio::is_panic(join_error)
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        Tokio::thread_rng()
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>)
    where
        T: OptionalSend,
    {
        Tokio::oneshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_timeouts_are_raised_to_the_floor() {
        assert_eq!(floored(Duration::from_millis(25)), RPC_TIMEOUT_FLOOR);
        assert_eq!(floored(Duration::ZERO), RPC_TIMEOUT_FLOOR);
    }

    #[test]
    fn longer_timeouts_are_kept() {
        let long = RPC_TIMEOUT_FLOOR + Duration::from_millis(1);
        assert_eq!(floored(long), long);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_outlives_the_timeout_openraft_asked_for() {
        // openraft asks for a heartbeat (25 ms); a reply after 300 ms still counts.
        let reply = RaftRuntime::timeout(Duration::from_millis(25), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "appended"
        })
        .await;
        assert_eq!(reply.ok(), Some("appended"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_still_times_out_at_the_floor() {
        let reply = RaftRuntime::timeout(
            Duration::from_millis(25),
            tokio::time::sleep(RPC_TIMEOUT_FLOOR * 2),
        )
        .await;
        assert!(reply.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn sleeps_stay_exact() {
        // Election and heartbeat timers are sleeps: the floor must not touch them.
        let start = tokio::time::Instant::now();
        RaftRuntime::sleep(Duration::from_millis(25)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(25));
    }
}
