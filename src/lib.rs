//! zhfix: turn damaged Chinese text back into clean text.
//!
//! Stages, each a module: [`detect`] the byte encoding, [`decode`] it to UTF-8, then apply
//! named [`rule`]s ([`mojibake`], [`clean`], [`punct`]) and optionally convert the script
//! ([`script`]). [`pipeline`] composes them; [`report`] describes what was found.

pub mod clean;
pub mod decode;
pub mod detect;
pub mod error;
pub mod model;
pub mod mojibake;
pub mod pipeline;
pub mod punct;
pub mod report;
pub mod rule;
pub mod script;

pub use error::Error;
pub use rule::{Change, Fixed, Rule, RuleConfig, RULES};
