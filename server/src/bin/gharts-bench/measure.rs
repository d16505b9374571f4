//! Measuring: the server process's CPU and RSS from `/proc`, the load driver, percentiles and
//! the README table.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// The server process as `/proc` shows it.
pub(crate) struct Proc {
    pub(crate) pid: u32,
    pub(crate) ticks_per_sec: f64,
}

impl Proc {
    /// utime + stime, in seconds.
    pub(crate) fn cpu(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let f: Vec<f64> = after.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
        (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / self.ticks_per_sec
    }

    pub(crate) fn status_mib(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    }

    pub(crate) fn rss(&self) -> f64 {
        self.status_mib("VmRSS:")
    }

    /// The anonymous part of the RSS (heap, stacks): the rest is file pages, mostly the
    /// binary's own code, clean and shared with the page cache.
    pub(crate) fn anon(&self) -> f64 {
        self.status_mib("RssAnon:")
    }

    pub(crate) fn peak(&self) -> f64 {
        self.status_mib("VmHWM:")
    }

    /// Resets the peak (`VmHWM`) to the current RSS.
    pub(crate) fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }
}

/// One phase's figures.
#[derive(Default)]
pub(crate) struct Phase {
    pub(crate) label: String,
    pub(crate) requests: usize,
    pub(crate) by_status: BTreeMap<u16, usize>,
    pub(crate) throughput: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) cpu_ms: f64,
    pub(crate) peak_mib: f64,
    pub(crate) github_per_runner: Option<f64>,
    pub(crate) extra: String,
}

impl Phase {
    pub(crate) fn print(&self) {
        let statuses: Vec<String> = self.by_status.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        let gh = self.github_per_runner.map(|g| format!(" github_calls/runner={g:.2}")).unwrap_or_default();
        println!(
            "{:<34} n={:<6} [{}] {:>7.0}/s p50={:.2}ms p99={:.2}ms cpu/req={:.3}ms peak_rss={:.1}MiB{gh}{}",
            self.label,
            self.requests,
            statuses.join(" "),
            self.throughput,
            self.p50,
            self.p99,
            self.cpu_ms,
            self.peak_mib,
            self.extra
        );
    }

    pub(crate) fn errors(&self) -> usize {
        self.by_status.iter().filter(|(s, _)| !(200..300).contains(*s)).map(|(_, n)| n).sum()
    }
}

/// A request the load generator repeats: the `i`-th call.
pub(crate) type MakeRequest = Arc<dyn Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// Runs `total` requests with `concurrency` callers; returns latencies (sorted), statuses, wall time.
pub(crate) async fn drive(client: &reqwest::Client, concurrency: usize, total: usize, make: MakeRequest) -> (Vec<Duration>, BTreeMap<u16, usize>, Duration) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, make) = (client.clone(), next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut statuses = BTreeMap::<u16, usize>::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let status = match make(&client, i).send().await {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                lat.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
            }
            (lat, statuses)
        }));
    }
    let mut all = Vec::new();
    let mut statuses = BTreeMap::new();
    for t in tasks {
        if let Ok((lat, s)) = t.await {
            all.extend(lat);
            for (k, v) in s {
                *statuses.entry(k).or_default() += v;
            }
        }
    }
    let wall = started.elapsed();
    all.sort();
    (all, statuses, wall)
}

/// The README table: each phase with its targets.
pub(crate) fn table(kind: &str, idle_start: (f64, f64), idle_end: (f64, f64), phases: &[Phase]) -> String {
    let mut s = format!(
        "\n{kind}: phase | throughput | p50 / p99 | non-2xx | own CPU per request (target) | peak RSS (target)\n---|---|---|---|---|---\nidle after start-up / after the phases | | | | | {:.1} / {:.1} MiB (≤ 20 MB); anonymous {:.1} / {:.1} MiB\n",
        idle_start.0, idle_end.0, idle_start.1, idle_end.1
    );
    for p in phases {
        let (cpu_target, rss_target) = if p.label.starts_with("audit export") { ("–", "–") } else { ("≤ 1 ms", "≤ 40 MB") };
        s.push_str(&format!(
            "{} | {:.0}/s | {:.2} / {:.2} ms | {} | {:.3} ms ({cpu_target}) | {:.1} MiB ({rss_target}){}\n",
            p.label,
            p.throughput,
            p.p50,
            p.p99,
            p.errors(),
            p.cpu_ms,
            p.peak_mib,
            p.github_per_runner.map(|g| format!("; {g:.2} GitHub calls per runner")).unwrap_or_default()
        ));
    }
    s
}
