//! What bounds local login before any password is hashed (README "Security"):
//!
//! - a per-address limiter (IPv4 per address, IPv6 per /64), in memory, per replica: at most
//!   `LOGIN_IP_ATTEMPTS_PER_MINUTE` attempts per fixed one-minute window;
//! - a bound on concurrent password checks (`LOGIN_MAX_CONCURRENT_HASHES`; argon2 takes 19 MiB
//!   each): beyond it a login is answered `429` with `Retry-After: 1` at once, never queued.
//!
//! The permit travels into the blocking hash task, so a client that disconnects mid-check does
//! not free its slot before the hash is done.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limiter window.
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at most; beyond this (after dropping finished windows) new addresses are refused.
const MAX_TRACKED: usize = 100_000;

/// The address a login is counted against: the IPv4 address, or the IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpKey {
    /// One IPv4 address (or none known).
    V4(u32),
    /// The upper 64 bits of an IPv6 address.
    V6(u64),
    /// No client address (tests without a socket).
    Unknown,
}

impl IpKey {
    /// The key for `ip` (IPv4-mapped IPv6 counts as IPv4).
    pub fn of(ip: Option<IpAddr>) -> Self {
        match ip.map(|i| i.to_canonical()) {
            Some(IpAddr::V4(v4)) => Self::V4(u32::from(v4)),
            Some(IpAddr::V6(v6)) => Self::V6(u64::try_from(u128::from(v6) >> 64).unwrap_or(u64::MAX)),
            None => Self::Unknown,
        }
    }
}

/// Why a login was refused before any check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address used up its attempts; retry after this many seconds.
    Address(u64),
    /// Every password-check slot is taken.
    Busy,
}

/// The local-login throttle, shared by all requests of a process.
#[derive(Debug)]
pub struct LoginThrottle {
    hashes: Arc<Semaphore>,
    per_minute: u32,
    windows: Mutex<HashMap<IpKey, (Instant, u32)>>,
}

impl LoginThrottle {
    /// A throttle allowing `max_hashes` concurrent checks and `per_minute` attempts per address.
    pub fn new(max_hashes: usize, per_minute: u32) -> Self {
        Self { hashes: Arc::new(Semaphore::new(max_hashes.max(1))), per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt from `ip` and takes a password-check slot, or says why not.
    pub fn admit(&self, ip: Option<IpAddr>) -> Result<OwnedSemaphorePermit, Refusal> {
        self.count(IpKey::of(ip), Instant::now())?;
        self.hashes.clone().try_acquire_owned().map_err(|_| Refusal::Busy)
    }

    fn count(&self, key: IpKey, now: Instant) -> Result<(), Refusal> {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= MAX_TRACKED && !windows.contains_key(&key) {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if windows.len() >= MAX_TRACKED {
                return Err(Refusal::Address(WINDOW.as_secs()));
            }
        }
        let entry = windows.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(Refusal::Address(left.as_secs().max(1)));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Forgets addresses whose window has ended (called from the maintenance loop).
    pub fn prune(&self) {
        let now = Instant::now();
        self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64_bit_prefix() {
        assert_eq!(IpKey::of(ip("2001:db8:1:2::1")), IpKey::of(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(IpKey::of(ip("2001:db8:1:2::1")), IpKey::of(ip("2001:db8:1:3::1")));
        assert_eq!(IpKey::of(ip("::ffff:192.0.2.1")), IpKey::of(ip("192.0.2.1")));
        assert_ne!(IpKey::of(ip("192.0.2.1")), IpKey::of(ip("192.0.2.2")));
    }

    #[test]
    fn an_address_gets_its_attempts_per_window_then_a_retry_time() {
        let t = LoginThrottle::new(4, 3);
        let start = Instant::now();
        let key = IpKey::of(ip("2001:db8::1"));
        for _ in 0..3 {
            assert_eq!(t.count(key, start), Ok(()));
        }
        let Err(Refusal::Address(retry)) = t.count(IpKey::of(ip("2001:db8::2")), start + Duration::from_secs(20)) else { panic!("same /64") };
        assert_eq!(retry, 40);
        assert_eq!(t.count(IpKey::of(ip("2001:db9::1")), start), Ok(()), "another /64");
        assert_eq!(t.count(key, start + WINDOW), Ok(()), "a new window");
    }

    #[test]
    fn checks_beyond_the_bound_are_refused_at_once_and_a_slot_frees_when_its_permit_drops() {
        let t = LoginThrottle::new(2, 100);
        let a = t.admit(ip("192.0.2.1")).expect("first");
        let _b = t.admit(ip("192.0.2.2")).expect("second");
        assert_eq!(t.admit(ip("192.0.2.3")).err(), Some(Refusal::Busy));
        drop(a);
        assert!(t.admit(ip("192.0.2.3")).is_ok());
    }
}
