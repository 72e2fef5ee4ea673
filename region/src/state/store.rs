//! `StateStore`: the mutable owner of the tables. Changes only through [`StateStore::apply`];
//! reads through [`StateStore::snapshot`].

use super::apply;
use super::command::{Command, CommandResult, PlanResults};
use super::snapshot::StateSnapshot;
use super::tables::Tables;

/// The region's state. Single writer (the FSM: `LocalApplier` now, Raft later).
#[derive(Debug, Clone, Default)]
pub struct StateStore {
    tables: Tables,
}

impl StateStore {
    /// An empty store at index 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `cmd` as the log entry at `index` (must grow). A refused command
    /// changes nothing but the latest index (the log entry is consumed either way,
    /// as in Raft).
    pub fn apply(&mut self, index: u64, cmd: &Command) -> CommandResult {
        apply::apply(&mut self.tables, index, cmd)
    }

    /// As [`StateStore::apply`], taking the command (nothing in it is copied into the tables).
    pub fn apply_owned(&mut self, index: u64, cmd: Command) -> CommandResult {
        apply::apply_owned(&mut self.tables, index, cmd)
    }

    /// Applies a plan's accepted part as `Command::ApplyPlanResults(results)` would, without
    /// wrapping (copying) it in a command.
    pub fn apply_plan_results(&mut self, index: u64, results: &PlanResults) -> CommandResult {
        apply::apply_plan_results(&mut self.tables, index, results)
    }

    /// A consistent, immutable view of the current state (O(1)).
    pub fn snapshot(&self) -> StateSnapshot {
        StateSnapshot::new(self.tables.clone())
    }

    /// Index of the last applied command.
    pub fn latest_index(&self) -> u64 {
        self.tables.latest_index
    }

    pub(super) fn from_tables(tables: Tables) -> Self {
        Self { tables }
    }

    /// Rebuilds a store from a snapshot (Raft snapshot install, later).
    pub fn restore(snapshot: &StateSnapshot) -> Self {
        Self {
            tables: snapshot.tables().clone(),
        }
    }
}
