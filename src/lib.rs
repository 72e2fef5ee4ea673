//! The `nomad` agent and CLI: everything that wires the mesh and the region together.
