//! The mesh: SWIM membership over QUIC.
