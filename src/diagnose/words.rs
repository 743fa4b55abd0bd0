//! The error-line locator's words as one pattern source, in a file of its own so that the build can
//! index their literals with the built-in library's (`build.rs`).

pub(crate) const WORDS: &str =
    r"(?i:error|fatal|fail|exception|panic|traceback|segmentation fault|abort|assert)|^##\[error\]";
