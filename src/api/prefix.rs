//! Looking objects up by full ID or by a unique ID prefix (the CLI's 8-character IDs). An ambiguous
//! prefix is a 400 that lists the candidates.

use std::sync::Arc;

use super::error::{ApiError, Result};

/// Finds the one object whose ID is `id`, or else the one whose ID starts with `id`.
/// `kind` names it in errors (`alloc`, `eval`, `node`).
pub fn resolve<T>(
    kind: &str,
    id: &str,
    exact: Option<Arc<T>>,
    by_prefix: impl FnOnce() -> Vec<Arc<T>>,
    id_of: impl Fn(&T) -> &str,
) -> Result<Arc<T>> {
    if let Some(found) = exact {
        return Ok(found);
    }
    let not_found = || ApiError::NotFound(format!("{kind} not found"));
    if id.is_empty() {
        return Err(not_found());
    }
    let mut matches = by_prefix();
    match matches.len() {
        0 => Err(not_found()),
        1 => matches.pop().ok_or_else(not_found),
        _ => {
            let ids: Vec<&str> = matches.iter().map(|m| id_of(m)).collect();
            Err(ApiError::BadRequest(format!(
                "Prefix {id:?} matched multiple {kind}s: {}",
                ids.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<Arc<String>> {
        list.iter().map(|s| Arc::new(s.to_string())).collect()
    }

    #[test]
    fn exact_unique_ambiguous_and_missing() {
        let all = ids(&["abc1", "abc2", "def"]);
        let find = |id: &str| {
            let exact = all.iter().find(|s| s.as_str() == id).cloned();
            let pref: Vec<_> = all.iter().filter(|s| s.starts_with(id)).cloned().collect();
            resolve("alloc", id, exact, || pref, |s| s.as_str())
        };
        assert_eq!(
            find("abc1").ok().as_deref().map(String::as_str),
            Some("abc1")
        );
        assert_eq!(find("de").ok().as_deref().map(String::as_str), Some("def"));
        let amb = find("abc").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(amb, "Prefix \"abc\" matched multiple allocs: abc1, abc2");
        assert!(matches!(find("zz"), Err(ApiError::NotFound(m)) if m == "alloc not found"));
    }
}
