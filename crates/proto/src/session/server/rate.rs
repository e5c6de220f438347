//! Bandwidth limits: a token bucket with the time passed in, and the rate's text form.
//!
//! A shell paces a data connection with one or more [`TokenBucket`]s (the session's, the user's shared by all of
//! the user's sessions): before each read or write it asks [`TokenBucket::wait`] and sleeps that long when it is not
//! zero, then moves at most a bounded chunk and reports it with [`TokenBucket::consume`]. The bucket may go into
//! debt by that one chunk (a write can take fewer or more bytes than asked; the debt is paid by the next wait), so
//! the average rate is exact over a transfer and the overshoot at any moment is at most one chunk plus the burst.
//!
//! Tokens are counted in nanobytes (bytes × 10⁹) so that refilling `rate` bytes a second over any number of
//! nanoseconds is exact integer arithmetic.

use crate::time::Instant;
use std::time::Duration;

const NANO: i128 = 1_000_000_000;

/// Bytes a second, up and down; `None`: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RateLimits {
    /// To the client (downloads, listings).
    pub down: Option<u64>,
    /// From the client (uploads).
    pub up: Option<u64>,
}

/// A token bucket: `rate` bytes a second, holding at most `burst` bytes.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    burst: u64,
    /// Nanobytes; negative while in debt.
    tokens: i128,
    last: Instant,
}

impl TokenBucket {
    /// The burst [`new`](Self::new) gives: a tenth of a second's worth, at least 4 KiB and at most 1 MiB.
    pub fn default_burst(rate: u64) -> u64 {
        (rate / 10).clamp(4096, 1 << 20)
    }

    /// A full bucket at `now`: `rate` bytes a second (0 counts as 1), [`default_burst`](Self::default_burst).
    pub fn new(rate: u64, now: Instant) -> Self {
        Self::with_burst(rate, Self::default_burst(rate), now)
    }

    /// A full bucket with a chosen burst (0 counts as 1).
    pub fn with_burst(rate: u64, burst: u64, now: Instant) -> Self {
        let (rate, burst) = (rate.max(1), burst.max(1));
        TokenBucket { rate, burst, tokens: i128::from(burst) * NANO, last: now }
    }

    /// The rate, bytes a second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    fn refill(&mut self, now: Instant) {
        // A `now` before the last one (clocks of two callers) adds nothing and does not move `last` back.
        let Some(elapsed) = now.checked_duration_since(self.last) else { return };
        let add = i128::try_from(elapsed.as_nanos()).unwrap_or(i128::MAX / 4).saturating_mul(i128::from(self.rate));
        self.tokens = self.tokens.saturating_add(add).min(i128::from(self.burst) * NANO);
        self.last = now;
    }

    /// How long to wait at `now` before moving more bytes: zero while the bucket holds tokens, else the time it
    /// takes to refill past zero.
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens > 0 {
            return Duration::ZERO;
        }
        // Nanobytes to reach 1, at `rate` nanobytes a nanosecond, rounded up.
        let need = 1 - self.tokens;
        let rate = i128::from(self.rate);
        let ns = (need + rate - 1) / rate;
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    /// `bytes` moved at `now`.
    pub fn consume(&mut self, now: Instant, bytes: u64) {
        self.refill(now);
        self.tokens = self.tokens.saturating_sub(i128::from(bytes) * NANO);
    }
}

/// A rate as text: bytes a second, with an optional `K`, `M` or `G` (powers of 1024; `KB`, `KiB`, `/s` are taken
/// too), e.g. `1048576`, `512K`, `1M`, `1.5M`. `0` is refused (no limit is no flag).
///
/// # Errors
/// The text as the error when it is not such a rate.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let t = lower.strip_suffix("/s").unwrap_or(&lower);
    let t = t.strip_suffix("ib").or_else(|| t.strip_suffix('b')).unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k')) => (&t[..i], 1u64 << 10),
        Some((i, 'm')) => (&t[..i], 1 << 20),
        Some((i, 'g')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let bad = || format!("{text:?} is not a rate (bytes a second, e.g. 1048576, 512K, 1M)");
    let value = if let Ok(n) = num.parse::<u64>() {
        n.checked_mul(mult).ok_or_else(bad)?
    } else {
        let f: f64 = num.parse().map_err(|_| bad())?;
        let v = f * mult as f64;
        if !v.is_finite() || v < 1.0 || v >= u64::MAX as f64 {
            return Err(bad());
        }
        v as u64
    };
    if value == 0 {
        return Err(bad());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_full_bucket_lets_its_burst_go_then_paces_at_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::with_burst(1000, 100, t0);
        assert_eq!(b.wait(t0), Duration::ZERO);
        b.consume(t0, 100);
        // Empty: the next chunk may go as soon as the bucket is past zero (a nanosecond here).
        let past_zero = Duration::from_nanos(1);
        assert_eq!(b.wait(t0), past_zero);
        b.consume(t0, 400); // a chunk taken in debt: 400 bytes at 1000 a second
        assert_eq!(b.wait(t0), Duration::from_millis(400) + past_zero);
        let t1 = t0 + Duration::from_millis(400) + past_zero;
        assert_eq!(b.wait(t1), Duration::ZERO);
        // The bucket never holds more than the burst, however long it sat.
        let t2 = t1 + Duration::from_secs(3600);
        b.consume(t2, 100);
        assert_eq!(b.wait(t2), past_zero);
        // A time before the last one adds nothing.
        assert_eq!(b.wait(t0), past_zero);
        assert_eq!(TokenBucket::default_burst(1 << 20), 104_857);
        assert_eq!(TokenBucket::default_burst(100), 4096);
        assert_eq!(TokenBucket::default_burst(u64::MAX), 1 << 20);
    }

    #[test]
    fn rates_as_text() {
        assert_eq!(parse_rate("1048576"), Ok(1_048_576));
        assert_eq!(parse_rate("512K"), Ok(512 * 1024));
        assert_eq!(parse_rate("1M"), Ok(1 << 20));
        assert_eq!(parse_rate("1MiB/s"), Ok(1 << 20));
        assert_eq!(parse_rate("2mb"), Ok(2 << 20));
        assert_eq!(parse_rate("1.5M"), Ok(3 << 19));
        assert_eq!(parse_rate("3G"), Ok(3 << 30));
        for bad in ["", "0", "-1", "M", "1T", "1.5.5M", "nan", "inf", "99999999999999999999G", "0.0000001"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Driven as a shell drives it (wait, sleep, move a chunk), the bucket moves no more than
        /// `burst + rate × elapsed + one chunk` by any moment, and not much less over a long run.
        #[test]
        fn the_average_rate_holds(
            rate in 1_000u64..10_000_000,
            chunks in proptest::collection::vec(1u64..65_536, 1..300),
        ) {
            let t0 = Instant::now();
            let mut b = TokenBucket::new(rate, t0);
            let burst = TokenBucket::default_burst(rate);
            let mut now = t0;
            let mut moved = 0u64;
            for n in &chunks {
                now += b.wait(now);
                b.consume(now, *n);
                moved += n;
                let elapsed = now.duration_since(t0).as_secs_f64();
                let max = burst as f64 + rate as f64 * elapsed + *n as f64;
                prop_assert!(moved as f64 <= max + 1.0, "moved {} by {}s, max {}", moved, elapsed, max);
            }
            // The time taken is what the rate asks for the bytes past the burst (within one chunk's worth).
            let elapsed = now.duration_since(t0).as_secs_f64();
            let want = moved.saturating_sub(burst) as f64 / rate as f64;
            let slack = 65_536.0 / rate as f64 + 1e-6;
            prop_assert!(elapsed + slack >= want, "{} bytes in {}s at {}/s", moved, elapsed, rate);
        }
    }
}
