//! Cleaning rules: leaked pinyin annotations, HTML remnants, control characters, Unicode
//! normalisation, optional spacing and quote styles.

pub mod control;
pub mod html;
pub mod normalize;
pub mod pinyin;
