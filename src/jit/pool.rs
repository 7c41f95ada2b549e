//! The worker threads that split a layer's units: started once per [`super::Compiled`], on
//! its first call that wants more than one thread, reused by every later layer and call, and
//! joined when it is dropped.
//!
//! A call cuts its units into chunks; the calling thread and the workers take chunks from one
//! atomic counter until none is left, so a thread the scheduler holds back costs its share of
//! chunks, not the whole call. A unit is computed by the same code whoever takes it, so the
//! results do not depend on the split. Between chunks every thread polls
//! [`crate::cancel::requested`] and stops early.
//!
//! Why not a thread per call, or rayon: measured with `convc bench --threads 2` on a busy
//! 2-core machine, scoped threads per call scaled 1.02x (image_sobel) to 1.8x, and rayon's
//! parked workers started 1.6-3.5 ms into 4 ms calls (a woken thread waits for its core).
//! Here idle threads busy-wait 1 ms before they sleep, workers are pinned to other cores than
//! the caller's (`affinity`), and a worker that has not started when the caller runs out of
//! chunks is not waited for: 1.8-2.0x on the same machine.

use super::affinity;
use crate::cancel::{self, Cancelled, Reason};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
            RunError::Cancelled(Cancelled(Reason::Interrupted)) => {
                write!(f, "the run was interrupted (Ctrl-C or SIGTERM)")
            }
            RunError::Cancelled(Cancelled(Reason::Timeout)) => {
                write!(f, "the run was stopped: it took longer than `--timeout`")
            }
            RunError::Threads(why) => write!(
                f,
                "could not start the JIT's worker threads ({why}); run with `--threads 1`"
            ),
        }
    }
}

impl std::error::Error for RunError {}

impl RunError {
    /// The error as a diagnostic (it is not located in the spec).
    pub fn diagnostic(&self) -> crate::diagnostic::Diagnostic {
        use crate::diagnostic::{Code, Diagnostic};
        let code = match self {
            RunError::Cancelled(Cancelled(Reason::Interrupted)) => Code::Interrupted,
            RunError::Cancelled(Cancelled(Reason::Timeout)) => Code::TimedOut,
            RunError::Threads(_) => Code::NoThreads,
        };
        Diagnostic::error_unlocated(code, self.to_string())
    }
}

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

/// How long an idle thread busy-waits before it sleeps: a worker for the next job, the calling
/// thread for the workers' last chunks. Sleeping costs a wake-up per call, and on a busy
/// machine a woken thread waited milliseconds for its core (measured: the worker started
/// 1.6-3.5 ms into 4 ms calls of image_sobel); busy-waiting keeps the core. Bench calls and
/// the layers of a run follow each other within microseconds.
const SPIN: Duration = Duration::from_millis(1);

/// The worker threads of one compiled model (none until a call needs them).
#[derive(Default)]
pub struct Workers {
    /// Locked for a whole call: calls from several threads at once take turns.
    pool: Mutex<Option<Pool>>,
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
        // More workers than `JOINED` can count (32767) would be far more than any machine's
        // cores; the chunks are then shared by that many.
        let helpers = threads
            .min(chunks.chunks)
            .saturating_sub(1)
            .min(JOINED as usize);
        if helpers == 0 {
            take_chunks(&AtomicUsize::new(0), chunks, work);
        } else {
            let mut pool = lock(&self.pool);
            if pool.as_ref().is_none_or(|p| p.threads.len() < helpers) {
                // The old pool (if any) is shut down first: its threads are joined.
                *pool = None;
                *pool = Some(Pool::start(helpers)?);
            }
            if let Some(pool) = pool.as_ref() {
                pool.run(helpers, chunks, work);
            }
        }
        // Also when the request came after the last chunk: the caller stops either way.
        cancel::check()?;
        Ok(())
    }
}

/// What the workers run: `work` on `chunks`, taken by workers `0..helpers` and the caller.
#[derive(Clone, Copy)]
struct Job {
    /// The caller's closure with its lifetime erased. It stays valid while any worker uses
    /// it: a worker uses it only after joining the job (`Shared::ticket`), and the caller
    /// returns only once every worker that joined has finished.
    work: *const (dyn Fn(usize, usize) + Sync + 'static),
    chunks: Chunks,
    helpers: usize,
}

// SAFETY: `work` is `Sync` and outlives every use (see the field).
unsafe impl Send for Job {}

struct State {
    job: Option<Job>,
    /// Bumped for every job.
    epoch: u64,
    /// Workers waiting on `Shared::wake`.
    sleepers: usize,
    /// Whether the caller waits on `Shared::done`.
    caller_sleeps: bool,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    /// `state.epoch`, for busy-waiting without the lock.
    epoch: AtomicU64,
    shutdown: AtomicBool,
    /// The current job's next chunk.
    next: AtomicUsize,
    /// The current job's epoch (above [`EPOCH_SHIFT`]), whether the caller has closed it to
    /// newcomers ([`CLOSED`]) and how many workers joined it (the bits below). Workers join
    /// before they use the job; the caller closes it once it finds no chunk left. So a
    /// worker the scheduler has not run yet costs the caller nothing: it finds the job
    /// closed (or a newer one) and skips it.
    ticket: AtomicU64,
    /// Workers that joined the current job and are done with it.
    finished: AtomicUsize,
    /// Sleeping workers wait here for a job.
    wake: Condvar,
    /// A sleeping caller waits here for the workers that joined to finish.
    done: Condvar,
}

const EPOCH_SHIFT: u32 = 16;
const CLOSED: u64 = 1 << (EPOCH_SHIFT - 1);
const JOINED: u64 = CLOSED - 1;

struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    fn start(workers: usize) -> Result<Pool, RunError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                job: None,
                epoch: 0,
                sleepers: 0,
                caller_sleeps: false,
                shutdown: false,
            }),
            epoch: AtomicU64::new(0),
            shutdown: AtomicBool::new(false),
            next: AtomicUsize::new(0),
            ticket: AtomicU64::new(0),
            finished: AtomicUsize::new(0),
            wake: Condvar::new(),
            done: Condvar::new(),
        });
        let mut pool = Pool {
            shared,
            threads: Vec::with_capacity(workers),
        };
        // One worker per core where there are enough (oversubscribed: unpinned).
        let cores = affinity::worker_cores();
        let pin_to = |index: usize| (workers < cores.len()).then(|| cores[index]);
        for index in 0..workers {
            let shared = Arc::clone(&pool.shared);
            let core = pin_to(index);
            let thread = std::thread::Builder::new()
                .name(format!("convc-jit-{index}"))
                .spawn(move || {
                    if let Some(core) = core {
                        affinity::pin(core);
                    }
                    work_loop(&shared, index)
                })
                // Dropping `pool` joins the threads already started.
                .map_err(|e| RunError::Threads(e.to_string()))?;
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// Posts the job, takes chunks alongside the workers and waits until they are done.
    fn run(&self, helpers: usize, chunks: Chunks, work: &(dyn Fn(usize, usize) + Sync)) {
        let shared = &*self.shared;
        // SAFETY: only the lifetime changes; this function returns only after every worker
        // that joined the job is done with `work`, and the job is closed to others.
        let erased: *const (dyn Fn(usize, usize) + Sync + 'static) = unsafe {
            std::mem::transmute::<
                *const (dyn Fn(usize, usize) + Sync + '_),
                *const (dyn Fn(usize, usize) + Sync + 'static),
            >(work as *const _)
        };
        {
            let mut state = lock(&shared.state);
            state.epoch += 1;
            shared.next.store(0, Ordering::Relaxed);
            shared.finished.store(0, Ordering::Relaxed);
            shared
                .ticket
                .store(state.epoch << EPOCH_SHIFT, Ordering::Relaxed);
            state.job = Some(Job {
                work: erased,
                chunks,
                helpers,
            });
            shared.epoch.store(state.epoch, Ordering::Release);
            if state.sleepers > 0 {
                shared.wake.notify_all();
            }
        }
        take_chunks(&shared.next, chunks, work);
        let joined = (shared.ticket.fetch_or(CLOSED, Ordering::AcqRel) & JOINED) as usize;
        let finished = || shared.finished.load(Ordering::Acquire) == joined;
        if !spin_until(finished) {
            let mut state = lock(&shared.state);
            while !finished() {
                state.caller_sleeps = true;
                state = shared.done.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            state.caller_sleeps = false;
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        {
            let mut state = lock(&self.shared.state);
            state.shutdown = true;
            self.shared.shutdown.store(true, Ordering::Relaxed);
            self.shared.wake.notify_all();
        }
        for thread in self.threads.drain(..) {
            // A worker cannot panic (the work is generated code); nothing to report if it did.
            let _ = thread.join();
        }
    }
}

/// A worker: waits for jobs and takes chunks of those it is a helper of, until shut down.
fn work_loop(shared: &Shared, index: usize) {
    let mut seen = 0;
    while let Some(job) = next_job(shared, &mut seen) {
        if index < job.helpers && join(shared, seen) {
            let _finished = Finished(shared);
            // SAFETY: the caller keeps `work` alive until every worker that joined is
            // finished, and `_finished` says so only after this last use.
            let work = unsafe { &*job.work };
            take_chunks(&shared.next, job.chunks, work);
        }
    }
}

/// Joins the job of `epoch` unless the caller has closed it or moved on to a newer one.
fn join(shared: &Shared, epoch: u64) -> bool {
    let mut ticket = shared.ticket.load(Ordering::Acquire);
    loop {
        if ticket >> EPOCH_SHIFT != epoch || ticket & CLOSED != 0 {
            return false;
        }
        match shared.ticket.compare_exchange_weak(
            ticket,
            ticket + 1,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return true,
            Err(now) => ticket = now,
        }
    }
}

/// The job after epoch `seen` (busy-waiting, then sleeping); `None` once shut down.
fn next_job(shared: &Shared, seen: &mut u64) -> Option<Job> {
    spin_until(|| {
        shared.epoch.load(Ordering::Acquire) != *seen || shared.shutdown.load(Ordering::Relaxed)
    });
    let mut state = lock(&shared.state);
    while state.epoch == *seen && !state.shutdown {
        state.sleepers += 1;
        state = shared.wake.wait(state).unwrap_or_else(|p| p.into_inner());
        state.sleepers -= 1;
    }
    if state.shutdown {
        return None;
    }
    *seen = state.epoch;
    state.job
}

/// Marks a worker that joined the current job done with it when dropped, waking a sleeping
/// caller.
struct Finished<'a>(&'a Shared);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::AcqRel);
        // Under the lock, so the caller cannot be between its check and its wait.
        let state = lock(&self.0.state);
        if state.caller_sleeps {
            self.0.done.notify_all();
        }
    }
}

/// Busy-waits up to [`SPIN`] for `ready`; whether it became true. It does not yield: on a
/// busy machine `yield_now` handed the core to other processes for milliseconds (measured:
/// 2-thread image_sobel 3.6 ms instead of 2.2).
fn spin_until(ready: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            return ready();
        }
    }
}

/// Locks `m`; a poisoned lock only means another thread panicked while holding it, and the
/// data it guards (counters, the current job) stays consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
        // Many short jobs back to back, so workers also join late, find jobs closed, and
        // meet a newer job than the one they woke for; the pool grows from 1 to 2 workers.
        for job in 0..300 {
            let threads = [2, 1, 3][job % 3];
            let units = 1 + job % 97;
            let chunks = Chunks {
                units,
                chunks: 1 + job % 13,
            };
            let seen: Vec<AtomicUsize> = (0..units).map(|_| AtomicUsize::new(0)).collect();
            let work = |lo: usize, hi: usize| {
                for unit in &seen[lo..hi] {
                    unit.fetch_add(1, Ordering::Relaxed);
                }
            };
            workers
                .run(threads, chunks, &work)
                .expect("no stop requested");
            assert!(
                seen.iter().all(|s| s.load(Ordering::Relaxed) == 1),
                "job {job}: {threads} threads, {chunks:?}"
            );
        }
    }
}
