//! Moving data in: copying a GHARTS database between SQLite and PostgreSQL ([`copy`]), and
//! importing the Python service's database ([`python`], [`python_import`]).

pub mod copy;
pub mod python;
pub mod python_import;
