//! `locals { name = expr }` blocks: named values computed from variables and other locals,
//! evaluated in dependency order (a cycle is an error).

use super::error::{JobspecError, Result};
use super::eval::{Evaluator, Refs};
use hcl_edit::Span;
use hcl_edit::structure::{Attribute, Body, Structure};

/// Evaluates every local of `body` and makes them available to `ev` as `local.<name>`.
pub(crate) fn resolve(body: &Body, ev: &mut Evaluator<'_>) -> Result<()> {
    let mut pending: Vec<&Attribute> = Vec::new();
    for block in body.blocks().filter(|b| b.ident.as_str() == "locals") {
        if !block.labels.is_empty() {
            return Err(JobspecError::Invalid {
                at: ev.at(block.ident.span()),
                message: "Extraneous label for locals; no labels are expected for locals blocks"
                    .into(),
            });
        }
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    if pending.iter().any(|p| p.key.as_str() == a.key.as_str()) {
                        return Err(JobspecError::Invalid {
                            at: ev.at(a.key.span()),
                            message: format!(
                                "Duplicate local value definition; a local value named \"{}\" was already defined",
                                a.key.as_str()
                            ),
                        });
                    }
                    pending.push(a);
                }
                Structure::Block(b) => {
                    return Err(JobspecError::UnknownBlock {
                        at: ev.at(b.ident.span()),
                        name: b.ident.as_str().to_string(),
                    });
                }
            }
        }
    }

    let declared: Vec<String> = pending.iter().map(|a| a.key.as_str().to_string()).collect();
    let mut done: hcl::Map<String, hcl::Value> = hcl::Map::new();
    while !pending.is_empty() {
        // Evaluate every local whose declared dependencies are all known; an undeclared
        // dependency is reported by the evaluator with its position.
        let ready = pending.iter().position(|a| {
            Refs::of(&a.value, &[])
                .roots
                .iter()
                .filter(|r| r.name == "local")
                .all(|r| match &r.attr {
                    Some(dep) => done.contains_key(dep) || !declared.contains(dep),
                    None => false,
                })
        });
        let Some(i) = ready else {
            let names: Vec<&str> = pending.iter().map(|a| a.key.as_str()).collect();
            return Err(JobspecError::Invalid {
                at: ev.at(pending[0].key.span()),
                message: format!(
                    "Cycle in local values; these locals depend on each other: {}",
                    names.join(", ")
                ),
            });
        };
        let attr = pending.remove(i);
        ev.set_locals(done.clone());
        let value = ev.eval_hcl(&attr.value)?;
        done.insert(attr.key.as_str().to_string(), value);
    }
    ev.set_locals(done);
    Ok(())
}
