//! Integration tests of the data model: property tests over generated jobs
//! (JSON round-trip, canonicalize idempotence, validate totality) and a job written
//! in the shape of Nomad's JSON job documentation.

mod json_doc;
mod props;
mod strategies;
