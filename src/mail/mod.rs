//! Mail posko writes: the words (templates, their typed contexts, figures
//! in words) and the bytes (MIME, clean headers, encoded bodies). Nothing
//! here reads or writes the database.

pub mod body;
/// Header text cleaning is pure and lives in posko-core.
pub use posko_core::clean;
pub mod compose;
pub mod context;
pub mod excerpt;
pub mod templates;
pub mod words;
