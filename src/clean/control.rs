use crate::rule::{Fixed, RuleConfig};

/// `control` rule (stub).
pub fn control<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}
