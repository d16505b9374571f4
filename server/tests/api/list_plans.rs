//! Every list at 10,000+ rows reads an index (issue 14): the page in the list's order, stopping
//! after it, and the total without reading the whole table, in the plans the databases choose
//! for the exact statements the lists run (`Db::*_list_statements`, `Db::query_plan`). SQLite
//! is checked as it runs in production (no statistics) and after `analyze`; PostgreSQL after
//! `analyze`, as autovacuum leaves it. The figures are in `docs/performance.md`.

use chrono::{TimeZone, Utc};
use server::db::Db;
use server::db::audit_query::{AuditFilter, AuditScope};
use server::db::plan::ListStatements;
use server::db::runners::{RunnerFilter, Visibility};
use server::db::security_events::SecurityEventFilter;
use server::db::teams::TeamScope;
use server::db::user_admin::UserFilter;

use crate::both_databases;
use crate::db_copy::open;
use crate::helpers::bulk::{self, Sql, TEAM, USER, id};
use crate::helpers::{Backend, TestDb};

both_databases!(
    audit_log_lists_read_indexes,
    security_event_lists_read_indexes,
    user_lists_read_indexes,
    team_and_member_lists_read_indexes,
    client_lists_read_indexes,
    runner_lists_read_indexes,
);

/// What a page's plan must show ([`page_ok`]).
#[derive(Debug, Clone, Copy)]
enum Page {
    /// Rows come in the list's order: nothing sorts them.
    InOrder,
    /// Rows come from an index and are sorted (a team's members, a user's teams: a few rows).
    Sorted,
    /// Every row is read: a substring search, which no index serves.
    Table,
}

/// What a total's plan must show ([`count_ok`]).
#[derive(Debug, Clone, Copy)]
enum Count {
    /// It reads an index range, not the table.
    Indexed,
    /// It reads the table: nothing filters, or most rows pass (active users), or the filter
    /// cannot use an index (a substring search).
    Table,
}

struct Case {
    name: &'static str,
    list: ListStatements,
    page: Page,
    count: Count,
}

fn case(name: &'static str, list: ListStatements) -> Case {
    Case { name, list, page: Page::InOrder, count: Count::Indexed }
}

impl Case {
    fn page(self, page: Page) -> Self {
        Case { page, ..self }
    }
    fn count(self, count: Count) -> Self {
        Case { count, ..self }
    }
}

/// A fresh migrated database with `rows` in it.
async fn seeded(backend: Backend, rows: impl FnOnce(Sql) -> Vec<String>) -> (TestDb, Db) {
    let test_db = TestDb::new(backend).await;
    let db = open(&test_db.url).await;
    db.migrate().await.expect("migrate");
    bulk::insert(&db, &rows(Sql(backend))).await;
    if backend == Backend::Postgres {
        bulk::analyze(&db).await;
    }
    (test_db, db)
}

/// Checks every case's plans on `db` (its lists read `tables`); SQLite's again after `analyze`.
async fn check(db: &Db, tables: &[&str], cases: &[Case]) {
    let mut failures = Vec::new();
    if db.is_sqlite() {
        failures.extend(plans_off(db, tables, cases, "without statistics").await);
        bulk::analyze(db).await;
    }
    failures.extend(plans_off(db, tables, cases, "after analyze").await);
    assert!(failures.is_empty(), "{} plan(s) off on {}:\n\n{}", failures.len(), db.kind(), failures.join("\n\n"));
}

/// The cases whose page or total does not read as expected, with their statements and plans.
async fn plans_off(db: &Db, tables: &[&str], cases: &[Case], when: &str) -> Vec<String> {
    let mut off = Vec::new();
    for c in cases {
        let page = db.query_plan(&c.list.page).await.expect("page plan");
        if !page_ok(db.is_sqlite(), c.page, &page, tables) {
            off.push(format!("{} ({when}): the page is not read {:?}:\n{}\n{}", c.name, c.page, c.list.page.sql(), page.join("\n")));
        }
        let count = db.query_plan(&c.list.count).await.expect("count plan");
        if !count_ok(db.is_sqlite(), c.count, &count, tables) {
            off.push(format!("{} ({when}): the total reads the table:\n{}\n{}", c.name, c.list.count.sql(), count.join("\n")));
        }
    }
    off
}

/// SQLite: an in-order page uses no temporary b-tree for `order by`, a sorted one scans no table
/// whole. PostgreSQL: no page scans a list's table whole (it may sort the rows an index found).
fn page_ok(sqlite: bool, want: Page, plan: &[String], tables: &[&str]) -> bool {
    match (want, sqlite) {
        (Page::Table, _) => true,
        (Page::InOrder, true) => !plan.iter().any(|l| l.contains("TEMP B-TREE FOR") && l.contains("ORDER BY")),
        (Page::Sorted, true) => !plan.iter().any(|l| sqlite_full_scan(l)),
        (_, false) => !pg_seq_scan(plan, tables),
    }
}

/// An indexed total scans no table whole.
fn count_ok(sqlite: bool, want: Count, plan: &[String], tables: &[&str]) -> bool {
    match (want, sqlite) {
        (Count::Table, _) => true,
        (Count::Indexed, true) => !plan.iter().any(|l| sqlite_full_scan(l)),
        (Count::Indexed, false) => !pg_seq_scan(plan, tables),
    }
}

/// An SQLite plan line reading a whole table through no index (`SCAN a`; not `SCAN a USING
/// INDEX …`, nor a subquery's rows).
fn sqlite_full_scan(line: &str) -> bool {
    line.strip_prefix("SCAN ").is_some_and(|rest| !rest.contains(' ') && !rest.starts_with('('))
}

/// A PostgreSQL plan reading one of `tables` whole (`Seq Scan on audit_log a`).
fn pg_seq_scan(plan: &[String], tables: &[&str]) -> bool {
    plan.iter().any(|l| tables.iter().any(|t| l.split("Seq Scan on ").nth(1).is_some_and(|rest| rest.split(' ').next() == Some(*t))))
}

async fn audit_log_lists_read_indexes(backend: Backend) {
    // Arrange: 50,000 audit rows over 50 teams.
    let (_t, db) = seeded(backend, |s| [s.organisation(100, 100), vec![s.audit(50_000)]].concat()).await;
    let all = AuditScope::All;
    let f = AuditFilter::default;
    let at = |day: u32| Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).single();
    let list = |scope: &AuditScope, filter: AuditFilter| db.audit_list_statements(scope, &filter, 50, 0);
    let user = AuditScope::User { user_id: id(USER, 11), oidc_sub: Some("sub-11".into()), username: None };
    let local = AuditScope::User { user_id: id(USER, 50), oidc_sub: None, username: Some("local50".into()) };
    let m2m = AuditScope::M2m { team_id: id(TEAM, 7), client_id: "sub-7".into() };
    // Act and assert.
    let cases = [
        case("no filter", list(&all, f())).count(Count::Table),
        case("event type", list(&all, AuditFilter { event_types: vec!["event_3".into()], ..f() })),
        case("event type, page 40", db.audit_list_statements(&all, &AuditFilter { event_types: vec!["event_3".into()], ..f() }, 50, 1950)),
        case("team", list(&all, AuditFilter { teams: vec![id(TEAM, 7)], ..f() })),
        case("actor", list(&all, AuditFilter { user_identity: Some("user17@example.com".into()), ..f() })),
        case("failed", list(&all, AuditFilter { success: Some(false), ..f() })),
        case("succeeded", list(&all, AuditFilter { success: Some(true), ..f() })).count(Count::Table),
        case("since, until", list(&all, AuditFilter { since: at(5), until: at(7), ..f() })),
        case("runner", list(&all, AuditFilter { runner_id: Some("r-17".into()), ..f() })),
        case("a user's rows", list(&user, f())),
        case("a local account's rows", list(&local, f())),
        case("an M2M client's rows", list(&m2m, f())),
        case("an M2M client's rows of one type", list(&m2m, AuditFilter { event_types: vec!["event_3".into()], ..f() })),
    ];
    check(&db, &["audit_log"], &cases).await;
}

async fn security_event_lists_read_indexes(backend: Backend) {
    // Arrange: 10,000 events over 50 teams.
    let (_t, db) = seeded(backend, |s| vec![s.teams(100), s.security_events(10_000)]).await;
    let f = SecurityEventFilter::default;
    let at = |day: u32| Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).single();
    let list = |filter: SecurityEventFilter| db.security_event_list_statements(&filter, 50, 0);
    // Act and assert.
    let cases = [
        case("no filter", list(f())).count(Count::Table),
        case("event type", list(SecurityEventFilter { event_types: vec!["quota_exceeded".into()], ..f() })),
        case("severity", list(SecurityEventFilter { severities: vec!["critical".parse().expect("severity")], ..f() })),
        case("actor", list(SecurityEventFilter { user_identity: Some("user17@example.com".into()), ..f() })),
        case("team", list(SecurityEventFilter { teams: vec![id(TEAM, 7)], ..f() })),
        case("since, until", list(SecurityEventFilter { since: at(5), until: at(7), ..f() })),
    ];
    check(&db, &["security_events"], &cases).await;
}

async fn user_lists_read_indexes(backend: Backend) {
    // Arrange: 10,000 users.
    let (_t, db) = seeded(backend, |s| vec![s.users(10_000)]).await;
    // Act and assert: a search for a substring reads every user.
    let cases = [
        case("everyone", db.user_list_statements(&UserFilter { active: true, inactive: true, ..UserFilter::default() }, 50, 0)).count(Count::Table),
        case("active", db.user_list_statements(&UserFilter { active: true, ..UserFilter::default() }, 50, 0)).count(Count::Table),
        case("admins", db.user_list_statements(&UserFilter { active: true, inactive: true, is_admin: Some(true), ..UserFilter::default() }, 50, 0)),
        case("search", db.user_list_statements(&UserFilter { active: true, inactive: true, search: Some("user17"), ..UserFilter::default() }, 50, 0))
            .page(Page::Table)
            .count(Count::Table),
        case("candidates for a team", db.user_list_statements(&UserFilter { active: true, not_member_of: Some(id(TEAM, 7)), ..UserFilter::default() }, 50, 0))
            .count(Count::Table),
    ];
    check(&db, &["users"], &cases).await;
}

async fn team_and_member_lists_read_indexes(backend: Backend) {
    // Arrange: 10,000 teams, 10,000 users in two teams each, 12,000 runners.
    let (_t, db) = seeded(backend, |s| [s.organisation(10_000, 10_000), vec![s.runners(12_000, 10_000, 10_000)]].concat()).await;
    // Act and assert: a user's teams and a team's members are a few rows, sorted.
    let cases = [
        case("active teams", db.team_list_statements(TeamScope::All, false, 50, 0)).count(Count::Table),
        case("every team, page 100", db.team_list_statements(TeamScope::All, true, 50, 4950)).count(Count::Table),
        case("a user's teams", db.team_list_statements(TeamScope::MemberOf(id(USER, 11)), true, 50, 0)).page(Page::Sorted),
        case("an M2M client's team", db.team_list_statements(TeamScope::Only(id(TEAM, 7)), true, 50, 0)),
        case("a team's members", db.member_list_statements(id(TEAM, 7), 50, 0)).page(Page::Sorted),
    ];
    check(&db, &["teams", "team_members", "users", "runners"], &cases).await;
}

async fn client_lists_read_indexes(backend: Backend) {
    // Arrange: 10,000 teams, 20,000 registrations (one active per team).
    let (_t, db) = seeded(backend, |s| vec![s.teams(10_000), s.clients(20_000, 10_000)]).await;
    // Act and assert.
    let cases = [
        case("every registration", db.oauth_client_list_statements(None, false, 50, 0)).count(Count::Table),
        case("active", db.oauth_client_list_statements(None, true, 50, 0)).count(Count::Table),
        case("a team's", db.oauth_client_list_statements(Some(id(TEAM, 7)), false, 50, 0)),
    ];
    check(&db, &["oauth_clients"], &cases).await;
}

async fn runner_lists_read_indexes(backend: Backend) {
    // Arrange: 12,000 runners, 10,000 of them in team 1; user 1,000 is in team 1 and another.
    let (_t, db) = seeded(backend, |s| [s.organisation(1_000, 10_000), vec![s.runners(12_000, 1_000, 10_000)]].concat()).await;
    let f = RunnerFilter::default;
    // Act and assert: the admin's and a big team's totals count most of the table.
    let cases = [
        case("an admin's", db.runner_list_statements(&Visibility::All, &f(), 50, 0)).count(Count::Table),
        case("a team's 10,000", db.runner_list_statements(&Visibility::Team(id(TEAM, 1)), &f(), 50, 0)).count(Count::Table),
        case("a small team's", db.runner_list_statements(&Visibility::Team(id(TEAM, 7)), &f(), 50, 0)),
        case("a user's in two teams", db.runner_list_statements(&Visibility::User { id: id(USER, 1_000) }, &f(), 50, 0)),
    ];
    check(&db, &["runners"], &cases).await;
}
