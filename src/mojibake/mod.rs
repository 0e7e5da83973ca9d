//! Mojibake repair: text that was decoded with the wrong encoding and saved as UTF-8.

use crate::rule::{Fixed, RuleConfig};

/// A span of irreversible damage (U+FFFD runs, `锟斤拷`, `?` where a character was lost, ...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Damage {
    /// Stable kind name, e.g. `replacement`, `kunjinkao`, `lost_char`, or a repairable chain.
    pub kind: &'static str,
    /// Byte range in the scanned text.
    pub start: usize,
    pub end: usize,
    /// Information is irreversibly gone in this span.
    pub lossy: bool,
}

/// `mojibake` rule (stub).
pub fn mojibake<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    Fixed::unchanged(text)
}

/// Damage found in `text` (repairable or not), for `detect` reports (stub).
pub fn scan_damage(_text: &str) -> Vec<Damage> {
    Vec::new()
}
