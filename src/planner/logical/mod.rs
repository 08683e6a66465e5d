//! Rules over the logical plan: the analyzer rules first, then the optimizer rules.

pub mod checked_constant_arithmetic;
pub mod date_partitions_from_started_at;
pub mod distinct_ordered_aggregates;
pub mod duration_fields;
pub mod keyword_search;
pub mod postgres_numeric;
pub mod postgres_regex_patterns;
pub mod postgres_type_marks;
pub mod rounding_integer_casts;
pub mod session_zone_casts;
pub mod text_to_array_casts;
pub mod utc_interval_arithmetic;
