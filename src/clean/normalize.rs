use crate::rule::{Fixed, RuleConfig};

/// `nfc` rule (stub).
pub fn nfc<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}

/// `spacing` rule (stub).
pub fn spacing<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}

/// `quotes` rule (stub).
pub fn quotes<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}
