//! Stopping a run early: Ctrl-C, SIGTERM or `--timeout` request it, long loops poll it.
//!
//! One process-wide flag, because a signal handler can only touch static state. Whoever
//! notices the request (the interpreter between layers and rows, the JIT between chunks of
//! units) stops and returns [`Cancelled`] instead of a result; nothing is written afterwards.

use std::sync::atomic::{AtomicU8, Ordering};

/// Why a run was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// SIGINT (Ctrl-C) or SIGTERM.
    Interrupted,
    /// The `--timeout` expired.
    Timeout,
}

/// The run stopped early on request; the reason says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled(pub Reason);

static REQUESTED: AtomicU8 = AtomicU8::new(0);

/// Asks every running loop to stop. Async-signal-safe: one atomic store.
pub fn request(reason: Reason) {
    let code = match reason {
        Reason::Interrupted => 1,
        Reason::Timeout => 2,
    };
    // The first reason wins: a timeout that fires after Ctrl-C still reports Ctrl-C.
    let _ = REQUESTED.compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
}

/// Whether a stop was requested, and why. Cheap enough to call between rows.
pub fn requested() -> Option<Reason> {
    match REQUESTED.load(Ordering::Relaxed) {
        0 => None,
        1 => Some(Reason::Interrupted),
        _ => Some(Reason::Timeout),
    }
}

/// `Err(Cancelled)` once a stop was requested.
pub fn check() -> Result<(), Cancelled> {
    match requested() {
        None => Ok(()),
        Some(reason) => Err(Cancelled(reason)),
    }
}
