//! Script detection (Simplified / Traditional / mixed) and OpenCC-compatible conversion (stub).
