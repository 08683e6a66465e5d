//! Synthetic data generator (work in progress).
