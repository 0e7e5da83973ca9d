//! Script detection (Simplified / Traditional / mixed) and OpenCC-exact conversion.
//!
//! [`converter`] gives a converter for any of OpenCC 1.4.2's configs that produces exactly
//! what OpenCC produces (its dictionaries are compiled in at build time; no runtime files).
//! Known, deliberate differences, both on text no real document contains: an ideographic
//! description sequence never spans a line break, and text after a NUL is converted (OpenCC
//! drops the rest of a segment at a NUL in configs with segmentation).
//!
//! [`detect_script`] / [`ScriptCounter`] say which script a text is in, and [`config_for`]
//! picks the config that brings it to a [`Target`].

mod convert;
mod detect;
mod layout;
mod tables;

use std::str::FromStr;
use std::sync::OnceLock;

pub use convert::Converter;
pub use detect::{detect_script, Script, ScriptCounter, ScriptReport, MIXED_MINORITY_PERCENT};

use crate::Error;

macro_rules! configs {
    ($($variant:ident => $name:literal: $doc:literal,)*) => {
        /// An OpenCC conversion config (the name of its JSON file without `.json`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Config {
            $(#[doc = $doc] $variant,)*
        }

        impl Config {
            /// Every config, in OpenCC's documentation order.
            pub const ALL: &'static [Config] = &[$(Config::$variant,)*];

            /// OpenCC's name for the config, e.g. `"s2twp"`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Config::$variant => $name,)*
                }
            }

            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

configs! {
    S2t => "s2t": "Simplified to Traditional (OpenCC standard).",
    T2s => "t2s": "Traditional (OpenCC standard) to Simplified.",
    S2tw => "s2tw": "Simplified to Taiwan standard.",
    Tw2s => "tw2s": "Taiwan standard to Simplified.",
    S2twp => "s2twp": "Simplified to Taiwan standard, with Taiwan phrases.",
    Tw2sp => "tw2sp": "Taiwan standard to Simplified, with Mainland phrases.",
    S2hk => "s2hk": "Simplified to Hong Kong standard.",
    Hk2s => "hk2s": "Hong Kong standard to Simplified.",
    T2tw => "t2tw": "Traditional (OpenCC standard) to Taiwan standard.",
    T2hk => "t2hk": "Traditional (OpenCC standard) to Hong Kong standard.",
    Tw2t => "tw2t": "Taiwan standard to Traditional (OpenCC standard).",
    Hk2t => "hk2t": "Hong Kong standard to Traditional (OpenCC standard).",
    T2jp => "t2jp": "Traditional (kyūjitai) to Japanese shinjitai.",
    Jp2t => "jp2t": "Japanese shinjitai to Traditional (kyūjitai).",
    S2hkp => "s2hkp": "Simplified to Hong Kong standard, with Hong Kong phrases.",
    Hk2sp => "hk2sp": "Hong Kong standard to Simplified, with Mainland phrases.",
}

impl FromStr for Config {
    type Err = Error;

    /// Accepts `s2t`, `s2t.json` and any letter case.
    fn from_str(s: &str) -> Result<Self, Error> {
        let lower = s.trim().to_ascii_lowercase();
        let stem = lower.strip_suffix(".json").unwrap_or(&lower);
        Config::ALL
            .iter()
            .copied()
            .find(|c| c.name() == stem)
            .ok_or_else(|| Error::UnknownConfig(s.to_string()))
    }
}

impl std::fmt::Display for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The converter for `config`, shared by all threads. Its tables are static data generated at
/// build time, so even the first call costs only a few pointer copies.
pub fn converter(config: Config) -> &'static Converter {
    const N: usize = Config::ALL.len();
    static CONVERTERS: [OnceLock<Converter>; N] = [const { OnceLock::new() }; N];
    CONVERTERS[config.index()].get_or_init(|| convert::build(config))
}

/// The script and regional standard a text should end up in (`zhfix --to TARGET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Simplified Chinese.
    Hans,
    /// Traditional Chinese, OpenCC standard characters.
    Hant,
    /// Traditional Chinese, Taiwan standard characters.
    Tw,
    /// Taiwan standard characters and Taiwan phrases (软件 → 軟體).
    Twp,
    /// Traditional Chinese, Hong Kong standard characters.
    Hk,
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hans" => Ok(Target::Hans),
            "hant" => Ok(Target::Hant),
            "tw" => Ok(Target::Tw),
            "twp" => Ok(Target::Twp),
            "hk" => Ok(Target::Hk),
            _ => Err(Error::UnknownConfig(s.to_string())),
        }
    }
}

/// The config that brings text detected as `detected` to `target`, or `None` when the text
/// should be left alone.
///
/// - No script-specific character ([`Script::None`]): nothing to convert.
/// - Already in the target script: nothing, except that Traditional text going to Taiwan or
///   Hong Kong standard gets `t2tw`/`t2hk` (variant characters only, safe on any Traditional
///   text). Simplified text going to `hans` is left alone rather than run through `t2s`,
///   which rewrites a few characters that Simplified text also uses (著, 乾, 夥) — clean text
///   must not be damaged.
/// - Mixed text is converted from the minority-free side: to Simplified with `t2s` (its
///   simplified part passes through unchanged), to Traditional with the `s2…` config (its
///   traditional part passes through: s2t keys are simplified characters).
/// - Traditional to `twp`: OpenCC has no traditional→Taiwan-phrases config, so only the
///   characters are adapted (`t2tw`).
pub fn config_for(target: Target, detected: Script) -> Option<Config> {
    use Script::*;
    match (target, detected) {
        (_, None) => Option::None,
        (Target::Hans, Simplified) => Option::None,
        (Target::Hans, Traditional | Mixed) => Some(Config::T2s),
        (Target::Hant, Traditional) => Option::None,
        (Target::Hant, Simplified | Mixed) => Some(Config::S2t),
        (Target::Tw, Simplified | Mixed) => Some(Config::S2tw),
        (Target::Tw, Traditional) => Some(Config::T2tw),
        (Target::Twp, Simplified | Mixed) => Some(Config::S2twp),
        (Target::Twp, Traditional) => Some(Config::T2tw),
        (Target::Hk, Simplified | Mixed) => Some(Config::S2hk),
        (Target::Hk, Traditional) => Some(Config::T2hk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_round_trip() {
        assert_eq!(Config::ALL.len(), 16);
        for &c in Config::ALL {
            assert_eq!(c.name().parse::<Config>().ok(), Some(c));
            assert_eq!(format!("{}.json", c.name()).parse::<Config>().ok(), Some(c));
        }
        assert_eq!("S2TWP".parse::<Config>().ok(), Some(Config::S2twp));
        assert!(matches!(
            "s2x".parse::<Config>(),
            Err(Error::UnknownConfig(name)) if name == "s2x"
        ));
    }

    #[test]
    fn every_config_converts() {
        let cases = [
            (Config::S2t, "头发和软件", "頭髮和軟件"),
            (Config::S2twp, "头发和软件", "頭髮和軟體"),
            (Config::T2s, "頭髮", "头发"),
            (Config::Tw2sp, "軟體", "软件"),
            (Config::T2jp, "廣國", "広国"),
        ];
        for (config, input, expected) in cases {
            assert_eq!(converter(config).convert(input), expected, "{config}");
        }
        for &c in Config::ALL {
            assert_eq!(converter(c).config(), c);
            assert_eq!(converter(c).convert("abc\n"), "abc\n", "{c}");
        }
    }

    #[test]
    fn targets_parse() {
        assert_eq!("hans".parse::<Target>().ok(), Some(Target::Hans));
        assert_eq!("TWP".parse::<Target>().ok(), Some(Target::Twp));
        assert!("cn".parse::<Target>().is_err());
    }

    #[test]
    fn config_for_never_converts_clean_target_text() {
        assert_eq!(config_for(Target::Hans, Script::Simplified), None);
        assert_eq!(config_for(Target::Hant, Script::Traditional), None);
        assert_eq!(config_for(Target::Hk, Script::None), None);
        assert_eq!(config_for(Target::Hans, Script::Mixed), Some(Config::T2s));
        assert_eq!(
            config_for(Target::Tw, Script::Simplified),
            Some(Config::S2tw)
        );
        assert_eq!(
            config_for(Target::Tw, Script::Traditional),
            Some(Config::T2tw)
        );
        assert_eq!(config_for(Target::Hk, Script::Mixed), Some(Config::S2hk));
    }
}
