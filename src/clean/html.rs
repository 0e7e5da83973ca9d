use crate::rule::{Fixed, RuleConfig};

/// `html` rule (stub).
pub fn html<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}
