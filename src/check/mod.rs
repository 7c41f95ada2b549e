//! The checker: AST to a consistent, fully resolved `ir::Model`.
