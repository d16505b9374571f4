//! The webhook phase: runners to report jobs for, and deliveries signed as GitHub signs them.

use std::sync::Arc;

use serde_json::{Value, json};
use sha2::Sha256;

use crate::measure::MakeRequest;
use crate::{HOOKED_RUNNERS, WEBHOOK_SECRET};

/// Provisions [`HOOKED_RUNNERS`] runners; their GitHub ids and names.
pub(crate) async fn hooked_runners(http: &reqwest::Client, base: &str, token: &str, kind: &str) -> anyhow::Result<Vec<(i64, String)>> {
    let mut runners = Vec::new();
    for i in 0..HOOKED_RUNNERS {
        let name = format!("{kind}-hook-{i}");
        let body = json!({ "runner_name": name, "labels": ["linux", "x64"] });
        let resp = http.post(format!("{base}/api/v1/runners/jit")).bearer_auth(token).json(&body).send().await?;
        anyhow::ensure!(resp.status() == 201, "provision for the webhook phase: {}", resp.status());
        let v: Value = resp.json().await?;
        runners.push((v["github_runner_id"].as_i64().unwrap_or_default(), name));
    }
    Ok(runners)
}

/// Delivery `i`: `workflow_job` `in_progress` (even `i`) or `completed` (odd) of job `i / 2` on
/// one of `runners`, with the headers and the HMAC signature GitHub sends.
pub(crate) fn webhook_delivery(base: &str, runners: Vec<(i64, String)>) -> MakeRequest {
    use hmac::{Hmac, Mac};
    let url = format!("{base}/api/v1/webhooks/github");
    Arc::new(move |c: &reqwest::Client, i| {
        let job = (i / 2) as i64 + 1;
        let (github_id, name) = &runners[(i / 2) % runners.len()];
        let payload = json!({
            "action": if i % 2 == 0 { "in_progress" } else { "completed" },
            "workflow_job": { "id": job, "run_id": 4242, "runner_id": github_id, "runner_name": name, "labels": ["self-hosted", "linux", "x64"] },
            "repository": { "full_name": "bench/app" },
            "organization": { "login": "bench" },
        });
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("an HMAC key of any length");
        mac.update(&body);
        c.post(&url)
            .header("content-type", "application/json")
            .header("x-github-event", "workflow_job")
            .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
            .header("x-hub-signature-256", format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
            .body(body)
    })
}
