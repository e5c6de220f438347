//! Failed-login back-off by client address, shared by every session of a server: it survives reconnects.
//!
//! A session closes after [`ServerConfig::max_failed_logins`](super::ServerConfig::max_failed_logins), but a
//! guesser just connects again. [`LoginBackoff`] counts failed logins per address across connections and says
//! what to do with the next PASS ([`LoginBackoff::check`]):
//!
//! - up to [`BackoffPolicy::free_failures`] failures: answer at once ([`LoginVerdict::Allow`]);
//! - after `k` more: answer only after `base_delay * 2^(k-1)`, capped at `max_delay`
//!   ([`LoginVerdict::Delay`]; [`delay_after`] is the arithmetic);
//! - at [`BackoffPolicy::refuse_after`] failures: refuse every login from the address, even with the right password,
//!   with 421 ([`Outcome::Throttled`](super::Outcome::Throttled)) for `refuse_for` ([`LoginVerdict::Refuse`]); one
//!   more failure after that refuses again.
//!
//! An address whose last failure is older than `forget_after` starts again from nothing; a successful login
//! forgets its address at once. IPv6 addresses count by their /64 (one host's usual share); IPv4-mapped IPv6
//! addresses count as the IPv4 address. At most `max_addresses` are kept: a new one past that first drops the
//! forgotten ones, then the one whose last failure is oldest, so memory stays bounded whatever the number of
//! addresses an attacker has.
//!
//! Pure: the caller passes the time in (`now`) and does the waiting; a shell holds one `LoginBackoff` behind a lock.

use super::config::canonical;
use crate::time::Instant;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// The back-off's settings. [`Default`]: 3 free failures, then 1 s doubling up to 30 s, refused for 15 minutes at
/// 10 failures, forgotten 15 minutes after the last failure, 10 000 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Failures from an address answered without delay.
    pub free_failures: u32,
    /// The delay after the first failure past the free ones; each further one doubles it.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// At this many failures the address is refused (421) for `refuse_for`. 0: never.
    pub refuse_after: u32,
    /// How long an address is refused.
    pub refuse_for: Duration,
    /// An address whose last failure is older than this is forgotten.
    pub forget_after: Duration,
    /// The most addresses kept.
    pub max_addresses: usize,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            free_failures: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            refuse_after: 10,
            refuse_for: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(15 * 60),
            max_addresses: 10_000,
        }
    }
}

/// What to do with a login attempt from an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVerdict {
    /// Check the password now.
    Allow,
    /// Wait this long, then check the password (the answer to PASS comes no sooner).
    Delay(Duration),
    /// Refuse without checking: [`Outcome::Throttled`](super::Outcome::Throttled) (421, the session closes). The
    /// address is refused for this much longer.
    Refuse(Duration),
}

/// The delay before answering a login from an address with `failures` failed logins behind it.
pub fn delay_after(policy: &BackoffPolicy, failures: u32) -> Duration {
    let Some(past_free) = failures.checked_sub(policy.free_failures).filter(|k| *k > 0) else {
        return Duration::ZERO;
    };
    // 2^(k-1), saturating: a shift past 31 would overflow long before the cap matters.
    let factor = 1u32.checked_shl(past_free - 1).unwrap_or(u32::MAX);
    policy.base_delay.saturating_mul(factor).min(policy.max_delay)
}

/// The key an address counts under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    refused_until: Option<Instant>,
}

/// Failed logins per address (see the [module docs](self)).
#[derive(Debug)]
pub struct LoginBackoff {
    policy: BackoffPolicy,
    entries: HashMap<IpAddr, Entry>,
}

impl LoginBackoff {
    /// An empty table with `policy`.
    pub fn new(policy: BackoffPolicy) -> Self {
        LoginBackoff { policy, entries: HashMap::new() }
    }

    /// The policy.
    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }

    /// Addresses held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no address is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn expired(&self, e: &Entry, now: Instant) -> bool {
        let refused = e.refused_until.is_some_and(|t| now < t);
        !refused && now.checked_duration_since(e.last).is_some_and(|d| d >= self.policy.forget_after)
    }

    /// What to do with a login (a PASS) from `ip` at `now`.
    pub fn check(&mut self, ip: IpAddr, now: Instant) -> LoginVerdict {
        let key = address_key(ip);
        let Some(e) = self.entries.get(&key).copied() else { return LoginVerdict::Allow };
        if self.expired(&e, now) {
            self.entries.remove(&key);
            return LoginVerdict::Allow;
        }
        if let Some(left) = e.refused_until.and_then(|t| t.checked_duration_since(now)).filter(|d| !d.is_zero()) {
            return LoginVerdict::Refuse(left);
        }
        match delay_after(&self.policy, e.failures) {
            d if d.is_zero() => LoginVerdict::Allow,
            d => LoginVerdict::Delay(d),
        }
    }

    /// A login from `ip` failed at `now`.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) {
        let key = address_key(ip);
        if let Some(e) = self.entries.get(&key).copied() {
            if self.expired(&e, now) {
                self.entries.remove(&key);
            }
        }
        if !self.entries.contains_key(&key) {
            self.make_room(now);
        }
        let policy = self.policy;
        let e = self.entries.entry(key).or_insert(Entry { failures: 0, last: now, refused_until: None });
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        if policy.refuse_after > 0 && e.failures >= policy.refuse_after {
            e.refused_until = now.checked_add(policy.refuse_for);
        }
    }

    /// A login from `ip` succeeded: forget the address.
    pub fn succeeded(&mut self, ip: IpAddr) {
        self.entries.remove(&address_key(ip));
    }

    /// Below `max_addresses` before one more is added: drop the forgotten ones, then the oldest.
    fn make_room(&mut self, now: Instant) {
        if self.entries.len() < self.policy.max_addresses {
            return;
        }
        let forget_after = self.policy.forget_after;
        self.entries.retain(|_, e| {
            let refused = e.refused_until.is_some_and(|t| now < t);
            refused || now.checked_duration_since(e.last).is_none_or(|d| d < forget_after)
        });
        while self.entries.len() >= self.policy.max_addresses.max(1) {
            let Some(oldest) = self.entries.iter().min_by_key(|(_, e)| e.last).map(|(k, _)| *k) else { break };
            self.entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            free_failures: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
            refuse_after: 8,
            refuse_for: Duration::from_secs(60),
            forget_after: Duration::from_secs(120),
            max_addresses: 3,
        }
    }

    #[test]
    fn delays_double_from_the_first_failure_past_the_free_ones_and_stop_at_the_cap() {
        let p = policy();
        let ms = |n| delay_after(&p, n).as_millis();
        assert_eq!([0, 1, 2, 3, 4, 5, 6, 7, 8].map(ms), [0, 0, 0, 500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(ms(u32::MAX), 4000);
        let d = BackoffPolicy::default();
        assert_eq!(delay_after(&d, 4), Duration::from_secs(1));
        assert_eq!(delay_after(&d, 9), Duration::from_secs(30));
    }

    #[test]
    fn an_address_is_slowed_then_refused_then_forgotten_and_others_are_not_touched() {
        let mut b = LoginBackoff::new(policy());
        let t0 = Instant::now();
        let bad = ip("192.0.2.7");
        let mut now = t0;
        let mut seen = Vec::new();
        for _ in 0..8 {
            seen.push(b.check(bad, now));
            b.failed(bad, now);
            now += Duration::from_secs(1);
        }
        use LoginVerdict::*;
        let ms = Duration::from_millis;
        assert_eq!(
            seen,
            [Allow, Allow, Allow, Delay(ms(500)), Delay(ms(1000)), Delay(ms(2000)), Delay(ms(4000)), Delay(ms(4000))]
        );
        // The eighth failure (at t0+7s) refuses the address for 60 s, the right password or not.
        assert_eq!(b.check(bad, now), Refuse(Duration::from_secs(59)));
        assert_eq!(b.check(ip("192.0.2.8"), now), Allow, "another address");
        assert_eq!(b.check(ip("::ffff:192.0.2.7"), now), Refuse(Duration::from_secs(59)), "the same, mapped");
        // After the refusal: delayed still (the failures are remembered), and one more failure refuses again.
        let after = t0 + Duration::from_secs(7 + 60);
        assert_eq!(b.check(bad, after), Delay(ms(4000)));
        b.failed(bad, after);
        assert_eq!(b.check(bad, after), Refuse(Duration::from_secs(60)));
        // Forgotten `forget_after` after the last failure (once no longer refused).
        let later = after + Duration::from_secs(120);
        assert_eq!(b.check(bad, later), Allow);
        assert!(b.is_empty());
        // A success forgets at once.
        for _ in 0..5 {
            b.failed(bad, later);
        }
        assert!(matches!(b.check(bad, later), Delay(_)));
        b.succeeded(bad);
        assert_eq!(b.check(bad, later), Allow);
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        let mut b = LoginBackoff::new(policy());
        let now = Instant::now();
        for i in 0..3u16 {
            b.failed(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i)), now);
        }
        assert_eq!(b.check(ip("2001:db8:1:2::ffff"), now), LoginVerdict::Delay(Duration::from_millis(500)));
        assert_eq!(b.check(ip("2001:db8:1:3::1"), now), LoginVerdict::Allow);
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn refuse_after_zero_never_refuses() {
        let mut b = LoginBackoff::new(BackoffPolicy { refuse_after: 0, ..policy() });
        let now = Instant::now();
        for _ in 0..100 {
            b.failed(ip("192.0.2.1"), now);
        }
        assert_eq!(b.check(ip("192.0.2.1"), now), LoginVerdict::Delay(Duration::from_secs(4)));
    }

    proptest! {
        /// Whatever the failures, addresses and times: at most `max_addresses` are held, a delay never passes the
        /// cap, and a refusal never lasts past `refuse_for`.
        #[test]
        fn bounded_memory_delay_and_refusal(
            events in proptest::collection::vec((0u8..20, 0u64..400, any::<bool>()), 1..200),
        ) {
            let p = policy();
            let mut b = LoginBackoff::new(p);
            let t0 = Instant::now();
            let mut now = t0;
            for (host, step, fail) in events {
                now += Duration::from_secs(step);
                let a = IpAddr::from([10, 0, 0, host]);
                match b.check(a, now) {
                    LoginVerdict::Allow => {}
                    LoginVerdict::Delay(d) => prop_assert!(d <= p.max_delay && d >= p.base_delay),
                    LoginVerdict::Refuse(d) => prop_assert!(d <= p.refuse_for && !d.is_zero()),
                }
                if fail { b.failed(a, now) } else { b.succeeded(a) }
                prop_assert!(b.len() <= p.max_addresses);
            }
        }
    }
}
