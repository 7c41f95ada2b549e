//! The worker threads that split a layer's units: started once per [`super::Compiled`], on
//! its first call that wants more than one thread, and reused by every later layer and call.
//!
//! A call cuts its units into chunks; the calling thread and the workers take chunks from one
//! atomic counter until none is left, so a thread the scheduler holds back costs its share of
//! chunks, not the whole call. A unit is computed by the same code whoever takes it, so the
//! results do not depend on the split. Between chunks every thread polls
//! [`crate::cancel::requested`] and stops early. Starting a thread per call (`std::thread::scope`,
//! as before) cost 1.02-1.8x scaling instead of ~2x: see ARCHITECTURE.md, Threads.

use crate::cancel::{self, Cancelled};
use rayon_core::{ThreadPool, ThreadPoolBuilder};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Why a call did not compute its layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// A stop was requested (Ctrl-C, SIGTERM, `--timeout`); the outputs are incomplete.
    Cancelled(Cancelled),
    /// The operating system refused to start the worker threads.
    Threads(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Cancelled(Cancelled(reason)) => write!(f, "the run was stopped ({reason:?})"),
            RunError::Threads(why) => write!(
                f,
                "could not start the JIT's worker threads ({why}); run with `--threads 1`"
            ),
        }
    }
}

impl std::error::Error for RunError {}

impl From<Cancelled> for RunError {
    fn from(c: Cancelled) -> RunError {
        RunError::Cancelled(c)
    }
}

/// How a call's units are cut: `chunks` contiguous ranges, numbered in memory order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunks {
    pub units: usize,
    pub chunks: usize,
}

impl Chunks {
    /// Units `lo..hi` of chunk `k`.
    pub fn range(&self, k: usize) -> (usize, usize) {
        let at = |k: usize| (self.units as u128 * k as u128 / self.chunks.max(1) as u128) as usize;
        (at(k), at(k + 1))
    }
}

/// The worker threads of one compiled model (none until a call needs them).
#[derive(Default)]
pub struct Workers {
    /// The pool and its size. Locked for a whole call: calls from several threads at once
    /// take turns instead of sharing the workers.
    pool: Mutex<Option<(usize, ThreadPool)>>,
}

impl Workers {
    /// Runs `work(lo, hi)` on every chunk of `chunks`, on the calling thread and `threads - 1`
    /// workers; returns once every taken chunk is done. `Err` if a stop was requested (some
    /// chunks may then never have run) or the workers could not be started.
    pub fn run(
        &self,
        threads: usize,
        chunks: Chunks,
        work: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(), RunError> {
        let next = AtomicUsize::new(0);
        let take = || take_chunks(&next, chunks, work);
        let helpers = threads.min(chunks.chunks).saturating_sub(1);
        if helpers == 0 {
            take();
        } else {
            // A poisoned lock only means another call panicked; the pool itself is intact.
            let mut guard = self.pool.lock().unwrap_or_else(|p| p.into_inner());
            let pool = match &mut *guard {
                Some((size, pool)) if *size >= helpers => pool,
                slot => {
                    let pool = ThreadPoolBuilder::new()
                        .num_threads(helpers)
                        .thread_name(|k| format!("convc-jit-{k}"))
                        .build()
                        .map_err(|e| RunError::Threads(e.to_string()))?;
                    &slot.insert((helpers, pool)).1
                }
            };
            pool.in_place_scope(|scope| {
                for _ in 0..helpers {
                    scope.spawn(|_| take());
                }
                take();
            });
        }
        // Also when the request came after the last chunk: the caller stops either way.
        cancel::check()?;
        Ok(())
    }
}

/// Takes chunks until none is left or a stop is requested.
fn take_chunks(next: &AtomicUsize, chunks: Chunks, work: &(dyn Fn(usize, usize) + Sync)) {
    loop {
        if cancel::requested().is_some() {
            return;
        }
        let k = next.fetch_add(1, Ordering::Relaxed);
        if k >= chunks.chunks {
            return;
        }
        let (lo, hi) = chunks.range(k);
        work(lo, hi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_unit_once_in_order() {
        for units in [0, 1, 2, 7, 224, 2046] {
            for chunks in 1..=9 {
                let c = Chunks { units, chunks };
                let mut at = 0;
                for k in 0..chunks {
                    let (lo, hi) = c.range(k);
                    assert_eq!(lo, at, "{units} units in {chunks} chunks");
                    assert!(hi >= lo);
                    at = hi;
                }
                assert_eq!(at, units);
            }
        }
    }

    #[test]
    fn every_chunk_runs_once_on_any_thread_count() {
        let workers = Workers::default();
        for threads in [1, 2, 3, 2] {
            let chunks = Chunks {
                units: 100,
                chunks: 17,
            };
            let seen: Vec<AtomicUsize> = (0..100).map(|_| AtomicUsize::new(0)).collect();
            let work = |lo: usize, hi: usize| {
                for unit in &seen[lo..hi] {
                    unit.fetch_add(1, Ordering::Relaxed);
                }
            };
            workers
                .run(threads, chunks, &work)
                .expect("no stop requested");
            assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
        }
    }
}
