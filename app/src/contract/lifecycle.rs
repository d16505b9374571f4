//! The runner lifecycle (API.md §3.1): GHARTS's own view of a runner, kept apart from
//! GitHub's report (`github_status`, `busy`).

use super::string_enum::string_enum;

string_enum! {
    /// A runner's `status`. Transitions: `pending` → `idle`/`busy` → `offline` → `deleted`,
    /// `idle` ⇄ `busy`, and any state → `deleted` (terminal).
    pub enum RunnerLifecycle("runner status") {
        /// JIT config issued; never seen online (GitHub may already call it `offline`).
        Pending = "pending",
        /// Online at GitHub, not running a job.
        Idle = "idle",
        /// Online at GitHub, running a job.
        Busy = "busy",
        /// Seen online before, offline now (this includes "finished its one job").
        Offline = "offline",
        /// Removed; never changes again.
        Deleted = "deleted",
    }
}

impl RunnerLifecycle {
    /// Whether the runner is gone for good.
    pub const fn is_deleted(self) -> bool {
        matches!(self, Self::Deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::RunnerLifecycle;

    #[test]
    fn every_status_round_trips_through_its_wire_text() {
        for s in RunnerLifecycle::ALL {
            assert_eq!(serde_json::to_value(s).expect("json"), serde_json::json!(s.as_str()));
            assert_eq!(s.as_str().parse::<RunnerLifecycle>(), Ok(*s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(RunnerLifecycle::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["pending", "idle", "busy", "offline", "deleted"]);
        assert!("active".parse::<RunnerLifecycle>().is_err(), "aliases are the filter's business, not the type's");
    }
}
