//! Which script a text is written in, from characters only one script uses.
//!
//! A character is simplified-only when OpenCC's s2t character table changes it, t2s leaves it
//! alone and no Traditional candidate is that character (发, 国, 这); traditional-only is the
//! mirror image (發, 國, 這). Characters both scripts write (台, 后, 干, 中) count for neither.
//! The classes come from OpenCC's STCharacters/TSCharacters at build time.

use serde::Serialize;

use super::tables::{SCRIPT_BMP, SCRIPT_SUPP};

/// The script of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Script {
    Simplified,
    Traditional,
    /// Both scripts in earnest: the minority script has more than
    /// [`MIXED_MINORITY_PERCENT`] % of the script-specific characters (and at least two).
    Mixed,
    /// No script-specific character at all (ASCII, or only characters both scripts share).
    None,
}

/// Above this share of the script-specific characters, the minority script makes a text
/// `Mixed`. Below it, the odd character is treated as noise (a quoted name, a variant the
/// author's input method produced) so a clean page keeps its script, while a page converted
/// only in part (a paragraph, a headline) clearly exceeds it.
pub const MIXED_MINORITY_PERCENT: usize = 5;

/// Counts of script-specific characters and the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ScriptReport {
    pub script: Script,
    pub simplified_only: usize,
    pub traditional_only: usize,
}

/// Streaming form of [`detect_script`]: feed text in blocks of any size (split anywhere
/// between characters) and ask for the report at the end.
#[derive(Clone, Debug, Default)]
pub struct ScriptCounter {
    simplified_only: usize,
    traditional_only: usize,
}

#[derive(PartialEq)]
enum Class {
    Neutral,
    SimplifiedOnly,
    TraditionalOnly,
}

fn class(c: char) -> Class {
    let cp = c as u32;
    let bits = if cp < 0x10000 {
        let byte = SCRIPT_BMP.get(cp as usize / 4).copied().unwrap_or(0);
        (byte >> ((cp % 4) * 2)) & 3
    } else {
        SCRIPT_SUPP
            .binary_search_by_key(&cp, |&(code, _)| code)
            .map(|i| SCRIPT_SUPP[i].1)
            .unwrap_or(0)
    };
    match bits {
        1 => Class::SimplifiedOnly,
        2 => Class::TraditionalOnly,
        _ => Class::Neutral,
    }
}

impl ScriptCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts the script-specific characters of `text`.
    pub fn add(&mut self, text: &str) {
        // Every classified character is at least U+3400 (three UTF-8 bytes, lead ≥ 0xE3), so
        // ASCII and most punctuation are skipped without decoding.
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0xE3 {
                i += 1;
                continue;
            }
            let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
                i += 1;
                continue;
            };
            match class(c) {
                Class::SimplifiedOnly => self.simplified_only += 1,
                Class::TraditionalOnly => self.traditional_only += 1,
                Class::Neutral => {}
            }
            i += c.len_utf8();
        }
    }

    /// The verdict for everything added so far.
    pub fn report(&self) -> ScriptReport {
        let (s, t) = (self.simplified_only, self.traditional_only);
        let total = s + t;
        let minority = s.min(t);
        let script = if total == 0 {
            Script::None
        } else if minority >= 2 && minority * 100 > total * MIXED_MINORITY_PERCENT {
            Script::Mixed
        } else if s >= t {
            Script::Simplified
        } else {
            Script::Traditional
        };
        ScriptReport {
            script,
            simplified_only: s,
            traditional_only: t,
        }
    }
}

/// Detects the script of `text`; see [`Script`] for the verdicts.
pub fn detect_script(text: &str) -> ScriptReport {
    let mut counter = ScriptCounter::new();
    counter.add(text);
    counter.report()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{converter, Config};

    const SIMPLIFIED: &str = "国务院办公厅发布通知，要求各地加强对学校周边环境的整治，\
        确保学生上下学安全。这项工作将在今年年底前完成。";

    #[test]
    fn simplified_text() {
        let r = detect_script(SIMPLIFIED);
        assert_eq!(r.script, Script::Simplified);
        assert!(r.simplified_only >= 10, "{r:?}");
        assert_eq!(r.traditional_only, 0);
    }

    #[test]
    fn traditional_text() {
        let trad = converter(Config::S2t).convert(SIMPLIFIED);
        let r = detect_script(&trad);
        assert_eq!(r.script, Script::Traditional, "{trad} {r:?}");
        assert_eq!(r.simplified_only, 0);
        let tw = converter(Config::S2twp).convert(SIMPLIFIED);
        assert_eq!(detect_script(&tw).script, Script::Traditional);
    }

    #[test]
    fn partly_converted_text_is_mixed() {
        let half = format!(
            "{}{}",
            SIMPLIFIED,
            converter(Config::S2t).convert(SIMPLIFIED)
        );
        assert_eq!(detect_script(&half).script, Script::Mixed);
        // One converted sentence among several simplified ones is still mixed.
        let trad_sentence = converter(Config::S2t).convert("这项工作将在今年年底前完成。");
        let page = format!("{SIMPLIFIED}{SIMPLIFIED}{trad_sentence}");
        assert_eq!(detect_script(&page).script, Script::Mixed);
    }

    #[test]
    fn a_stray_character_does_not_make_a_page_mixed() {
        let page = format!("{SIMPLIFIED}{SIMPLIFIED}{SIMPLIFIED}發");
        let r = detect_script(&page);
        assert_eq!(r.traditional_only, 1);
        assert_eq!(r.script, Script::Simplified);
    }

    #[test]
    fn no_script_specific_characters() {
        assert_eq!(detect_script("").script, Script::None);
        assert_eq!(detect_script("Hello, world! 123").script, Script::None);
        // Shared by both scripts: 中文, 台, 后, 干.
        assert_eq!(detect_script("中文 台 后 干").script, Script::None);
    }

    #[test]
    fn counter_is_independent_of_block_boundaries() {
        let text = format!("{SIMPLIFIED}{}", converter(Config::S2t).convert(SIMPLIFIED));
        let whole = detect_script(&text);
        for step in [1, 2, 7, 64] {
            let mut counter = ScriptCounter::new();
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut cut = step.min(rest.len());
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                counter.add(&rest[..cut]);
                rest = &rest[cut..];
            }
            assert_eq!(counter.report(), whole, "blocks of {step} bytes");
        }
    }

    #[test]
    fn report_serializes_lowercase() {
        let json = serde_json::to_string(&detect_script("这")).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"script":"simplified","simplified_only":1,"traditional_only":0}"#
        );
    }

    #[test]
    fn class_tables_are_populated() {
        let (s, t) = crate::script::tables::SCRIPT_COUNTS;
        assert!(
            s > 1500 && t > 1500,
            "{s} simplified-only, {t} traditional-only"
        );
    }
}
