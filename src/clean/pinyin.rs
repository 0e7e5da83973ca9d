use crate::rule::{Fixed, RuleConfig};

/// `pinyin` rule (stub).
pub fn pinyin<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}
