//! Source positions: byte offsets to 1-based line:column, and the `SpanMap` that remembers where
//! every block and attribute of a job file was written, keyed by its HCL path.

use std::collections::HashMap;
use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number in characters, starting at 1.
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Turns byte offsets of one source text into positions.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex<'a> {
    src: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { src, starts }
    }

    /// The position of a byte offset; offsets past the end clamp to the end.
    pub(crate) fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.src.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        // Count characters, stepping back to a char boundary if the offset is inside one.
        let mut end = offset;
        while end > start && !self.src.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.src.get(start..end).map_or(0, |s| s.chars().count()) + 1;
        Pos {
            line: line + 1,
            column,
        }
    }

    /// The whole source text.
    pub(crate) fn src(&self) -> &'a str {
        self.src
    }
}

/// Where each block and attribute of a job file starts, keyed by its HCL path relative to the
/// `job` block: `["group","cache"]`, `["group","cache","task","redis","driver"]`,
/// `["group","cache","network","port","db"]`. The job block itself is the empty path.
/// Repeated unlabeled blocks are keyed by their index (`["constraint","1"]`) and the first one
/// also by the bare name (`["constraint"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanMap {
    spans: HashMap<Vec<String>, Pos>,
}

impl SpanMap {
    /// An empty map (JSON job files have no positions).
    pub fn new() -> Self {
        SpanMap::default()
    }

    /// The position of the deepest known prefix of `path` (the whole path if known).
    pub fn locate(&self, path: &[String]) -> Option<Pos> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.spans.get(&path[..n]).copied())
    }

    /// The position recorded for exactly `path`.
    pub fn get(&self, path: &[String]) -> Option<Pos> {
        self.spans.get(path).copied()
    }

    /// Number of recorded paths.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Records `path` at `pos`; the first record of a path wins.
    pub(crate) fn insert(&mut self, path: Vec<String>, pos: Pos) {
        self.spans.entry(path).or_insert(pos);
    }

    /// Copies every entry under `from` to the same suffix under `to` (used to make the first
    /// of several repeated blocks reachable without its index).
    pub(crate) fn alias(&mut self, from: &[String], to: &[String]) {
        let copies: Vec<(Vec<String>, Pos)> = self
            .spans
            .iter()
            .filter(|(k, _)| k.starts_with(from))
            .map(|(k, p)| {
                let mut key = to.to_vec();
                key.extend_from_slice(&k[from.len()..]);
                (key, *p)
            })
            .collect();
        for (k, p) in copies {
            self.insert(k, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn offsets_become_lines_and_columns() {
        let idx = LineIndex::new("ab\ncdé f\n\nx");
        assert_eq!(idx.pos(0), Pos { line: 1, column: 1 });
        assert_eq!(idx.pos(1), Pos { line: 1, column: 2 });
        assert_eq!(idx.pos(3), Pos { line: 2, column: 1 });
        // "é" is two bytes: the space after it is the 4th character.
        assert_eq!(idx.pos(7), Pos { line: 2, column: 4 });
        assert_eq!(idx.pos(10), Pos { line: 3, column: 1 });
        assert_eq!(idx.pos(11), Pos { line: 4, column: 1 });
        assert_eq!(idx.pos(999), Pos { line: 4, column: 2 });
    }

    #[test]
    fn locate_finds_deepest_known_prefix() {
        let mut m = SpanMap::new();
        m.insert(vec![], Pos { line: 1, column: 1 });
        m.insert(path(&["group", "web"]), Pos { line: 3, column: 3 });
        m.insert(path(&["group", "web", "count"]), Pos { line: 4, column: 5 });
        assert_eq!(
            m.locate(&path(&["group", "web", "count"])),
            Some(Pos { line: 4, column: 5 })
        );
        assert_eq!(
            m.locate(&path(&["group", "web", "task", "x", "driver"])),
            Some(Pos { line: 3, column: 3 })
        );
        assert_eq!(
            m.locate(&path(&["periodic"])),
            Some(Pos { line: 1, column: 1 })
        );
        assert_eq!(SpanMap::new().locate(&path(&["x"])), None);
    }

    #[test]
    fn alias_copies_a_subtree() {
        let mut m = SpanMap::new();
        m.insert(path(&["constraint", "0"]), Pos { line: 2, column: 3 });
        m.insert(
            path(&["constraint", "0", "operator"]),
            Pos { line: 3, column: 5 },
        );
        m.alias(&path(&["constraint", "0"]), &path(&["constraint"]));
        assert_eq!(
            m.get(&path(&["constraint", "operator"])),
            Some(Pos { line: 3, column: 5 })
        );
        assert_eq!(
            m.get(&path(&["constraint"])),
            Some(Pos { line: 2, column: 3 })
        );
    }
}
