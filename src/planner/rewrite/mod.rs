//! Function rewrites: DataFusion's functions swapped for callqa's wrappers.

pub mod retained_text_as_utf8;
pub mod zone_free_when_utc;
