//! The scheduler: a pure function from (state snapshot, evaluation) to a plan.
//!
//! It reads only through [`State`] and writes only through [`Planner`]; it never
//! touches a clock, the network or an OS random source (all in
//! [`SchedulerContext`]). Flow for service and batch jobs, as Nomad's generic
//! scheduler:
//!
//! ```text
//! eval -> reconcile (desired vs existing allocs: place/stop/update/lost/reschedule)
//!      -> for each placement: feasibility (datacenter, drivers, constraints)
//!                             -> ranking (BestFit-v3 binpack, job anti-affinity)
//!      -> plan -> Planner::submit_plan (retry on partial commit)
//!      -> eval status; blocked eval for what did not fit; follow-up evals
//! ```

mod context;
mod error;
mod traits;

pub use context::*;
pub use error::*;
pub use traits::*;
