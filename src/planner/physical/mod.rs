//! Rules over the physical plan, and the execution plans they add.

pub mod checked_arithmetic;
pub mod compact_views_after_sorts;
pub mod cooperative_joins;
pub mod hashed_final_aggregation;
