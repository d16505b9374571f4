//! Dynamic `where` clauses for the list queries (runners, audit log, security events, users,
//! teams, M2M clients): SQL text with numbered placeholders ([`Filters`]) and their values, bound
//! in the same order on either pool ([`bind_args!`]). Only the filters given are in the text, so
//! the planners can match each to an index. The SQL text only ever contains fixed fragments and
//! placeholders, never a caller's value.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A value bound to a placeholder of dynamic SQL.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// Text.
    Text(String),
    /// A UUID.
    Uuid(Uuid),
    /// A boolean.
    Bool(bool),
    /// A timestamp.
    Time(DateTime<Utc>),
    /// An integer.
    Int(i64),
}

/// `where` clauses (joined with `and`) and the values of their placeholders, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filters {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Filters {
    /// Registers a value; returns its placeholder (`$n`).
    pub(crate) fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    /// Adds a clause (built from fixed text and placeholders only).
    pub(crate) fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// `column in ($a, $b, …)` for a non-empty list; nothing for an empty one.
    pub(crate) fn any_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let marks: Vec<String> = values.iter().map(|v| self.arg(Arg::Text(v.clone()))).collect();
        self.push(format!("{column} in ({})", marks.join(", ")));
    }

    /// `column = $n` when a value is given.
    pub(crate) fn equals(&mut self, column: &str, value: Option<Arg>) {
        if let Some(v) = value {
            let mark = self.arg(v);
            self.push(format!("{column} = {mark}"));
        }
    }

    /// Inclusive bounds on a timestamp column.
    pub(crate) fn between(&mut self, column: &str, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) {
        if let Some(s) = since {
            let mark = self.arg(Arg::Time(s));
            self.push(format!("{column} >= {mark}"));
        }
        if let Some(u) = until {
            let mark = self.arg(Arg::Time(u));
            self.push(format!("{column} <= {mark}"));
        }
    }

    /// ` where …` (or nothing).
    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" where {}", self.clauses.join(" and ")) }
    }

    /// The values, in placeholder order.
    pub(crate) fn args(&self) -> Vec<Arg> {
        self.args.clone()
    }
}

/// Binds `$args` (a `Vec<Arg>`) to a sqlx query, in order; usable inside each `on_pool!` arm.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::db::filter::Arg::Text(v) => q.bind(v),
                $crate::db::filter::Arg::Uuid(v) => q.bind(v),
                $crate::db::filter::Arg::Bool(v) => q.bind(v),
                $crate::db::filter::Arg::Time(v) => q.bind(v),
                $crate::db::filter::Arg::Int(v) => q.bind(v),
            };
        }
        q
    }};
}
pub(crate) use bind_args;
