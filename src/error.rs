//! Library errors. Damaged text is not an error (it is data, reported as such); these are
//! failures to do what was asked.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error("unknown rule `{0}` (see `zhfix rules`)")]
    UnknownRule(String),
    #[error("unknown encoding `{0}`")]
    UnknownEncoding(String),
    #[error("unknown conversion config `{0}`")]
    UnknownConfig(String),
    #[error("character {ch:?} (U+{code:04X}) cannot be encoded in {encoding}")]
    Unencodable {
        ch: char,
        code: u32,
        encoding: &'static str,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
