//! The instant type the core's timers take.
//!
//! It is `std::time::Instant` everywhere but on `wasm32-unknown-unknown` (the browser), where std has no clock and
//! cannot even make an `Instant`; there `web_time::Instant` (the page's `performance.now()`) stands in, so the
//! WASM binding can run the sessions too. The core itself never reads either clock: instants come in from the
//! caller (`handle_timeout(now)` and friends).

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use web_time::Instant;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use std::time::Instant;
