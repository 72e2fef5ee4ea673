//! The foca `BroadcastHandler` that spreads `MemberRecord`s.
//!
//! foca piggybacks custom broadcasts on its own messages and asks this handler
//! whether each one it receives is news. The handler decodes the record,
//! applies it to the shared view, and keeps spreading it only when it was
//! newer than what we knew. A record keyed (name, incarnation, version)
//! invalidates any older record of the same member still being spread.

use std::sync::Arc;

use foca::{BroadcastHandler, Invalidates};

use crate::codec::CodecError;
use crate::identity::Identity;
use crate::view::{RecordOutcome, SharedView};

/// Dissemination key of a record.
pub(crate) struct RecordKey {
    /// Hash of `name`: foca checks every new key against its whole backlog,
    /// and comparing a word first spares most of the string comparisons.
    name_hash: u64,
    name: Arc<str>,
    order: (u64, u64),
}

impl RecordKey {
    fn new(name: Arc<str>, order: (u64, u64)) -> Self {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let name_hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(&*name);
        Self {
            name_hash,
            name,
            order,
        }
    }
}

impl Invalidates for RecordKey {
    fn invalidates(&self, other: &Self) -> bool {
        self.name_hash == other.name_hash && self.name == other.name && self.order >= other.order
    }
}

/// Applies incoming records to the view; asks for a refute when someone
/// speaks for us.
pub(crate) struct RecordHandler {
    view: SharedView,
}

impl RecordHandler {
    pub(crate) fn new(view: SharedView) -> Self {
        Self { view }
    }
}

impl BroadcastHandler<Identity> for RecordHandler {
    type Key = RecordKey;
    type Error = CodecError;

    fn receive_item(
        &mut self,
        data: &[u8],
        sender: Option<&Identity>,
    ) -> Result<Option<RecordKey>, CodecError> {
        let record = crate::intern::record_from_bytes(data)?;
        let key = RecordKey::new(record.id.name_arc().clone(), record.order());
        let mut view = self.view.lock();
        match view.apply_record(record, sender.is_none()) {
            RecordOutcome::Applied => Ok(Some(key)),
            RecordOutcome::Stale => Ok(None),
            RecordOutcome::Refute { version } => {
                // foca owns this handler, so the flag goes in the view,
                // where the core looks after every input.
                view.request_refute(version);
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, inc: u64, version: u64) -> RecordKey {
        RecordKey::new(name.into(), (inc, version))
    }

    #[test]
    fn newer_record_of_same_member_invalidates_older() {
        assert!(key("a", 1, 2).invalidates(&key("a", 1, 1)));
        assert!(key("a", 2, 0).invalidates(&key("a", 1, 9)));
        assert!(!key("a", 1, 1).invalidates(&key("a", 1, 2)));
        assert!(!key("a", 1, 5).invalidates(&key("b", 1, 1)));
    }
}
