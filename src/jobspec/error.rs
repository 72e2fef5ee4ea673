//! The job-file error type: every variant knows its file and, when it can, the line and column,
//! and prints as ONE line: `<file>:<line>:<col>: <message>` or `<file>: <message>`.

use super::span::Pos;
use std::fmt;
use thiserror::Error;

/// Where a problem is: the file name and, when known, the position in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as the user gave it.
    pub file: String,
    /// The position, when known.
    pub pos: Option<Pos>,
}

impl Location {
    pub(crate) fn new(file: &str, pos: Option<Pos>) -> Self {
        Location {
            file: file.to_string(),
            pos,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}", self.file, p.line, p.column),
            None => f.write_str(&self.file),
        }
    }
}

/// Everything that can go wrong reading a job file.
#[derive(Debug, Error)]
pub enum JobspecError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file name.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not valid HCL.
    #[error("{at}: Invalid HCL syntax; {message}")]
    Syntax {
        /// Where.
        at: Location,
        /// The parser's one-line message.
        message: String,
    },
    /// A block type that is not allowed where it appears.
    #[error("{at}: Unsupported block type; blocks of type \"{name}\" are not expected here")]
    UnknownBlock {
        /// Where.
        at: Location,
        /// The block type as written.
        name: String,
    },
    /// An attribute that is not allowed where it appears.
    #[error("{at}: Unsupported argument; an argument named \"{name}\" is not expected here{hint}")]
    UnknownAttribute {
        /// Where.
        at: Location,
        /// The attribute name as written.
        name: String,
        /// Extra advice (starts with ". " when present).
        hint: String,
    },
    /// A value of the wrong type for its attribute.
    #[error(
        "{at}: Incorrect attribute value type; inappropriate value for attribute \"{name}\": {expected} required"
    )]
    WrongType {
        /// Where (the value).
        at: Location,
        /// The attribute name.
        name: String,
        /// What was wanted, e.g. "a number is".
        expected: String,
    },
    /// A duration string Go would refuse.
    #[error("{at}: Invalid duration \"{value}\" for attribute \"{name}\": {reason}")]
    BadDuration {
        /// Where (the value).
        at: Location,
        /// The attribute name.
        name: String,
        /// The duration as written.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A reference to a variable that is not declared.
    #[error("{at}: Unknown variable; there is no variable named \"{name}\"")]
    UndefinedVariable {
        /// Where the reference is.
        at: Location,
        /// The name, e.g. `nope` for `var.nope` or `attr` for a bare `attr.x`.
        name: String,
    },
    /// A declared variable with no default and no value given.
    #[error(
        "{at}: Required variable not set; the variable \"{name}\" has no default and no value was given (use -var, -var-file or NOMAD_VAR_{name})"
    )]
    MissingVariable {
        /// Where the variable is declared.
        at: Location,
        /// The variable name.
        name: String,
    },
    /// A value given for a variable that is not declared, or that does not fit its type.
    #[error("{at}: Invalid value for variable \"{name}\"; {message}")]
    BadVariable {
        /// Where (declaration or value).
        at: Location,
        /// The variable name.
        name: String,
        /// Why.
        message: String,
    },
    /// A call to a function this parser does not provide.
    #[error("{at}: Call to unknown function; there is no function named \"{name}\"")]
    UnsupportedFunction {
        /// Where the call is.
        at: Location,
        /// The function name.
        name: String,
    },
    /// An expression that could not be evaluated.
    #[error("{at}: Invalid expression; {message}")]
    Eval {
        /// Where the expression is.
        at: Location,
        /// Why.
        message: String,
    },
    /// A well-formed file whose structure is wrong (missing or extra labels, duplicates...).
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong, in HCL's "Summary; detail" style.
        message: String,
    },
    /// A JSON job file that does not parse or does not fit the job shape.
    #[error("{at}: Invalid JSON job; {message}")]
    Json {
        /// Where.
        at: Location,
        /// serde_json's message without its own position suffix.
        message: String,
    },
}

impl JobspecError {
    /// The location of the problem (`None` only for I/O errors).
    pub fn location(&self) -> Option<&Location> {
        match self {
            JobspecError::Io { .. } => None,
            JobspecError::Syntax { at, .. }
            | JobspecError::UnknownBlock { at, .. }
            | JobspecError::UnknownAttribute { at, .. }
            | JobspecError::WrongType { at, .. }
            | JobspecError::BadDuration { at, .. }
            | JobspecError::UndefinedVariable { at, .. }
            | JobspecError::MissingVariable { at, .. }
            | JobspecError::BadVariable { at, .. }
            | JobspecError::UnsupportedFunction { at, .. }
            | JobspecError::Eval { at, .. }
            | JobspecError::Invalid { at, .. }
            | JobspecError::Json { at, .. } => Some(at),
        }
    }

    /// The position of the problem, when known.
    pub fn pos(&self) -> Option<Pos> {
        self.location().and_then(|l| l.pos)
    }
}

/// Result alias for job-file parsing.
pub type Result<T> = std::result::Result<T, JobspecError>;

/// Folds a possibly multi-line message from a library into one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_with_and_without_position() {
        let e = JobspecError::UnknownBlock {
            at: Location::new("web.nomad.hcl", Some(Pos { line: 3, column: 5 })),
            name: "foo".into(),
        };
        assert_eq!(
            e.to_string(),
            "web.nomad.hcl:3:5: Unsupported block type; blocks of type \"foo\" are not expected here"
        );
        let e = JobspecError::Invalid {
            at: Location::new("x.hcl", None),
            message: "No job block".into(),
        };
        assert_eq!(e.to_string(), "x.hcl: No job block");
    }

    #[test]
    fn one_line_folds_whitespace() {
        assert_eq!(one_line("a\n  b\tc\n"), "a b c");
    }
}
