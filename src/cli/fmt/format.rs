//! The HCL formatter behind `nomad fmt`: two-space indentation by nesting depth, one space around an
//! attribute's `=`, `=` aligned across runs of adjacent attributes, no trailing whitespace, one trailing
//! newline. Comments, heredocs and blank lines are kept: the formatter only moves whitespace, so a file's
//! meaning never changes. Callers check that the file parses first.

/// Formats HCL source text. Idempotent: `format(format(s)) == format(s)`.
pub fn format(src: &str) -> String {
    let mut lines: Vec<Line> = Vec::new();
    let mut lexer = Lexer::default();
    let mut depth: usize = 0;
    for raw in src.lines() {
        if let Some(verbatim) = lexer.verbatim_line(raw) {
            lines.push(Line::verbatim(verbatim));
            continue;
        }
        let text = raw.trim();
        let scan = lexer.scan(text);
        let indent = depth.saturating_sub(scan.leading_closers);
        depth = (depth + scan.opens).saturating_sub(scan.closes);
        let text = match scan.assign_at {
            Some(i) => {
                let (key, rest) = text.split_at(i);
                Line::attribute(indent, key.trim_end(), rest[1..].trim_start())
            }
            _ => Line::plain(indent, text),
        };
        lines.push(text);
    }
    align(&mut lines);
    render(&lines)
}

#[derive(Debug)]
enum Line {
    /// Inside a heredoc or block comment: kept exactly.
    Verbatim(String),
    Plain {
        indent: usize,
        text: String,
    },
    Attribute {
        indent: usize,
        key: String,
        value: String,
        pad: usize,
    },
}

impl Line {
    fn verbatim(s: &str) -> Self {
        Line::Verbatim(s.to_owned())
    }
    fn plain(indent: usize, text: &str) -> Self {
        Line::Plain {
            indent,
            text: text.to_owned(),
        }
    }
    fn attribute(indent: usize, key: &str, value: &str) -> Self {
        Line::Attribute {
            indent,
            key: key.to_owned(),
            value: value.to_owned(),
            pad: key.len(),
        }
    }
}

/// Pads keys so that `=` lines up across each run of adjacent attributes at the same indent.
fn align(lines: &mut [Line]) {
    let mut start = 0;
    while start < lines.len() {
        let Line::Attribute { indent, .. } = lines[start] else {
            start += 1;
            continue;
        };
        let mut end = start;
        let mut width = 0;
        while let Some(Line::Attribute { indent: i, key, .. }) = lines.get(end) {
            if *i != indent {
                break;
            }
            width = width.max(key.len());
            end += 1;
        }
        for line in &mut lines[start..end] {
            if let Line::Attribute { pad, .. } = line {
                *pad = width;
            }
        }
        start = end;
    }
}

fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    let mut blank_run = 0;
    for line in lines {
        let text = match line {
            Line::Verbatim(s) => s.clone(),
            Line::Plain { text, .. } if text.is_empty() => String::new(),
            Line::Plain { indent, text } => format!("{}{text}", "  ".repeat(*indent)),
            Line::Attribute {
                indent,
                key,
                value,
                pad,
            } => format!("{}{key:<pad$} = {value}", "  ".repeat(*indent))
                .trim_end()
                .to_owned(),
        };
        if text.is_empty() {
            blank_run += 1;
            // Leading blank lines and runs of blanks carry no meaning.
            if out.is_empty() || blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(&text);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// What one trimmed line contributes to nesting, ignoring strings and comments.
#[derive(Debug, Default)]
struct Scan {
    opens: usize,
    closes: usize,
    /// Closers before anything else on the line: they dedent the line itself.
    leading_closers: usize,
    /// Byte index of an attribute's `=` when the line starts with `identifier =`.
    assign_at: Option<usize>,
}

/// Carries heredoc and block-comment state from line to line.
#[derive(Debug, Default)]
struct Lexer {
    heredoc: Option<String>,
    in_block_comment: bool,
}

impl Lexer {
    /// Returns the line unchanged when it is inside a heredoc or a block comment.
    fn verbatim_line<'a>(&mut self, raw: &'a str) -> Option<&'a str> {
        if let Some(marker) = &self.heredoc {
            if raw.trim() == marker {
                self.heredoc = None;
            }
            return Some(raw.trim_end());
        }
        if self.in_block_comment {
            if raw.contains("*/") {
                self.in_block_comment = false;
            }
            return Some(raw.trim_end());
        }
        None
    }

    fn scan(&mut self, text: &str) -> Scan {
        let mut scan = Scan {
            assign_at: assignment(text),
            ..Scan::default()
        };
        let bytes = text.as_bytes();
        let mut seen_other = false;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    i = skip_string(bytes, i);
                    seen_other = true;
                    continue;
                }
                b'#' => break,
                b'/' if bytes.get(i + 1) == Some(&b'/') => break,
                b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..].find("*/") {
                    Some(end) => i += end + 4,
                    None => {
                        self.in_block_comment = true;
                        break;
                    }
                },
                b'<' if text[i..].starts_with("<<") => {
                    let marker = text[i + 2..].trim_start_matches('-').trim();
                    if !marker.is_empty() && marker.chars().all(|c| c.is_alphanumeric() || c == '_')
                    {
                        self.heredoc = Some(marker.to_owned());
                        break;
                    }
                    i += 2;
                }
                b'{' | b'[' | b'(' => {
                    scan.opens += 1;
                    seen_other = true;
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    if scan.opens > 0 {
                        scan.opens -= 1;
                    } else {
                        scan.closes += 1;
                        if !seen_other {
                            scan.leading_closers += 1;
                        }
                    }
                    i += 1;
                }
                b' ' | b'\t' | b',' => i += 1,
                _ => {
                    seen_other = true;
                    i += 1;
                }
            }
        }
        scan
    }
}

/// Index just past the string starting at `start` (a `"`), honouring escapes.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `Some(index of '=')` when the line is `identifier = value` (not `==`, not `=>`).
fn assignment(text: &str) -> Option<usize> {
    let key_end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '"' || c == '.'))
        .unwrap_or(text.len());
    if key_end == 0 {
        return None;
    }
    let after = &text[key_end..];
    let eq = key_end + (after.len() - after.trim_start().len());
    let rest = &text[eq..];
    (rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>")).then_some(eq)
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn indents_and_aligns() {
        let src =
            "job \"a\" {\ntype=\"batch\"\n      priority   =  50\ngroup \"g\" {\ncount = 1\n}\n}\n";
        let want = "job \"a\" {\n  type     = \"batch\"\n  priority = 50\n  group \"g\" {\n    count = 1\n  }\n}\n";
        assert_eq!(format(src), want);
    }

    #[test]
    fn keeps_comments_heredocs_and_strings() {
        let src = "# top {\njob \"a\" {\n  /* a {\n   b */\n  x = \"}{\" # c {\n  t = <<EOF\n  {not code\nEOF\n}\n";
        let out = format(src);
        assert!(out.contains("  x = \"}{\" # c {\n"), "{out}");
        assert!(out.contains("  {not code\nEOF\n}\n"), "{out}");
        assert!(out.contains("  /* a {\n   b */\n"), "{out}");
        assert_eq!(format(&out), out);
    }

    #[test]
    fn multi_line_values_indent_and_break_alignment() {
        let src = "a = [\n\"x\",\n]\nlonger = 1\nb = 2\n";
        assert_eq!(format(src), "a = [\n  \"x\",\n]\nlonger = 1\nb      = 2\n");
    }

    #[test]
    fn collapses_blank_runs_and_trailing_space() {
        assert_eq!(
            format("\n\na = 1   \n\n\n\nb = 2\n\n\n"),
            "a = 1\n\nb = 2\n"
        );
    }
}
