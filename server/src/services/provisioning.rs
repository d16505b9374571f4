//! Provisioning (API.md §7.1, §7.2): team resolution, runner-group allowlist, label policy,
//! name, quota + reservation in one step, the GitHub JIT call with its compensations, and
//! `Idempotency-Key` replays. The dry run runs the same checks without side effects.

use app::contract::runners::{DryRunResponse, JitProvisionRequest, JitProvisionResponse, QuotaInfo};
use app::contract::{ApiError, ErrorCode, FieldError, RunnerLifecycle, SecurityEventType, Severity};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::labels::{LabelCheck, evaluate, label_errors, token_error};
use super::teams::{ADMINS_TEAM_ID, ADMINS_TEAM_NAME};
use crate::auth::Caller;
use crate::auth::Principal;
use crate::auth::principal::Identity;
use crate::db::DbError;
use crate::db::audit::NewAudit;
use crate::db::now;
use crate::db::runners::{NewRunner, QuotaLimits, Reservation};
use crate::db::security_events::NewSecurityEvent;
use crate::db::teams::TeamRow;
use crate::error::{AppError, AppResult};
use crate::github::{GitHubError, JitRequest, api_error, configured};
use crate::state::AppState;

/// Idempotency records live this long.
const IDEMPOTENCY_WINDOW: chrono::Duration = chrono::Duration::hours(1);
/// generate-jitconfig calls at most, when GitHub confirms a failed one had no effect.
const JIT_ATTEMPTS: u32 = 3;
/// Random candidates checked against our database for each name a prefix request tries.
const PREFIX_ATTEMPTS: usize = 5;
/// Names a prefix request tries at GitHub: a name GitHub already has (a runner we do not
/// manage) is not the caller's conflict, so a fresh candidate is drawn. With 48 random bits,
/// even one retry is rare.
const PREFIX_GITHUB_ATTEMPTS: u32 = 4;

/// A validated request with defaults applied.
#[derive(Debug, Clone)]
struct Valid {
    name: NameSpec,
    labels: Vec<String>,
    runner_group_id: Option<i64>,
    team_id: Option<Uuid>,
    team_name: Option<String>,
    work_folder: String,
}

#[derive(Debug, Clone)]
enum NameSpec {
    Exact(String),
    Prefix(String),
}

/// Step 2: body validation (422), with defaults applied.
fn validate(req: &JitProvisionRequest) -> Result<Valid, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut err = |field: &str, message: &str| errors.push(FieldError { field: field.into(), message: message.into() });
    let name = match (&req.runner_name, &req.runner_name_prefix) {
        (Some(_), Some(_)) => {
            err("body", "Only one of runner_name or runner_name_prefix may be provided");
            None
        }
        (None, None) => {
            err("body", "Either runner_name or runner_name_prefix must be provided");
            None
        }
        (Some(n), None) => {
            if let Some(message) = token_error(n, 64) {
                err("runner_name", &message);
            }
            Some(NameSpec::Exact(n.clone()))
        }
        (None, Some(p)) => {
            if let Some(message) = token_error(p, 50) {
                err("runner_name_prefix", &message);
            }
            Some(NameSpec::Prefix(p.clone()))
        }
    };
    if req.runner_group_id.is_some_and(|g| g < 0) {
        err("runner_group_id", "must be 0 or more");
    }
    let work_folder = req.work_folder.clone().unwrap_or_else(|| "_work".to_owned());
    let wf_ok = (1..=255).contains(&work_folder.chars().count())
        && !work_folder.starts_with('/')
        && !work_folder.split(['/', '\\']).any(|seg| seg == "..")
        && !work_folder.chars().any(char::is_control);
    if !wf_ok {
        err("work_folder", "must be a relative path of 1–255 characters without '..' segments or control characters");
    }
    let team_is_admins = req.team_id == Some(ADMINS_TEAM_ID) || req.team_name.as_deref() == Some(ADMINS_TEAM_NAME);
    if team_is_admins {
        err("team_id", "The admins system team cannot own runners");
    }
    errors.extend(label_errors("labels", &req.labels));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Valid {
        name: name.unwrap_or(NameSpec::Exact(String::new())),
        labels: req.labels.clone(),
        runner_group_id: req.runner_group_id.filter(|g| *g > 0),
        team_id: req.team_id,
        team_name: req.team_name.clone(),
        work_folder,
    })
}

/// The request as the idempotency check compares it ("same body after defaults").
fn request_hash(v: &Valid) -> String {
    let name = match &v.name {
        NameSpec::Exact(n) => json!({ "runner_name": n }),
        NameSpec::Prefix(p) => json!({ "runner_name_prefix": p }),
    };
    let doc = json!({ "name": name, "labels": v.labels, "runner_group_id": v.runner_group_id, "team_id": v.team_id,
                      "team_name": v.team_name, "work_folder": v.work_folder });
    hex::encode(Sha256::digest(serde_json::to_vec(&doc).unwrap_or_default()))
}

/// Label of the key that seals idempotency records.
const IDEMPOTENCY_LABEL: &str = "gharts idempotency v1";

/// What the database keeps of an `Idempotency-Key`: its SHA-256.
fn stored_idempotency_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn principal_key(p: &Principal) -> String {
    match &p.identity {
        Identity::M2m(c) => format!("m2m:{}", c.id),
        Identity::User { user, .. } => format!("user:{}", user.id),
    }
}

fn owner_ids(p: &Principal) -> (Option<Uuid>, Option<Uuid>) {
    match &p.identity {
        Identity::M2m(c) => (None, Some(c.id)),
        Identity::User { user, .. } => (Some(user.id), None),
    }
}

/// Step 5 (API.md §3.5): the team the runner is for.
async fn resolve_team(state: &AppState, p: &Principal, v: &Valid) -> AppResult<TeamRow> {
    let by_id = match v.team_id {
        Some(id) => state.db.find_team(id).await?,
        None => None,
    };
    let by_name = match &v.team_name {
        Some(n) => state.db.find_team_by_name(n).await?,
        None => None,
    };
    if v.team_id.is_some() && v.team_name.is_some() && by_id.as_ref().map(|t| t.id) != by_name.as_ref().map(|t| t.id) {
        return Err(ApiError::invalid_field("team_name", "team_id and team_name name different teams").into());
    }
    let named = v.team_id.is_some() || v.team_name.is_some();
    let found = by_id.or(by_name);
    let label = v.team_id.map(|i| i.to_string()).or_else(|| v.team_name.clone()).unwrap_or_default();
    let not_member = || AppError::api(ErrorCode::NotTeamMember, format!("User is not a member of team {label}"));
    let inactive = |t: &TeamRow| AppError::api(ErrorCode::TeamInactive, format!("Team '{}' is inactive", t.name));
    match &p.identity {
        Identity::M2m(c) => {
            if named && found.as_ref().map(|t| t.id) != Some(c.team_id) {
                return Err(not_member());
            }
            let team = state.db.find_team(c.team_id).await?.ok_or_else(not_member)?;
            if !team.is_active {
                return Err(inactive(&team));
            }
            Ok(team)
        }
        Identity::User { user, .. } if named => {
            let team = match found {
                Some(t) => t,
                None if p.is_admin() => {
                    return Err(AppError::api(ErrorCode::InvalidReference, format!("Team not found: {label}")));
                }
                None => return Err(not_member()),
            };
            if !p.is_admin() && !state.db.is_member(team.id, user.id).await? {
                return Err(not_member());
            }
            if !team.is_active {
                return Err(inactive(&team));
            }
            Ok(team)
        }
        Identity::User { user, .. } => state.db.default_team_of_user(user.id).await?.ok_or_else(|| {
            AppError::api(ErrorCode::NoActiveTeam, "User is not a member of any active team. Please contact an administrator to be added to a team.")
        }),
    }
}

/// What the policy checks decided (steps 5–8).
struct Plan {
    team: TeamRow,
    runner_group_id: i64,
    labels: Vec<String>,
    /// The exact name, or the candidates for a prefix.
    names: Vec<String>,
}

/// A refusal by policy, with the security event it records (not for dry runs).
struct Refusal {
    error: AppError,
    event: Option<NewSecurityEvent>,
    /// The resolved team (id, name), if resolution got that far.
    team: Option<(Uuid, String)>,
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal { error, event: None, team: None }
    }
}

/// The security event of a refused provisioning request in `team_id`.
fn security_event(c: &Caller, event_type: SecurityEventType, severity: Severity, team_id: Uuid, data: Value) -> NewSecurityEvent {
    NewSecurityEvent { team_id: Some(team_id), action_taken: Some("rejected".into()), ..c.security_event(event_type, severity, data) }
}

/// A name for `prefix` that no live runner of ours holds (GitHub may still have it).
async fn free_name(state: &AppState, prefix: &str) -> AppResult<String> {
    for _ in 0..PREFIX_ATTEMPTS {
        let n = state.runner_names.next(prefix);
        if !state.db.live_name_taken(&n).await? {
            return Ok(n);
        }
    }
    Err(AppError::api(ErrorCode::NameConflict, format!("Failed to generate unique name for prefix '{prefix}' after {PREFIX_ATTEMPTS} attempts")))
}

/// Steps 5–8: team, group, labels, name.
async fn plan(state: &AppState, c: &Caller, v: &Valid) -> Result<Plan, Refusal> {
    let team = resolve_team(state, &c.principal, v).await?;
    let allowed = &team.allowed_runner_group_ids.0;
    let group = match v.runner_group_id {
        None => team.default_runner_group_id.unwrap_or(state.config.default_runner_group_id),
        Some(g) if allowed.contains(&g) => g,
        Some(g) => {
            let list = allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let detail = format!("Runner group {g} is not allowed for team '{}'. Allowed groups: {list}", team.name);
            let event = security_event(
                c,
                SecurityEventType::RunnerGroupNotAllowed,
                Severity::Medium,
                team.id,
                json!({ "requested_runner_group_id": g, "allowed_runner_group_ids": allowed, "team_id": team.id.to_string() }),
            );
            return Err(Refusal {
                error: AppError::api(ErrorCode::RunnerGroupNotAllowed, detail),
                event: Some(event),
                team: Some((team.id, team.name.clone())),
            });
        }
    };
    let patterns = team.optional_label_patterns.as_ref().map(|p| p.0.clone()).unwrap_or_default();
    let labels = match evaluate(&team.name, &team.required_labels.0, &patterns, &v.labels) {
        LabelCheck::Allowed(l) => l,
        LabelCheck::Violation { invalid, detail } => {
            let event = security_event(
                c,
                SecurityEventType::LabelPolicyViolation,
                Severity::Medium,
                team.id,
                json!({ "requested_labels": v.labels, "invalid_labels": invalid, "provisioning_method": "jit", "team_id": team.id.to_string() }),
            );
            return Err(Refusal {
                error: AppError::api(ErrorCode::LabelPolicyViolation, detail),
                event: Some(event),
                team: Some((team.id, team.name.clone())),
            });
        }
        LabelCheck::TooMany(n) => {
            let e = ApiError::invalid_field("labels", format!("at most 100 labels after merging (got {n})"));
            return Err(Refusal { error: e.into(), event: None, team: Some((team.id, team.name.clone())) });
        }
    };
    let names = match &v.name {
        NameSpec::Exact(n) => {
            if state.db.live_name_taken(n).await.map_err(AppError::from)? {
                let e =
                    AppError::api(ErrorCode::NameConflict, format!("Runner name '{n}' is already in use. Use a different name or wait until it's deleted."));
                return Err(Refusal { error: e, event: None, team: Some((team.id, team.name.clone())) });
            }
            vec![n.clone()]
        }
        NameSpec::Prefix(p) => match free_name(state, p).await {
            Ok(n) => vec![n],
            Err(e) => return Err(Refusal { error: e, event: None, team: Some((team.id, team.name.clone())) }),
        },
    };
    Ok(Plan { team, runner_group_id: group, labels, names })
}

fn quota_refusal(c: &Caller, team: &TeamRow, r: &Reservation) -> Refusal {
    let (detail, max, n, scope) = match r {
        Reservation::TeamQuota(n) => {
            let max = team.max_runners.unwrap_or_default();
            (format!("Team '{}' runner quota exceeded. Maximum allowed: {max}, current: {n}", team.name), max, *n, "team")
        }
        Reservation::OwnerQuota(n) => {
            let max = team.max_runners_per_user.unwrap_or_default();
            (format!("Per-user runner quota in team '{}' exceeded. Maximum allowed per user: {max}, current: {n}", team.name), max, *n, "user")
        }
        Reservation::Reserved => (String::new(), 0, 0, "team"),
    };
    let event = security_event(
        c,
        SecurityEventType::QuotaExceeded,
        Severity::Low,
        team.id,
        json!({ "current_count": n, "max_runners": max, "scope": scope, "provisioning_method": "jit", "team_id": team.id.to_string() }),
    );
    Refusal { error: AppError::api(ErrorCode::QuotaExceeded, detail), event: Some(event), team: Some((team.id, team.name.clone())) }
}

/// `POST /api/v1/runners/jit/dry-run`.
pub async fn dry_run(state: &AppState, c: &Caller, req: JitProvisionRequest) -> AppResult<DryRunResponse> {
    let v = validate(&req)?;
    let plan = plan(state, c, &v).await.map_err(|r| r.error)?;
    let (in_use, mine) = state.db.quota_usage(plan.team.id, owner_ids(&c.principal)).await?;
    let t = &plan.team;
    if let Some(r) = match (t.max_runners, t.max_runners_per_user) {
        (Some(m), _) if in_use >= m => Some(Reservation::TeamQuota(in_use)),
        (_, Some(m)) if mine >= m => Some(Reservation::OwnerQuota(mine)),
        _ => None,
    } {
        return Err(quota_refusal(c, t, &r).error);
    }
    Ok(DryRunResponse {
        allowed: true,
        runner_name: plan.names[0].clone(),
        runner_name_is_example: matches!(v.name, NameSpec::Prefix(_)),
        labels: plan.labels,
        team_id: t.id,
        team_name: t.name.clone(),
        runner_group_id: plan.runner_group_id,
        quota: QuotaInfo { max_runners: t.max_runners, in_use, max_runners_per_user: t.max_runners_per_user, in_use_by_caller: mine },
        github_configured: state.github.is_some(),
    })
}

/// The result of `POST /api/v1/runners/jit`: the exact body, and whether it is a replay.
pub struct Provisioned {
    /// The 201 body (JSON text, byte-identical on replay).
    pub body: String,
    /// The runner id (for `Location`).
    pub runner_id: Uuid,
    /// `Idempotency-Replayed: true`.
    pub replayed: bool,
    /// The team's name (for metrics).
    pub team_name: String,
}

/// `POST /api/v1/runners/jit`.
///
/// The work runs in a task of its own: when the client goes away or the request times out,
/// what follows the quota reservation still runs to its end (the runner recorded, or the
/// reservation released and a GitHub runner compensated) and the `Idempotency-Key` resolves,
/// so a retry with the same key gets the result.
pub async fn provision(state: &AppState, c: &Caller, req: JitProvisionRequest, idempotency_key: Option<String>) -> AppResult<Provisioned> {
    let (state, c) = (state.clone(), c.clone());
    tokio::spawn(async move { provision_detached(&state, &c, req, idempotency_key).await })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("provisioning task failed: {e}")))?
}

async fn provision_detached(state: &AppState, c: &Caller, req: JitProvisionRequest, idempotency_key: Option<String>) -> AppResult<Provisioned> {
    let v = validate(&req)?;
    let Some(key) = idempotency_key else {
        return provision_once(state, c, &req, &v, None).await;
    };
    let principal = principal_key(&c.principal);
    let hash = request_hash(&v);
    // The record holds a JIT config (a secret): it is stored under a hash of the key, sealed
    // under the key itself, and purged when it expires (services::maintenance).
    let raw_key = key;
    let key = stored_idempotency_key(&raw_key);
    if let Some(existing) = state.db.claim_idempotency_key(&principal, &key, &hash, now() + IDEMPOTENCY_WINDOW).await? {
        if existing.request_hash != hash {
            return Err(AppError::api(ErrorCode::IdempotencyKeyMismatch, "Idempotency-Key was already used with a different request body"));
        }
        let opened = existing.response_body.as_deref().and_then(|b| crate::auth::session::open(IDEMPOTENCY_LABEL, &raw_key, b));
        return match opened {
            Some(body) if existing.state == "completed" => {
                let runner_id =
                    serde_json::from_str::<Value>(&body).ok().and_then(|b| b["runner_id"].as_str().and_then(|s| s.parse().ok())).unwrap_or_default();
                let team_name = serde_json::from_str::<Value>(&body).ok().and_then(|b| b["team_name"].as_str().map(str::to_owned)).unwrap_or_default();
                state.metrics.provision_requests.with_label_values(&[team_name.as_str(), "idempotent_replay"]).inc();
                Ok(Provisioned { body, runner_id, replayed: true, team_name })
            }
            _ => Err(ApiError::new(ErrorCode::IdempotencyKeyInProgress, "A request with this Idempotency-Key is still being processed")
                .with_retry_after(1)
                .into()),
        };
    }
    let result = provision_once(state, c, &req, &v, Some(&raw_key)).await;
    match &result {
        Ok(p) => {
            let sealed = crate::auth::session::seal(IDEMPOTENCY_LABEL, &raw_key, &p.body)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("cannot seal the idempotency record")))?;
            state.db.complete_idempotency_key(&principal, &key, &sealed, p.runner_id).await?;
        }
        Err(_) => state.db.release_idempotency_key(&principal, &key).await?,
    }
    result
}

async fn provision_once(state: &AppState, c: &Caller, req: &JitProvisionRequest, v: &Valid, key: Option<&str>) -> AppResult<Provisioned> {
    let started = std::time::Instant::now();
    let outcome = provision_steps(state, c, v, key).await;
    let (team, code) = match &outcome {
        Ok(p) => (Some(p.team_name.clone()), None),
        Err(r) => (r.team.as_ref().map(|t| t.1.clone()), Some(r.error.to_api_error().error_code)),
    };
    let result = crate::metrics::provision_result(code);
    state.metrics.provision_requests.with_label_values(&[team.as_deref().unwrap_or("none"), result]).inc();
    state.metrics.provision_duration.with_label_values(&[result]).observe(started.elapsed().as_secs_f64());
    match outcome {
        Ok(p) => Ok(p),
        Err(refusal) => {
            if let Some(e) = &refusal.event {
                state.db.record_security_event(&state.metrics, e).await?;
            }
            let api = refusal.error.to_api_error();
            // Validation errors (422) are not audited (API.md §3.7).
            if api.error_code == ErrorCode::ValidationError {
                return Err(refusal.error);
            }
            let mut data = json!({ "error_code": api.error_code.as_str(), "request": req });
            let team_id = refusal.team.as_ref().map(|t| t.0);
            if let Some(t) = team_id {
                data["team_id"] = json!(t.to_string());
            }
            let audit = NewAudit { team_id, success: false, error_message: Some(api.detail.clone()), ..c.audit("provision_jit_failed", data) };
            state.db.append_audit(audit).await?;
            Err(refusal.error)
        }
    }
}

/// How one name's attempt ended: its conflict (which a prefix request retries), or anything
/// else.
enum Attempt {
    NameTaken(Refusal),
    Failed(Refusal),
}

/// Reserves `name` within the quota and asks GitHub for its JIT configuration; on failure the
/// reservation is gone again. Returns the runner id, its times and the configuration.
async fn reserve_and_generate(
    state: &AppState,
    c: &Caller,
    gh: &dyn crate::github::GitHubApi,
    v: &Valid,
    plan: &Plan,
    name: &str,
) -> Result<(Uuid, DateTime<Utc>, DateTime<Utc>, crate::github::JitConfig), Attempt> {
    let team = &plan.team;
    let with_team = |error: AppError| Refusal { error, event: None, team: Some((team.id, team.name.clone())) };
    let created_at = now();
    let expires_at = created_at + chrono::Duration::from_std(state.config.jit_unused_expiry).unwrap_or(chrono::Duration::minutes(30));
    let (owner_user_id, owner_client_id) = owner_ids(&c.principal);
    let id = Uuid::new_v4();
    let new = NewRunner {
        id,
        runner_name: name.to_owned(),
        runner_group_id: plan.runner_group_id,
        labels: plan.labels.clone(),
        team_id: team.id,
        provisioned_by: c.principal.identity(),
        actor_type: c.principal.actor_type().as_str().to_owned(),
        owner_user_id,
        owner_client_id,
        created_at,
        expires_at,
    };
    let limits = QuotaLimits { max_runners: team.max_runners, max_per_owner: team.max_runners_per_user };
    match state.db.reserve_runner(&new, limits).await {
        Ok(Reservation::Reserved) => {}
        Ok(r) => return Err(Attempt::Failed(quota_refusal(c, team, &r))),
        Err(DbError::Conflict(_)) => {
            return Err(Attempt::NameTaken(with_team(AppError::api(
                ErrorCode::NameConflict,
                format!("Runner name '{name}' is already in use. Use a different name or wait until it's deleted."),
            ))));
        }
        Err(e) => return Err(Attempt::Failed(with_team(e.into()))),
    }
    let jit = JitRequest { name: name.to_owned(), runner_group_id: plan.runner_group_id, labels: plan.labels.clone(), work_folder: v.work_folder.clone() };
    match generate_with_recovery(state, gh, &jit).await {
        Ok(cfg) => Ok((id, created_at, expires_at, cfg)),
        Err(e) => {
            // A failed GitHub call leaves no runner row behind.
            state.db.drop_reservation(id).await.map_err(|e| Attempt::Failed(with_team(e.into())))?;
            Err(match e {
                GitHubError::NameExists => Attempt::NameTaken(with_team(AppError::api(
                    ErrorCode::NameConflict,
                    format!("A runner named '{name}' already exists in the GitHub organization"),
                ))),
                other => Attempt::Failed(with_team(api_error(other))),
            })
        }
    }
}

async fn provision_steps(state: &AppState, c: &Caller, v: &Valid, key: Option<&str>) -> Result<Provisioned, Refusal> {
    let gh = configured(state.github.as_ref())?.clone();
    let plan = plan(state, c, v).await?;
    let team = &plan.team;
    let with_team = |error: AppError| Refusal { error, event: None, team: Some((team.id, team.name.clone())) };
    let mut name = plan.names[0].clone();
    let mut attempt = 1;
    // A prefix request whose name is taken (a race in our database, or a runner GitHub has
    // that we do not manage) tries a fresh name: the caller never chose it (API.md §7.1).
    let (id, created_at, expires_at, config) = loop {
        let retry = matches!(v.name, NameSpec::Prefix(_)) && attempt < PREFIX_GITHUB_ATTEMPTS;
        match reserve_and_generate(state, c, gh.as_ref(), v, &plan, &name).await {
            Err(Attempt::NameTaken(_)) if retry => {
                if let NameSpec::Prefix(p) = &v.name {
                    tracing::info!(attempt, "runner name taken; trying a fresh one for the prefix");
                    name = free_name(state, p).await.map_err(with_team)?;
                }
                attempt += 1;
            }
            Err(Attempt::NameTaken(e) | Attempt::Failed(e)) => return Err(e),
            Ok(done) => break done,
        }
    };
    let github_id = config.runner.id;
    let data = json!({ "runner_group_id": plan.runner_group_id, "labels": plan.labels, "github_runner_id": github_id,
        "provisioning_method": "jit", "team_id": team.id.to_string(), "team_name": team.name, "idempotency_key": key });
    let audit = NewAudit { runner_id: Some(id.to_string()), runner_name: Some(name.clone()), team_id: Some(team.id), ..c.audit("provision_jit", data) };
    if let Err(e) = state.db.complete_reservation(id, github_id, audit).await {
        // Compensation: GitHub has a runner we cannot record; remove it (the sync reclaims it otherwise).
        if let Err(ge) = gh.delete_runner(github_id).await {
            tracing::error!(github.runner_id = github_id, error = %ge, "compensating GitHub delete failed; the sync will reclaim the orphan");
        }
        let _ = state.db.drop_reservation(id).await;
        return Err(with_team(e.into()));
    }
    let response = JitProvisionResponse {
        runner_id: id,
        runner_name: name,
        run_command: format!("./run.sh --jitconfig {}", config.encoded_jit_config),
        encoded_jit_config: config.encoded_jit_config,
        labels: plan.labels,
        expires_at,
        team_id: team.id,
        team_name: team.name.clone(),
        runner_group_id: plan.runner_group_id,
        github_runner_id: github_id,
        status: RunnerLifecycle::Pending,
        created_at,
    };
    let body = serde_json::to_string(&response).map_err(|e| with_team(AppError::Internal(e.into())))?;
    tracing::info!(runner.id = %id, team.id = %team.id, github.runner_id = github_id, "runner provisioned");
    Ok(Provisioned { body, runner_id: id, replayed: false, team_name: team.name.clone() })
}

/// generate-jitconfig, never repeated blindly. After an ambiguous failure (timeout, transport
/// error, 5xx without `Retry-After`: the call may have created the runner before its answer was lost) the runner is
/// looked up by name: absent, the call is made again (at most [`JIT_ATTEMPTS`] in all); present,
/// or after a 409, it is removed and the call made again once when it is one of ours that is
/// deleted or an expired pending one (ARC-style), or exactly what this request asks for and
/// never used: same name, labels and group, offline, not busy, not in our database (the orphan
/// of a lost answer). Its JIT config cannot be read back, so it is replaced, not handed out.
async fn generate_with_recovery(state: &AppState, gh: &dyn crate::github::GitHubApi, req: &JitRequest) -> Result<crate::github::JitConfig, GitHubError> {
    let mut attempt = 1;
    loop {
        let first = match gh.generate_jit_config(req).await {
            // A rate limit (GitHub said when to come back) refused the call: not ambiguous.
            Err(e @ (GitHubError::NameExists | GitHubError::Unavailable { retry_after: None, .. })) => e,
            other => return other,
        };
        let ambiguous = matches!(first, GitHubError::Unavailable { .. });
        let existing = match gh.find_runner_by_name(&req.name).await {
            Ok(Some(existing)) => existing,
            // The failed call had no effect: try again, a bounded number of times.
            Ok(None) if ambiguous && attempt < JIT_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(250 * u64::from(attempt))).await;
                continue;
            }
            // Nothing there, or GitHub cannot tell us: report the failure.
            _ => return Err(first),
        };
        let ours = state.db.find_runner_by_github_id(existing.id).await.ok().flatten();
        let reclaimable = match &ours {
            Some(r) => r.status.is_deleted() || (r.status == RunnerLifecycle::Pending && r.expires_at.is_some_and(|e| e <= now())),
            None => matches_request(&existing, req),
        };
        if !reclaimable || existing.busy {
            return Err(if ambiguous { first } else { GitHubError::NameExists });
        }
        tracing::info!(github.runner_id = existing.id, ambiguous, "replacing a GitHub runner left by an earlier attempt for this name");
        gh.delete_runner(existing.id).await?;
        return gh.generate_jit_config(req).await;
    }
}

/// Whether a runner at GitHub is what `req` would create and has never been used.
fn matches_request(r: &crate::github::GitHubRunner, req: &JitRequest) -> bool {
    let norm = |l: &[String]| {
        let mut v: Vec<String> = l.iter().map(|s| s.to_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    r.name.eq_ignore_ascii_case(&req.name)
        && norm(&r.labels) == norm(&req.labels)
        && r.runner_group_id.is_none_or(|g| g == req.runner_group_id)
        && r.status == "offline"
        && !r.busy
}
