//! Pinning the JIT's worker threads to cores (Linux; elsewhere a no-op).
//!
//! Left to itself, the scheduler sometimes kept a worker on the calling thread's core while
//! another process had the other one, and the two then shared one core for a whole process
//! (2-thread runs slower than 1-thread ones). A worker pinned to another core than the
//! caller's cannot share the caller's; the caller itself stays free to move.

/// The cores for the workers, in order: the ones this thread may run on, the one it runs on
/// now last. Empty if unknown (then nothing is pinned).
#[cfg(target_os = "linux")]
pub fn worker_cores() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is plain data; the calls only write into the set given with its
    // size, and `sched_getcpu` takes nothing.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        let current = libc::sched_getcpu();
        let mut cores: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect();
        if let Some(at) = cores.iter().position(|&c| c as i64 == current as i64) {
            let own = cores.remove(at);
            cores.push(own);
        }
        cores
    }
}

#[cfg(not(target_os = "linux"))]
pub fn worker_cores() -> Vec<usize> {
    Vec::new()
}

/// Pins the calling thread to `core`; whether that worked. Failing only costs speed.
#[cfg(target_os = "linux")]
pub fn pin(core: usize) -> bool {
    // SAFETY: as above; `core` < CPU_SETSIZE because it came from `worker_cores`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

#[cfg(not(target_os = "linux"))]
pub fn pin(_core: usize) -> bool {
    false
}
