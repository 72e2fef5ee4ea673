//! `CommandBatch`: the payload of one `Normal` Raft entry — state-store commands applied in order,
//! all at the entry's log index — kept as its encoded bytes.
//!
//! The commands are encoded once, when the leader proposes them; the log store, replication and
//! the network then move those bytes unchanged, and each member decodes them once, when it applies
//! the entry. The member that proposed the batch keeps the commands it encoded, so it decodes
//! nothing (as long as the entry comes from the log store's cache of recent entries).
//!
//! ```text
//!   Vec<Command> --new--> CommandBatch { bytes, commands } --serde--> msgpack bin (the bytes)
//!   msgpack bin --serde--> CommandBatch { bytes } --commands()--> decoded at apply
//!   an entry written before this encoding (a sequence, or one bare command) still decodes
//! ```

use std::fmt;
use std::sync::Arc;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{RaftNodeError, Result};
use crate::state::Command;

/// Cap of the capacity reserved up front when decoding a legacy batch.
const DECODE_RESERVE: usize = 1024;

/// One entry's commands, as bytes (named MessagePack of the command sequence), plus the decoded
/// commands when this member encoded them.
#[derive(Clone)]
pub struct CommandBatch {
    bytes: Arc<[u8]>,
    commands: Option<Arc<Vec<Command>>>,
}

impl CommandBatch {
    /// Encodes `commands` as one entry's payload.
    pub fn new(commands: Vec<Command>) -> Result<Self> {
        let bytes = rmp_serde::to_vec_named(&commands)?;
        Ok(Self {
            bytes: bytes.into(),
            commands: Some(Arc::new(commands)),
        })
    }

    /// The commands, decoded from the bytes unless this member encoded them.
    pub fn commands(&self) -> Result<Arc<Vec<Command>>> {
        match &self.commands {
            Some(c) => Ok(Arc::clone(c)),
            None => {
                let cmds: Vec<Command> = rmp_serde::from_slice(&self.bytes)?;
                Ok(Arc::new(cmds))
            }
        }
    }

    /// Size of the encoded commands.
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.into(),
            commands: None,
        }
    }
}

impl TryFrom<Command> for CommandBatch {
    type Error = RaftNodeError;

    fn try_from(cmd: Command) -> Result<Self> {
        Self::new(vec![cmd])
    }
}

impl PartialEq for CommandBatch {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl fmt::Debug for CommandBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.commands {
            Some(c) => write!(f, "CommandBatch({} commands)", c.len()),
            None => write!(f, "CommandBatch({} bytes)", self.bytes.len()),
        }
    }
}

impl Serialize for CommandBatch {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de> Deserialize<'de> for CommandBatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct BatchVisitor;
        impl<'de> Visitor<'de> for BatchVisitor {
            type Value = CommandBatch;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("encoded commands, a sequence of commands or one command")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Self::Value, E> {
                Ok(CommandBatch::from_bytes(v))
            }
            // Entries written before the payload was kept encoded: decoded now, re-encoded so
            // that every batch has its bytes.
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut cmds = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(DECODE_RESERVE));
                while let Some(cmd) = seq.next_element()? {
                    cmds.push(cmd);
                }
                CommandBatch::new(cmds).map_err(de::Error::custom)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let cmd = Command::deserialize(de::value::MapAccessDeserializer::new(map))?;
                CommandBatch::new(vec![cmd]).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(BatchVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::Node;

    fn register(id: &str) -> Command {
        Command::NodeRegister {
            node: Node {
                id: id.into(),
                ..Default::default()
            },
            evals: Vec::new(),
        }
    }

    fn decoded(batch: &CommandBatch) -> Vec<Command> {
        batch.commands().unwrap().as_ref().clone()
    }

    #[test]
    fn a_batch_round_trips_in_order_as_bytes() {
        let cmds = vec![register("a"), register("b"), register("c")];
        let batch = CommandBatch::new(cmds.clone()).unwrap();
        let bytes = rmp_serde::to_vec_named(&batch).unwrap();
        let back: CommandBatch = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, batch);
        // The decoded side has only the bytes, and decodes the same commands.
        assert!(back.commands.is_none());
        assert_eq!(decoded(&back), cmds);
        assert_eq!(back.encoded_len(), batch.encoded_len());
    }

    #[test]
    fn a_batch_written_as_a_plain_sequence_still_decodes() {
        let cmds = vec![register("x"), register("y")];
        let bytes = rmp_serde::to_vec_named(&cmds).unwrap();
        let back: CommandBatch = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(decoded(&back), cmds);
    }

    #[test]
    fn an_entry_from_before_batching_decodes_as_a_batch_of_one() {
        let bytes = rmp_serde::to_vec_named(&register("old")).unwrap();
        let back: CommandBatch = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(decoded(&back), vec![register("old")]);
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        let bytes = rmp_serde::to_vec_named(&42u32).unwrap();
        assert!(rmp_serde::from_slice::<CommandBatch>(&bytes).is_err());
        let batch = CommandBatch::from_bytes(&[0xc1, 0x00]);
        assert!(matches!(batch.commands(), Err(RaftNodeError::Codec(_))));
    }
}
