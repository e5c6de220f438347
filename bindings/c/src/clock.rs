//! The caller's monotonic clock, as the core's `Instant`.
//!
//! The core takes time as `Instant` arguments and never reads a clock. C has no `Instant`: every timed call takes
//! `now_ms`, milliseconds on a monotonic clock whose epoch the caller picks (`CLOCK_MONOTONIC` in milliseconds is
//! the obvious choice), and deadlines come back in the same unit. A handle maps `now_ms` to an `Instant` by its
//! offset from the reading it was made with: `std::time::Instant` cannot be built from a number, so the handle takes
//! one `Instant::now()` when it is made, only as an origin for that arithmetic. No behaviour depends on it: a
//! deadline is always `now_ms` plus a duration, and `handle_timeout(now_ms)` compares readings of the caller's clock.

use crate::ffi;
use crate::result::{self, ftpkit_result};
use ftpkit_proto::time::Instant;
use std::time::Duration;

/// The origin of one handle's time: its creation reading of the caller's clock and an `Instant` standing for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: Instant,
    origin_ms: u64,
}

impl Clock {
    /// A clock whose origin is the caller's reading `now_ms`.
    pub(crate) fn new(now_ms: u64) -> Clock {
        Clock { origin: Instant::now(), origin_ms: now_ms }
    }

    /// The `Instant` for the caller's reading `now_ms`. A reading earlier than the origin counts as the origin (the
    /// clock must be monotonic; time never runs backwards for the core).
    pub(crate) fn at(&self, now_ms: u64) -> Result<Instant, ftpkit_result> {
        let since = Duration::from_millis(now_ms.saturating_sub(self.origin_ms));
        self.origin.checked_add(since).ok_or_else(|| {
            ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("now_ms {now_ms} is too far from the handle's origin"))
        })
    }

    /// The caller's reading at which `at` has passed: rounded up to the next millisecond, so that a
    /// `handle_timeout` with this reading finds the deadline reached.
    pub(crate) fn ms(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.origin);
        let ms = since.as_nanos().div_ceil(1_000_000);
        self.origin_ms.saturating_add(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// Writes a session's deadline to the out-parameters of a `_poll_timeout`: `*has`, and `*at_ms` on this clock
    /// (0 without a deadline).
    ///
    /// # Safety
    /// `has`/`at_ms` NULL or writable.
    pub(crate) unsafe fn write_deadline(
        &self,
        deadline: Option<Instant>,
        has: *mut bool,
        at_ms: *mut u64,
    ) -> ftpkit_result {
        // SAFETY: forwarded from the caller.
        match unsafe { (ffi::out(has, "has"), ffi::out(at_ms, "at_ms")) } {
            (Ok(h), Ok(a)) => {
                *h = deadline.is_some();
                *a = deadline.map_or(0, |d| self.ms(d));
                result::FTPKIT_OK
            }
            (Err(e), _) | (_, Err(e)) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_map_to_instants_and_back() {
        let c = Clock::new(1_000);
        let t = c.at(4_500).expect("in range");
        assert_eq!(c.ms(t), 4_500);
        assert_eq!(c.ms(t + Duration::from_micros(1)), 4_501, "rounded up: the deadline has passed at 4501");
        assert_eq!(c.at(10).expect("earlier"), c.at(1_000).expect("origin"), "earlier readings are the origin");
        assert_eq!(c.ms(c.at(0).expect("earlier")), 1_000);
        // The largest reading still maps (an Instant spans more than u64 milliseconds on 64-bit Linux).
        assert!(c.at(u64::MAX).is_ok());
    }
}
