//! Entry point (temporarily inert while the CLI is wired).
fn main() {}
