//! The region's request methods on `RegionHandle`, one file per family. Each
//! validates, builds one `Command` (with its evaluations) and applies it through
//! the leader; the HTTP API and the in-process client RPC call these.

mod allocs;
mod jobs;
mod nodes;
mod plan;

pub use crate::scheduler::JobPlanResult;
pub use jobs::*;
pub use nodes::*;

pub(crate) use nodes::node_evals;
