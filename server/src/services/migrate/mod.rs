//! Moving data in: copying a GHARTS database between SQLite and PostgreSQL ([`copy`]).

pub mod copy;
