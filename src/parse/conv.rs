//! The `.conv` front end (grammar in `grammar/convc.pest`).

use crate::ast::Spec;
use crate::diagnostic::Diagnostic;

pub fn parse_conv(_text: &str) -> Result<Spec, Vec<Diagnostic>> {
    Err(vec![Diagnostic::error_unlocated(
        "the .conv front end is being written",
    )])
}
