//! (tests added below)
#[allow(unused_imports)]
use super::*;
