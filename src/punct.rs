use crate::rule::{Fixed, RuleConfig};

/// `punct` rule (stub).
pub fn punct<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}

/// `width` rule (stub).
pub fn width<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}
