//! Sharing of decoded identities and records between the cores of one
//! simulation thread.
//!
//! A real agent holds one view of the mesh, so there is nothing to share:
//! sharing is off unless a simulator turns it on (feature `testing`), and
//! then every decode allocates exactly as before. A simulator runs thousands
//! of cores on one thread, each decoding the same peers' identities and
//! records; sharing one allocation per distinct value turns the n² copies
//! of a mesh of n into n (the values are immutable, so nothing observable
//! changes).

use std::sync::Arc;

use crate::codec::{self, CodecError};
use crate::identity::Identity;
use crate::meta::MemberRecord;

/// The shared copy of `id` when sharing is on; `id` itself otherwise.
pub(crate) fn identity(id: Identity) -> Identity {
    #[cfg(any(test, feature = "testing"))]
    if let Some(shared) = imp::identity(&id) {
        return shared;
    }
    id
}

/// A record decoded from its encoded form (shared when sharing is on).
pub(crate) fn record_from_bytes(bytes: &[u8]) -> Result<Arc<MemberRecord>, CodecError> {
    #[cfg(any(test, feature = "testing"))]
    if let Some(shared) = imp::record_from_bytes(bytes) {
        return shared;
    }
    Ok(Arc::new(codec::decode_exact(bytes)?))
}

/// A decoded record behind an `Arc` (shared when sharing is on).
pub(crate) fn record(record: MemberRecord) -> Arc<MemberRecord> {
    #[cfg(any(test, feature = "testing"))]
    if let Some(shared) = imp::record(&record) {
        return shared;
    }
    Arc::new(record)
}

#[cfg(any(test, feature = "testing"))]
pub(crate) use imp::set_sharing;

#[cfg(any(test, feature = "testing"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::{HashMap, HashSet};
    use std::sync::Arc;

    use super::{CodecError, Identity, MemberRecord, codec};

    #[derive(Default)]
    struct Tables {
        identities: HashSet<Identity>,
        records: HashSet<Arc<MemberRecord>>,
        encoded: HashMap<Box<[u8]>, Arc<MemberRecord>>,
    }

    thread_local! {
        static TABLES: RefCell<Option<Tables>> = const { RefCell::new(None) };
    }

    /// Turns sharing on or off for this thread (off drops the tables).
    pub(crate) fn set_sharing(on: bool) {
        TABLES.with(|t| *t.borrow_mut() = on.then(Tables::default));
    }

    pub(super) fn identity(id: &Identity) -> Option<Identity> {
        TABLES.with(|t| {
            let mut t = t.borrow_mut();
            let t = t.as_mut()?;
            if let Some(shared) = t.identities.get(id) {
                return Some(shared.clone());
            }
            t.identities.insert(id.clone());
            Some(id.clone())
        })
    }

    pub(super) fn record(record: &MemberRecord) -> Option<Arc<MemberRecord>> {
        TABLES.with(|t| {
            let mut t = t.borrow_mut();
            let t = t.as_mut()?;
            Some(intern_record(t, record))
        })
    }

    fn intern_record(t: &mut Tables, record: &MemberRecord) -> Arc<MemberRecord> {
        if let Some(shared) = t.records.get(record) {
            return shared.clone();
        }
        let shared = Arc::new(record.clone());
        t.records.insert(shared.clone());
        shared
    }

    pub(super) fn record_from_bytes(bytes: &[u8]) -> Option<Result<Arc<MemberRecord>, CodecError>> {
        let known = TABLES.with(|t| {
            let t = t.borrow();
            let t = t.as_ref()?;
            Some(t.encoded.get(bytes).cloned())
        })?;
        if let Some(shared) = known {
            return Some(Ok(shared));
        }
        // Decoding interns the identity inside: no table borrowed meanwhile.
        let decoded: MemberRecord = match codec::decode_exact(bytes) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        TABLES.with(|t| {
            let mut t = t.borrow_mut();
            let t = t.as_mut()?;
            let shared = intern_record(t, &decoded);
            t.encoded.insert(bytes.into(), shared.clone());
            Some(Ok(shared))
        })
    }
}
