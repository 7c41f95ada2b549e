//! Writes a spec as `.conv`, formatted for people.

use crate::ast::Spec;
use crate::ir::Model;

pub fn to_conv(_spec: &Spec, _model: &Model) -> String {
    String::new()
}
