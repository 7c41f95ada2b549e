//! Writes a spec as TOML.

use crate::ast::Spec;
use crate::ir::Model;

pub fn to_toml(_spec: &Spec, _model: &Model) -> String {
    String::new()
}
