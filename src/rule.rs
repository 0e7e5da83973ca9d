//! The rule registry: every repair or normalisation is a named, pure function from text to
//! (text, changes). The names are stable: they drive `--rules`, `--skip`, reports and `--explain`.

use std::borrow::Cow;

use serde::Serialize;

/// One edit a rule made. Offsets are byte offsets into the text the rule was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub rule: &'static str,
    pub start: usize,
    pub end: usize,
    pub before: String,
    pub after: String,
    /// Extra detail for reports, e.g. the mojibake chain `utf-8 → read as gbk`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a rule returns: the text (borrowed when nothing changed) and the changes it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed<'a> {
    pub text: Cow<'a, str>,
    pub changes: Vec<Change>,
}

impl<'a> Fixed<'a> {
    /// The input, untouched.
    pub fn unchanged(text: &'a str) -> Self {
        Fixed {
            text: Cow::Borrowed(text),
            changes: Vec::new(),
        }
    }
}

/// `spacing` rule mode (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spacing {
    #[default]
    Add,
    Remove,
}

/// `quotes` rule style (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quotes {
    /// `「」『』` → `“”‘’`
    #[default]
    Cn,
    /// `“”‘’` → `「」『』`
    Tw,
}

/// A kind of line ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
    Cr,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
            LineEnding::Cr => "\r",
        }
    }

    /// The most common kind in `text` (ties favour LF, then CRLF); `None` if it has no line
    /// ending at all.
    pub fn dominant(text: &str) -> Option<LineEnding> {
        let b = text.as_bytes();
        let (mut lf, mut crlf, mut cr) = (0usize, 0usize, 0usize);
        for p in memchr::memchr2_iter(b'\r', b'\n', b) {
            match b[p] {
                b'\n' if p > 0 && b[p - 1] == b'\r' => crlf += 1,
                b'\n' => lf += 1,
                _ if b.get(p + 1) == Some(&b'\n') => {}
                _ => cr += 1,
            }
        }
        if lf + crlf + cr == 0 {
            None
        } else if lf >= crlf && lf >= cr {
            Some(LineEnding::Lf)
        } else if crlf >= cr {
            Some(LineEnding::CrLf)
        } else {
            Some(LineEnding::Cr)
        }
    }
}

/// Options some rules take. Rules that need none ignore it.
#[derive(Debug, Clone, Default)]
pub struct RuleConfig {
    pub spacing: Spacing,
    pub quotes: Quotes,
    /// Use NFKC in the `nfc` rule instead of NFC (explicit opt-in only: it destroys `，。！`).
    pub nfkc: bool,
    /// The line ending `control` gives every line; `None` leaves line endings as they are.
    /// It is decided once per file (the majority in the reader's detection prefix, see
    /// [`crate::pipeline::TextReader::line_ending`]), not per text the rule is given, so the
    /// output does not depend on where the file was cut into blocks.
    pub line_ending: Option<LineEnding>,
}

pub type RuleFn = for<'a> fn(&'a str, &RuleConfig) -> Fixed<'a>;

/// A named rule. `RULES` lists them in the order the pipeline applies them.
pub struct Rule {
    pub name: &'static str,
    pub default_on: bool,
    pub summary: &'static str,
    pub apply: RuleFn,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("name", &self.name)
            .field("default_on", &self.default_on)
            .finish()
    }
}

/// Every rule, in pipeline order. `html` runs first: entities can encode mojibake
/// (`&#228;&#184;&#173;` is `ä¸­`), which `mojibake` must see decoded in the same pass or the
/// next run would repair it (fix twice ≠ fix once); mojibake garbage never holds `<`, `>` or
/// `&`, so html cannot eat it. `mojibake` comes before `control`, `punct` and `width` (its
/// garbage holds C1 controls and punctuation that belong to the repair), and `control` after
/// `html` removes the zero-width characters an entity such as `&zwnj;` decodes to. NFC runs
/// last so earlier rules see the text as it came.
pub static RULES: &[Rule] = &[
    Rule {
        name: "html",
        default_on: true,
        summary: "remove HTML tags and tag remnants, decode entities",
        apply: crate::clean::html::html,
    },
    Rule {
        name: "mojibake",
        default_on: true,
        summary: "repair text decoded with the wrong encoding (UTF-8 read as GBK, GBK read as Latin-1, ...)",
        apply: crate::mojibake::mojibake,
    },
    Rule {
        name: "control",
        default_on: true,
        summary: "remove control and zero-width characters, stray BOMs; give every line the file's dominant line ending",
        apply: crate::clean::control::control,
    },
    Rule {
        name: "pinyin",
        default_on: true,
        summary: "remove leaked pinyin annotations such as 區(qū)",
        apply: crate::clean::pinyin::pinyin,
    },
    Rule {
        name: "punct",
        default_on: true,
        summary: "ASCII punctuation inside Chinese text becomes full-width Chinese punctuation",
        apply: crate::punct::punct,
    },
    Rule {
        name: "width",
        default_on: true,
        summary: "full-width letters and digits become ASCII",
        apply: crate::punct::width,
    },
    Rule {
        name: "nfc",
        default_on: true,
        summary: "Unicode NFC; CJK compatibility ideographs become unified ideographs",
        apply: crate::clean::normalize::nfc,
    },
    Rule {
        name: "spacing",
        default_on: false,
        summary: "add (or remove) spaces between Han and Latin letters or digits",
        apply: crate::clean::normalize::spacing,
    },
    Rule {
        name: "quotes",
        default_on: false,
        summary: "convert quotes between “”‘’ and 「」『』",
        apply: crate::clean::normalize::quotes,
    },
];

/// Look a rule up by its stable name.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}
