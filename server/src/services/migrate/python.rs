//! Mapping a Python GHARTS database onto this service's model, reporting every conversion and
//! every row that cannot be imported (with the reason):
//! - label patterns: Python's `re.match` (anchored at the start only, case-sensitive) becomes an
//!   explicit full-match pattern (`gpu` → `gpu.*`); a pattern Rust `regex` cannot express is
//!   dropped and reported;
//! - runner statuses: `online` → `idle`, `active` → `busy` (both were "up");
//! - timestamps without a zone are read as UTC;
//! - the legacy stored `admins` team is the virtual admins team here (derived from `is_admin`);
//! - audit rows are appended to the hash chain with their original times, each marked
//!   `event_data.imported`.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::audit::NewAudit;
use crate::db::import_write::{Import, ImportClient, ImportMember, ImportRunner, ImportSecurityEvent, ImportTeam, ImportUser};
use crate::db::python_source::{PyRunner, PythonData};
use crate::services::labels;
use crate::services::teams::{ADMINS_TEAM_ID, ADMINS_TEAM_NAME, name_ok};

/// The `source` recorded on imported rows.
pub const SOURCE: &str = "python-gharts";
/// Severities a security event may have.
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// What the import found: conversions made, rows refused, and counts per table.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    /// Every conversion, one line each.
    pub conversions: Vec<String>,
    /// Rows that cannot be imported, each with the reason.
    pub rejected: Vec<String>,
    /// Per table: rows read, rows to import.
    pub counts: Vec<(&'static str, usize, usize)>,
}

/// Converts one Python `re.match` pattern into an equivalent full-match pattern, or says why
/// Rust `regex` cannot express it.
pub fn convert_pattern(python: &str) -> Result<String, String> {
    // `re.match` anchors at the start already; a leading `^` adds nothing.
    let body = python.strip_prefix('^').unwrap_or(python);
    let converted = if body.contains('|') {
        format!("(?:{body}).*")
    } else if let Some(exact) = body.strip_suffix('$').filter(|b| !b.ends_with('\\')) {
        exact.to_owned()
    } else if body.ends_with(".*") && !body.ends_with("\\.*") {
        body.to_owned()
    } else {
        format!("{body}.*")
    };
    match labels::compile(&converted) {
        Ok(_) => Ok(converted),
        Err(e) => Err(format!("cannot be expressed as a Rust regex: {}", e.lines().last().unwrap_or(&e).trim())),
    }
}

/// Reads a stored time; one without a zone is UTC. Returns the time and whether it was naive.
pub fn parse_time(raw: &str) -> Option<(DateTime<Utc>, bool)> {
    let raw = raw.trim();
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, f) {
            return Some((t.and_utc().trunc_subsecs(6), true));
        }
    }
    let zoned = DateTime::parse_from_rfc3339(raw).or_else(|_| DateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f%#z"));
    zoned.ok().map(|t| (t.to_utc().trunc_subsecs(6), false))
}

/// Our lifecycle status, GitHub status and busy flag for a Python runner status.
fn map_status(status: &str) -> Option<(&'static str, Option<&'static str>, Option<bool>)> {
    Some(match status {
        "pending" => ("pending", None, None),
        "online" => ("idle", Some("online"), Some(false)),
        "active" => ("busy", Some("online"), Some(true)),
        "offline" => ("offline", Some("offline"), Some(false)),
        "deleted" => ("deleted", None, None),
        _ => return None,
    })
}

/// The conversion state: times read, lines reported.
struct Mapper {
    report: Report,
    naive_times: usize,
}

impl Mapper {
    fn time(&mut self, raw: &str) -> Result<DateTime<Utc>, String> {
        let (t, naive) = parse_time(raw).ok_or_else(|| format!("unreadable time {raw:?}"))?;
        self.naive_times += usize::from(naive);
        Ok(t)
    }

    fn opt_time(&mut self, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
        raw.map(|r| self.time(r)).transpose()
    }

    fn reject(&mut self, what: String, reason: impl std::fmt::Display) {
        self.report.rejected.push(format!("{what}: {reason}"));
    }

    fn note(&mut self, line: String) {
        self.report.conversions.push(line);
    }
}

fn uuid(raw: &str) -> Result<Uuid, String> {
    Uuid::parse_str(raw.trim()).map_err(|_| format!("id {raw:?} is not a UUID"))
}

fn string_list(raw: Option<&str>, what: &str) -> Result<Vec<String>, String> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else { return Ok(Vec::new()) };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Null) => Ok(Vec::new()),
        Ok(Value::Array(items)) => items.into_iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(|| format!("{what} holds a non-string"))).collect(),
        _ => Err(format!("{what} is not a JSON array: {raw:?}")),
    }
}

/// Maps everything read from the Python database. `existing_users` are the target's users
/// (id, lower-cased email, subject); `default_group` is used for teams without runners.
pub fn convert(src: &PythonData, existing_users: &[(Uuid, Option<String>, Option<String>)], default_group: i64) -> (Import, Report) {
    let mut m = Mapper { report: Report::default(), naive_times: 0 };
    let mut out = Import::default();

    // Users.
    let mut emails: HashMap<String, Uuid> = existing_users.iter().filter_map(|(id, e, _)| e.clone().map(|e| (e, *id))).collect();
    let mut subs: HashSet<String> = existing_users.iter().filter_map(|(_, _, s)| s.clone()).collect();
    let taken_ids: HashSet<Uuid> = existing_users.iter().map(|(id, _, _)| *id).collect();
    let mut inactive = 0;
    for u in &src.users {
        let what = format!("user {}", u.id);
        let row = (|| {
            let id = uuid(&u.id)?;
            if taken_ids.contains(&id) {
                return Err("a user with this id already exists in the target".to_owned());
            }
            if u.email.is_none() && u.oidc_sub.is_none() {
                return Err("has neither an email nor an OIDC subject".to_owned());
            }
            if let Some(other) = u.email.as_ref().and_then(|e| emails.get(&e.to_lowercase())) {
                return Err(format!("email differs only in case from user {other} (emails are unique regardless of case here)"));
            }
            if u.oidc_sub.as_ref().is_some_and(|s| subs.contains(s)) {
                return Err("its OIDC subject is already bound to another user".to_owned());
            }
            let updated_at = m.time(&u.updated_at)?;
            Ok(ImportUser {
                id,
                email: u.email.clone(),
                oidc_sub: u.oidc_sub.clone(),
                display_name: u.display_name.clone(),
                is_admin: u.is_admin,
                is_active: u.is_active,
                can_use_jit: u.can_use_jit,
                created_at: m.time(&u.created_at)?,
                updated_at,
                last_login_at: m.opt_time(u.last_login_at.as_deref())?,
                created_by: u.created_by.clone(),
                deactivated_at: (!u.is_active).then_some(updated_at),
            })
        })();
        match row {
            Ok(user) => {
                if let Some(e) = &user.email {
                    emails.insert(e.to_lowercase(), user.id);
                }
                if let Some(s) = &user.oidc_sub {
                    subs.insert(s.clone());
                }
                inactive += usize::from(!user.is_active);
                out.users.push(user);
            }
            Err(reason) => m.reject(what, reason),
        }
    }
    if inactive > 0 {
        m.note(format!("{inactive} inactive user(s): deactivated_at set to their last update (Python kept no deactivation time)"));
    }
    let users: HashSet<Uuid> = out.users.iter().map(|u| u.id).collect();

    // Teams (runner groups come from the team's runners).
    let mut groups: HashMap<&str, BTreeMap<i64, usize>> = HashMap::new();
    for r in &src.runners {
        if let Some(t) = &r.team_id {
            *groups.entry(t.trim()).or_default().entry(r.runner_group_id).or_default() += 1;
        }
    }
    let mut legacy_admins: HashSet<String> = HashSet::new();
    let mut rejected_teams: HashMap<String, String> = HashMap::new();
    for t in &src.teams {
        let what = format!("team {} ({})", t.name, t.id);
        if t.name == ADMINS_TEAM_NAME || uuid(&t.id).is_ok_and(|id| id == ADMINS_TEAM_ID) {
            m.note(format!("{what}: the legacy stored admins team is not imported; here the admins team is virtual, derived from users.is_admin"));
            legacy_admins.insert(t.id.trim().to_owned());
            continue;
        }
        let row = (|| {
            let id = uuid(&t.id)?;
            if !name_ok(&t.name) {
                return Err("the name is not kebab-case (2–50 characters of a-z, 0-9 and '-')".to_owned());
            }
            let mut required = string_list(t.required_labels.as_deref(), "required_labels")?;
            let bad: Vec<String> = required.iter().filter(|l| labels::label_error(l).is_some()).cloned().collect();
            if !bad.is_empty() {
                m.note(format!("{what}: required label(s) {bad:?} dropped: not valid labels, so no request could ever satisfy them"));
                required.retain(|l| !bad.contains(l));
            }
            let patterns = string_list(t.optional_label_patterns.as_deref(), "optional_label_patterns")?;
            let mut converted = Vec::new();
            for p in &patterns {
                match convert_pattern(p) {
                    Ok(c) if c == *p => converted.push(c),
                    Ok(c) => {
                        m.note(format!("{what}: pattern {p:?} -> {c:?} (Python re.match prefix match made a full match)"));
                        converted.push(c);
                    }
                    Err(e) => m.note(format!("{what}: pattern {p:?} dropped: {e}")),
                }
            }
            if !patterns.is_empty() {
                m.note(format!("{what}: patterns now match case-insensitively (Python matched case-sensitively)"));
            }
            let seen = groups.get(t.id.trim());
            let mut allowed: Vec<i64> = seen.map(|g| g.keys().copied().collect()).unwrap_or_default();
            let default = seen.and_then(|g| g.iter().max_by_key(|(_, n)| **n).map(|(id, _)| *id)).unwrap_or(default_group);
            if allowed.is_empty() {
                allowed.push(default_group);
            }
            m.note(format!("{what}: runner groups {allowed:?} allowed (those its runners used), default {default}"));
            if !t.is_active {
                m.note(format!("{what}: imported inactive"));
            }
            Ok(ImportTeam {
                id,
                name: t.name.clone(),
                description: t.description.clone(),
                required_labels: required,
                optional_label_patterns: (!converted.is_empty()).then_some(converted),
                max_runners: t.max_runners,
                allowed_runner_group_ids: allowed,
                default_runner_group_id: default,
                is_active: t.is_active,
                created_at: m.time(&t.created_at)?,
                updated_at: m.time(&t.updated_at)?,
                created_by: t.created_by.clone(),
                deactivated_at: m.opt_time(t.deactivated_at.as_deref())?,
                deactivated_by: t.deactivated_by.clone(),
                deactivation_reason: t.deactivation_reason.clone(),
            })
        })();
        match row {
            Ok(team) => out.teams.push(team),
            Err(reason) => {
                rejected_teams.insert(t.id.trim().to_owned(), t.name.clone());
                m.reject(what, reason);
            }
        }
    }
    let teams: HashSet<Uuid> = out.teams.iter().map(|t| t.id).collect();
    let team_ref = |raw: &str, rejected: &HashMap<String, String>| -> Result<Uuid, String> {
        uuid(raw).ok().filter(|id| teams.contains(id)).ok_or_else(|| match rejected.get(raw.trim()) {
            Some(name) => format!("its team {name} is not imported"),
            None => format!("team {raw} does not exist"),
        })
    };

    // Memberships.
    let mut seen = HashSet::new();
    let mut dropped_admins = 0;
    for ms in &src.memberships {
        let what = format!("membership of user {} in team {}", ms.user_id, ms.team_id);
        if legacy_admins.contains(ms.team_id.trim()) {
            dropped_admins += 1;
            continue;
        }
        let row = (|| {
            let team_id = team_ref(&ms.team_id, &rejected_teams)?;
            let user_id =
                uuid(&ms.user_id).ok().filter(|id| users.contains(id)).ok_or_else(|| format!("user {} is not imported or does not exist", ms.user_id))?;
            Ok::<_, String>(ImportMember { team_id, user_id, joined_at: m.time(&ms.joined_at)?, added_by: ms.added_by.clone() })
        })();
        match row {
            Ok(member) if seen.insert((member.team_id, member.user_id)) => out.members.push(member),
            Ok(_) => m.note(format!("{what}: a duplicate, imported once")),
            Err(reason) => m.reject(what, reason),
        }
    }
    if dropped_admins > 0 {
        m.note(format!("{dropped_admins} membership(s) of the legacy admins team not imported (admin rights come from users.is_admin)"));
    }

    // M2M clients: at most one active per team here; the most recently used one stays active.
    let mut clients = Vec::new();
    for c in &src.clients {
        let what = format!("M2M client {}", c.client_id);
        let row = (|| {
            Ok::<_, String>(ImportClient {
                id: uuid(&c.id)?,
                client_id: c.client_id.clone(),
                team_id: team_ref(&c.team_id, &rejected_teams)?,
                description: c.description.clone(),
                is_active: c.is_active,
                created_at: m.time(&c.created_at)?,
                created_by: c.created_by.clone(),
                last_used_at: m.opt_time(c.last_used_at.as_deref())?,
            })
        })();
        match row {
            Ok(client) => clients.push(client),
            Err(reason) => m.reject(what, reason),
        }
    }
    let mut active_kept: HashMap<Uuid, usize> = HashMap::new();
    for (i, c) in clients.iter().enumerate().filter(|(_, c)| c.is_active) {
        let keep = active_kept.entry(c.team_id).or_insert(i);
        let best = &clients[*keep];
        if (c.last_used_at, c.created_at) > (best.last_used_at, best.created_at) {
            *keep = i;
        }
    }
    for (i, c) in clients.iter_mut().enumerate() {
        if c.is_active && active_kept.get(&c.team_id) != Some(&i) {
            c.is_active = false;
            m.note(format!("M2M client {}: imported inactive (another client of its team stays active; one active client per team here)", c.client_id));
        }
    }
    out.clients = clients;
    let client_by_id: HashMap<&str, Uuid> = out.clients.iter().map(|c| (c.client_id.as_str(), c.id)).collect();
    let active_client: HashMap<Uuid, Uuid> = out.clients.iter().filter(|c| c.is_active).map(|c| (c.team_id, c.id)).collect();
    let user_by_sub: HashMap<&str, Uuid> = out.users.iter().filter_map(|u| u.oidc_sub.as_deref().map(|s| (s, u.id))).collect();
    let user_by_email: HashMap<&str, Uuid> = out.users.iter().filter_map(|u| u.email.as_deref().map(|e| (e, u.id))).collect();

    // Runners.
    let mut statuses: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let mut live_names: HashMap<String, String> = HashMap::new();
    let mut without_team = 0;
    for r in &src.runners {
        let what = format!("runner {} ({})", r.runner_name, r.id);
        let row = (|| {
            let id = uuid(&r.id)?;
            let (status, github_status, busy) = map_status(&r.status).ok_or_else(|| format!("unknown status {:?}", r.status))?;
            let team_id = match r.team_id.as_deref().filter(|t| !t.trim().is_empty()) {
                None => None,
                Some(t) if legacy_admins.contains(t.trim()) => {
                    without_team += 1;
                    None
                }
                Some(t) => Some(team_ref(t, &rejected_teams)?),
            };
            if status != "deleted"
                && let Some(other) = live_names.get(&r.runner_name.to_lowercase())
            {
                return Err(format!("another live runner ({other}) has the same name; live names are unique here"));
            }
            let labels = string_list(r.labels.as_deref(), "labels")?;
            let (actor_type, owner_user_id, owner_client_id) = owner(r, team_id, &client_by_id, &active_client, &user_by_sub, &user_by_email);
            let updated_at = m.time(&r.updated_at)?;
            let deleted_at = m.opt_time(r.deleted_at.as_deref())?;
            Ok::<_, String>(ImportRunner {
                id,
                runner_name: r.runner_name.clone(),
                status: status.to_owned(),
                github_runner_id: r.github_runner_id,
                runner_group_id: r.runner_group_id,
                labels,
                ephemeral: r.ephemeral,
                team_id,
                provisioned_by: r.provisioned_by.clone(),
                actor_type: actor_type.to_owned(),
                owner_user_id,
                owner_client_id,
                github_status: github_status.map(str::to_owned),
                busy,
                created_at: m.time(&r.created_at)?,
                updated_at,
                registered_at: m.opt_time(r.registered_at.as_deref())?,
                deleted_at: if status == "deleted" { deleted_at.or(Some(updated_at)) } else { deleted_at },
                deletion_reason: (status == "deleted").then(|| format!("deleted in {SOURCE}")),
            })
        })();
        match row {
            Ok(runner) => {
                if runner.status != "deleted" {
                    live_names.insert(runner.runner_name.to_lowercase(), runner.id.to_string());
                }
                *statuses.entry((r.status.clone(), map_status(&r.status).map_or("", |s| s.0))).or_default() += 1;
                out.runners.push(runner);
            }
            Err(reason) => m.reject(what, reason),
        }
    }
    for ((from, to), n) in &statuses {
        if from != to {
            m.note(format!("runner status {from} -> {to}: {n} runner(s)"));
        }
    }
    if without_team > 0 {
        m.note(format!("{without_team} runner(s) of the legacy admins team imported without a team"));
    }

    // The audit log, oldest first, appended to the chain with the original times.
    for a in &src.audit {
        let what = format!("audit row {}", a.id);
        let row = (|| {
            let ts = m.time(&a.timestamp)?;
            let mut marker = json!({ "source": SOURCE, "original_id": a.id });
            let team_id = match a.team_id.as_deref().filter(|t| !t.trim().is_empty()) {
                None => None,
                Some(t) => match uuid(t) {
                    Ok(id) => Some(id),
                    Err(_) => {
                        marker["original_team_id"] = json!(t);
                        None
                    }
                },
            };
            let event_data = imported_data(a.event_data.as_deref(), marker);
            let actor_type = match a.user_identity.as_str() {
                i if i.starts_with("m2m:") => "m2m",
                "system" | "cli" => "system",
                _ => "user",
            };
            Ok::<_, String>((
                ts,
                NewAudit {
                    event_type: a.event_type.clone(),
                    actor_type: actor_type.to_owned(),
                    user_identity: a.user_identity.clone(),
                    oidc_sub: a.oidc_sub.clone(),
                    request_ip: a.request_ip.clone(),
                    user_agent: a.user_agent.clone(),
                    request_id: None,
                    runner_id: a.runner_id.clone(),
                    runner_name: a.runner_name.clone(),
                    team_id,
                    event_data: Some(event_data),
                    success: a.success,
                    error_message: a.error_message.clone(),
                },
            ))
        })();
        match row {
            Ok(entry) => out.audit.push(entry),
            Err(reason) => m.reject(what, reason),
        }
    }
    if !out.audit.is_empty() {
        m.note(format!(
            "{} audit row(s) appended to the hash chain with their original times, each marked event_data.imported (source, original_id); actor_type derived from user_identity",
            out.audit.len()
        ));
    }

    // Security events.
    for e in &src.security_events {
        let what = format!("security event {}", e.id);
        let row = (|| {
            if !SEVERITIES.contains(&e.severity.as_str()) {
                return Err(format!("unknown severity {:?}", e.severity));
            }
            let violation_data = match e.violation_data.as_deref().map(serde_json::from_str::<Value>) {
                None => json!({}),
                Some(Ok(v)) => v,
                Some(Err(_)) => json!({ "raw": e.violation_data }),
            };
            Ok(ImportSecurityEvent {
                timestamp: m.time(&e.timestamp)?,
                event_type: e.event_type.clone(),
                severity: e.severity.clone(),
                runner_id: e.runner_id.clone(),
                runner_name: e.runner_name.clone(),
                github_runner_id: e.github_runner_id,
                team_id: e.team_id.as_deref().and_then(|t| uuid(t).ok()),
                user_identity: e.user_identity.clone(),
                oidc_sub: e.oidc_sub.clone(),
                violation_data,
                action_taken: e.action_taken.clone(),
            })
        })();
        match row {
            Ok(event) => out.security_events.push(event),
            Err(reason) => m.reject(what, reason),
        }
    }

    if m.naive_times > 0 {
        let n = m.naive_times;
        m.note(format!("{n} timestamp(s) without a time zone read as UTC"));
    }
    m.report.counts = vec![
        ("users", src.users.len(), out.users.len()),
        ("teams", src.teams.len(), out.teams.len()),
        ("team_members", src.memberships.len(), out.members.len()),
        ("oauth_clients", src.clients.len(), out.clients.len()),
        ("runners", src.runners.len(), out.runners.len()),
        ("audit_log", src.audit.len(), out.audit.len()),
        ("security_events", src.security_events.len(), out.security_events.len()),
    ];
    (out, m.report)
}

/// The imported row's `event_data`: the original object with an `imported` marker, or the
/// original value (or unparsable text) under `original`.
fn imported_data(raw: Option<&str>, marker: Value) -> Value {
    match raw.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(mut o))) => {
            o.insert("imported".to_owned(), marker);
            Value::Object(o)
        }
        None | Some(Ok(Value::Null)) => json!({ "imported": marker }),
        Some(Ok(other)) => json!({ "original": other, "imported": marker }),
        Some(Err(_)) => json!({ "original": raw, "imported": marker }),
    }
}

/// Who owns a runner: an M2M client (`m2m:<team>`; the client whose id is the token subject,
/// else the team's active client) or a user (by subject, else by email).
fn owner(
    r: &PyRunner,
    team_id: Option<Uuid>,
    client_by_id: &HashMap<&str, Uuid>,
    active_client: &HashMap<Uuid, Uuid>,
    user_by_sub: &HashMap<&str, Uuid>,
    user_by_email: &HashMap<&str, Uuid>,
) -> (&'static str, Option<Uuid>, Option<Uuid>) {
    if r.provisioned_by.starts_with("m2m:") {
        let client = r.oidc_sub.as_deref().and_then(|s| client_by_id.get(s).copied()).or_else(|| team_id.and_then(|t| active_client.get(&t).copied()));
        return ("m2m", None, client);
    }
    let user = r.oidc_sub.as_deref().and_then(|s| user_by_sub.get(s).copied()).or_else(|| user_by_email.get(r.provisioned_by.as_str()).copied());
    ("user", user, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_patterns_become_explicit_full_matches() {
        assert_eq!(convert_pattern("gpu").as_deref(), Ok("gpu.*"));
        assert_eq!(convert_pattern("team-.*").as_deref(), Ok("team-.*"));
        assert_eq!(convert_pattern("^exact$").as_deref(), Ok("exact"));
        assert_eq!(convert_pattern("a|b").as_deref(), Ok("(?:a|b).*"));
        assert_eq!(convert_pattern("cost\\$").as_deref(), Ok("cost\\$.*"));
        assert!(convert_pattern("(?!evil)x").is_err(), "look-around is not in Rust regex");
        assert!(convert_pattern("(a)\\1").is_err(), "nor are back-references");
        let gpu = labels::compile(&convert_pattern("gpu").expect("ok")).expect("compiles");
        assert!(gpu.is_match("gpu-a100") && gpu.is_match("gpu") && !gpu.is_match("my-gpu"));
    }

    #[test]
    fn times_without_a_zone_are_utc() {
        let (t, naive) = parse_time("2025-06-01 12:30:45.123456").expect("naive");
        assert!(naive);
        assert_eq!(app::contract::timestamp::format(&t), "2025-06-01T12:30:45.123456Z");
        let (t, naive) = parse_time("2025-06-01 14:30:45+02").expect("zoned");
        assert!(!naive);
        assert_eq!(app::contract::timestamp::format(&t), "2025-06-01T12:30:45.000000Z");
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn statuses_map_to_the_lifecycle() {
        assert_eq!(map_status("online"), Some(("idle", Some("online"), Some(false))));
        assert_eq!(map_status("active"), Some(("busy", Some("online"), Some(true))));
        assert_eq!(map_status("weird"), None);
    }
}
