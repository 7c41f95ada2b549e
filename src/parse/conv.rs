//! The `.conv` front end: the pest grammar in `grammar/convc.pest`, then `build` turns the
//! parse tree into an [`ast::Spec`](crate::ast::Spec).
//!
//! pest stops at the first syntax error. To report more than one, [`parse_conv`] resumes after
//! an error at the next line that starts a statement (`input`, `layer`, `output`, `expect`) and
//! parses the rest on its own; spans stay offsets into the whole text.
//!
//! Hostile input: the grammar is not recursive (see its header), so pest's recursion depth is
//! bounded by the grammar, not the input, and parsing time is linear in the input (a 5 MB
//! matrix parses in under a second). pest also guards the native stack itself. No global
//! `pest::set_call_limit` is set: it is process-wide, and a budget small enough to matter
//! would reject large, legitimate matrices.

mod build;
mod errors;

use crate::ast::{Span, Spec};
use crate::diagnostic::{Code, Diagnostic};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/convc.pest"]
struct ConvParser;

/// At most this many syntax errors are reported; after that, the rest are likely consequences.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Parses a `.conv` spec. On failure, returns every problem found (syntax errors, numbers out
/// of range, repeated or conflicting clauses, misspelt label axes), in source order.
pub fn parse_conv(text: &str) -> Result<Spec, Vec<Diagnostic>> {
    let mut builder = build::Builder::default();
    let mut syntax_errors = Vec::new();
    let mut offset = 0;
    // Each round parses `text[offset..]` to the end; on an error it resumes at the next
    // statement after the error. `offset` only grows, so this ends.
    while let Some(rest) = text.get(offset..) {
        match ConvParser::parse(Rule::spec, rest) {
            Ok(pairs) => {
                builder.spec_pairs(pairs, offset);
                break;
            }
            Err(error) => {
                let (diagnostic, error_pos) = errors::syntax_error(&error, text, offset);
                syntax_errors.push(diagnostic);
                if syntax_errors.len() >= MAX_SYNTAX_ERRORS {
                    break;
                }
                match next_statement_start(text, error_pos, offset) {
                    Some(next) => offset = next,
                    None => break,
                }
            }
        }
    }
    let (spec, mut diagnostics) = builder.finish();
    diagnostics.extend(syntax_errors);
    if diagnostics.is_empty() && spec == Spec::default() {
        diagnostics.push(
            Diagnostic::error(Code::EmptySpec, Span::new(0, 0), "the spec is empty")
                .with_label("no statements")
                .with_hint("declare an input and a layer: `input x (1, 3, 1) = [1 2 3]` ..."),
        );
    }
    if diagnostics.is_empty() {
        Ok(spec)
    } else {
        diagnostics.sort_by_key(|d| d.span.map_or(0, |s| s.start));
        Err(diagnostics)
    }
}

/// Where to resume after a syntax error at `pos`: the first line start at or after the start of
/// `pos`'s line whose first word is a statement keyword, and which lies after `offset`, the
/// start of the failed parse (so that every round makes progress).
fn next_statement_start(text: &str, pos: usize, offset: usize) -> Option<usize> {
    const KEYWORDS: [&str; 4] = ["input", "layer", "output", "expect"];
    let mut line_start = text.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    while let Some(line) = text.get(line_start..) {
        let trimmed = line.trim_start_matches([' ', '\t', '\r']);
        let word_len = trimmed
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(trimmed.len());
        let word_start = line_start + (line.len() - trimmed.len());
        if word_start > offset && KEYWORDS.contains(&&trimmed[..word_len]) {
            return Some(word_start);
        }
        line_start += line.find('\n')? + 1;
    }
    None
}

#[cfg(test)]
mod tests;
