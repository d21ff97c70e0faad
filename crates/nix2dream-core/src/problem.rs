//! What can go wrong when a deployment is loaded, as data: the CLI decides
//! how to show it.

use nix2dream_eval::{caret_line, source_line, EvalError};
use std::fmt;

/// Where an option's value was set: a file, and the line and column of the
/// definition when it could be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line_col: Option<(u32, u32)>,
    /// The text of that line, to show under the position.
    pub line_text: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((line, column)) => write!(f, "{}:{}:{}", self.file, line, column),
            None => f.write_str(&self.file),
        }
    }
}

impl Location {
    /// `at FILE:LINE:COL:` with the source line and a caret under the
    /// column, laid out as the evaluator shows error positions.
    pub fn excerpt(&self) -> String {
        let mut out = format!("at {}", self);
        if let (Some((line, column)), Some(text)) = (self.line_col, &self.line_text) {
            out.push_str(&format!(":\n\n{}\n{}", source_line(line, text), caret_line(column)));
        }
        out
    }
}

/// One thing wrong with a deployment that the option types cannot catch
/// alone (they see one value at a time): an unknown service in `dependsOn`,
/// a dependency cycle, a port published twice, ...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The option path, `services.worker.dependsOn`.
    pub option: String,
    pub message: String,
    /// Where the offending value was set, when known.
    pub location: Option<Location>,
    /// A suggestion ("Did you mean `site'?").
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(option: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { option: option.into(), message: message.into(), location: None, hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: The option `{}' {}", self.option, self.message)?;
        if let Some(location) = &self.location {
            write!(f, "\n\n       {}", location.excerpt())?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n\n       {}", hint)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Evaluation failed: a Nix error, or an error the module system threw
    /// (a wrong type, an unknown option, a missing value).
    #[error("{0}")]
    Eval(EvalError),
    /// The module system rejected a definition (a wrong type, an unknown
    /// option, a missing value).
    #[error("{0}")]
    Module(Box<ModuleError>),
    /// The configuration evaluated, but does not make a valid deployment.
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n\n"))]
    Invalid(Vec<Problem>),
}

/// An error the module system threw about an option: its message, and
/// where the definition is in the deployment's own files (rather than at
/// the `throw` inside the module system).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleError {
    pub message: String,
    pub option: String,
    pub location: Option<Location>,
    pub hint: Option<String>,
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message.replace('\n', "\n       "))?;
        if let Some(location) = &self.location {
            write!(f, "\n\n       {}", location.excerpt())?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n\n       {}", hint)?;
        }
        Ok(())
    }
}
