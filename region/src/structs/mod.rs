//! Nomad's data model, one file per entity, in the API's JSON shape.
