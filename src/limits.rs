//! The limits of one run: memory, generated code size and time, and the one way each is
//! refused.
//!
//! Memory is counted by one [`Budget`]: whoever is about to allocate something whose size the
//! user controls (a tensor, a decoded file, a kernel's repacked copy, an output buffer) charges
//! it first, with checked arithmetic, and gives up with a [`LimitExceeded`] that names the
//! limit, what was needed and the flag (with a value) that would allow it. The checker charges
//! everything a run will hold (see `check`); later stages charge what they add on top.
//!
//! Time is bounded by `--timeout` and by Ctrl-C / SIGTERM: [`start`] turns both into a
//! [`cancel::request`]; long loops poll [`cancel::check`] and the command reports
//! [`cancelled_message`].

use crate::cancel::{self, Reason};
use crate::diagnostic::{Code, Diagnostic};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The memory limit when none is given: 4 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// The generated-code limit when none is given: 64 MiB of machine code. The largest spec in
/// `specs/bench/` needs well under 1 MiB; 64 MiB is room for models far bigger than anyone
/// writes by hand, and small enough that a pathological spec is refused in seconds.
pub const DEFAULT_MAX_CODE_SIZE: u64 = 64 << 20;

/// The most bytes one value takes as text: Rust prints an f32 without an exponent, so the
/// smallest subnormal is `0.` and 44 more digits; plus a sign and a separator.
pub const TEXT_BYTES_PER_VALUE: u64 = 48;

/// A limit that would have been exceeded: what, by how much, and how to raise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    /// What needed the resource (`input \`photo\``).
    pub what: String,
    /// The bytes it needed; `None` when the number does not even fit in 64 bits.
    pub needed: Option<u64>,
    /// The bytes already taken before it.
    pub used: u64,
    pub limit: u64,
    /// The command-line flag that sets the limit (`--max-memory`).
    pub flag: &'static str,
    /// The name of the limit in the message (`memory limit`).
    pub name: &'static str,
    /// The error's code: which limit, or which thing was too large for it.
    pub code: Code,
}

impl LimitExceeded {
    /// `input \`photo\` needs 149.0 GiB more, which would exceed the memory limit of 4.0 GiB
    /// (already 0 bytes in use)`.
    pub fn message(&self) -> String {
        format!(
            "{} needs {} more, which would exceed the {} of {} (already {} in use)",
            self.what,
            self.needed
                .map_or("more than 16 EiB".to_string(), human_bytes),
            self.name,
            human_bytes(self.limit),
            human_bytes(self.used)
        )
    }

    /// How to get past it: the flag with a value that would be enough.
    pub fn hint(&self) -> String {
        let total = self.needed.and_then(|n| n.checked_add(self.used));
        match total.and_then(suggest) {
            Some(value) => format!(
                "{}, or raise the limit with `{} {value}`",
                self.shrink(),
                self.flag
            ),
            None => format!("{}: no limit can allow this much", self.shrink()),
        }
    }

    /// What would need less of the resource.
    fn shrink(&self) -> &'static str {
        if self.flag == "--max-memory" {
            "make the tensors smaller"
        } else {
            "make the layers smaller, or compile weights as data (`--fold-weights never`)"
        }
    }

    /// The same refusal reported with another code (the spec file's own size, say).
    pub fn with_code(self, code: Code) -> LimitExceeded {
        LimitExceeded { code, ..self }
    }

    /// The refusal as a diagnostic at `span`, or unlocated.
    pub fn diagnostic(&self, span: Option<crate::ast::Span>) -> Diagnostic {
        match span {
            Some(span) => Diagnostic::error(self.code, span, self.message()),
            None => Diagnostic::error_unlocated(self.code, self.message()),
        }
        .with_hint(self.hint())
    }

    /// The refusal as a plain `error[E0400]: ...` message with its help line, for the
    /// command line.
    pub fn render(&self) -> String {
        self.diagnostic(None).render_plain()
    }
}

/// A size at least `bytes` with room to spare, written the way `--max-memory` reads it
/// (`256GiB`, `96MiB`): the next power of two of `1.25 * bytes`, at least 1 MiB. `None` when
/// that is more than 1 EiB, which no machine has.
pub fn suggest(bytes: u64) -> Option<String> {
    let wanted = bytes.checked_add(bytes / 4)?.max(1 << 20);
    let rounded = wanted.checked_next_power_of_two()?;
    if rounded > 1 << 60 {
        return None;
    }
    Some(if rounded >= 1 << 30 {
        format!("{}GiB", rounded >> 30)
    } else {
        format!("{}MiB", rounded >> 20)
    })
}

/// `1.5 GiB`, `300 bytes`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Counts the bytes a run holds and refuses to go over the limit (`--max-memory`).
#[derive(Debug, Clone)]
pub struct Budget {
    pub(crate) limit: u64,
    pub(crate) used: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget { limit, used: 0 }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn used(&self) -> u64 {
        self.used
    }

    /// What may still be taken.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Takes `bytes` (`None`: a size that overflowed while being computed) for `what`, before
    /// it is allocated.
    pub fn charge(&mut self, bytes: Option<u64>, what: &str) -> Result<(), LimitExceeded> {
        match bytes.and_then(|b| self.used.checked_add(b)) {
            Some(total) if total <= self.limit => {
                self.used = total;
                Ok(())
            }
            _ => Err(LimitExceeded {
                what: what.to_string(),
                needed: bytes,
                used: self.used,
                limit: self.limit,
                flag: "--max-memory",
                name: "memory limit",
                code: Code::MemoryLimit,
            }),
        }
    }

    /// Takes `elements` values of `bytes_each` bytes each.
    pub fn charge_elements(
        &mut self,
        elements: usize,
        bytes_each: u64,
        what: &str,
    ) -> Result<(), LimitExceeded> {
        let bytes = u64::try_from(elements)
            .ok()
            .and_then(|n| n.checked_mul(bytes_each));
        self.charge(bytes, what)
    }

    /// [`Budget::charge_elements`], refused as a diagnostic at `span`.
    pub(crate) fn reserve(
        &mut self,
        elements: usize,
        bytes_each: u64,
        span: crate::ast::Span,
        what: &str,
    ) -> Result<(), Diagnostic> {
        self.charge_elements(elements, bytes_each, what)
            .map_err(|e| e.diagnostic(Some(span)))
    }
}

/// The `--max-code-size` refusal: `what` would bring the generated code to more than `limit`.
pub fn code_too_large(what: String, needed: u64, used: u64, limit: u64) -> LimitExceeded {
    LimitExceeded {
        what,
        needed: Some(needed),
        used,
        limit,
        flag: "--max-code-size",
        name: "generated-code limit",
        code: Code::CodeTooLarge,
    }
}

static TIMEOUT: OnceLock<Duration> = OnceLock::new();

/// Whether Ctrl-C or SIGTERM has arrived once already.
static PRESSED: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C and SIGTERM request a stop instead of killing the process, and starts the
/// `--timeout` clock. Called once, by the command line, before any work.
pub fn start(timeout: Option<Duration>) {
    // The handler runs on a thread of its own (not in signal context). If it cannot be
    // installed (another handler exists: convc used as a library), Ctrl-C keeps its default
    // meaning, which kills the process; atomic writes still leave no half-written file.
    let _ = ctrlc::set_handler(|| {
        // A second Ctrl-C does not wait for the loops to notice the first: it ends the
        // process at once (a file being written then keeps its old content; only its
        // temporary file may remain).
        if PRESSED.swap(true, Ordering::SeqCst) {
            let message = "interrupted twice: stopping at once";
            eprint!(
                "{}",
                Diagnostic::error_unlocated(Code::Interrupted, message).render_plain()
            );
            std::process::exit(2);
        }
        cancel::request(Reason::Interrupted);
    });
    if let Some(limit) = timeout {
        let _ = TIMEOUT.set(limit);
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            cancel::request(Reason::Timeout);
        });
    }
}

/// Parses `--timeout`: `2s`, `500ms`, `1m 30s`.
pub fn parse_timeout(text: &str) -> Result<Duration, Diagnostic> {
    let error = |message: String| Diagnostic::error_unlocated(Code::NotADuration, message);
    match humantime::parse_duration(text.trim()) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(error(
            "a timeout must be longer than 0; write e.g. `30s` or `500ms`".to_string(),
        )),
        Err(e) => Err(error(format!(
            "`{text}` is not a duration ({e}); write e.g. `30s`, `500ms` or `2m`"
        ))),
    }
}

/// The report of a run that stopped early.
pub fn cancelled(reason: Reason) -> Diagnostic {
    match reason {
        Reason::Interrupted => Diagnostic::error_unlocated(
            Code::Interrupted,
            "interrupted (Ctrl-C or SIGTERM): the run stopped before finishing; no file was \
             left half-written",
        ),
        Reason::Timeout => {
            let limit = TIMEOUT.get().copied().unwrap_or_default();
            Diagnostic::error_unlocated(
                Code::TimedOut,
                format!(
                    "the run took longer than the time limit of {} and was stopped; no file was \
                     left half-written",
                    duration_arg(limit)
                ),
            )
            .with_hint(format!(
                "raise the limit with `--timeout {}`, or make the model or its inputs smaller",
                duration_arg(limit.saturating_mul(4))
            ))
        }
    }
}

/// What the command line prints when a run stopped early (ends with a newline).
pub fn cancelled_message(reason: Reason) -> String {
    cancelled(reason).render_plain()
}

/// A duration as one `--timeout` word: whole seconds from 1 s up (rounded up), else
/// milliseconds (`500ms`, `3s`).
fn duration_arg(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        let seconds = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        format!("{seconds}s")
    } else {
        format!("{}ms", d.as_millis().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_enough_and_readable() {
        assert_eq!(suggest(149 << 30).as_deref(), Some("256GiB"));
        assert_eq!(suggest(10).as_deref(), Some("1MiB"));
        assert_eq!(suggest(60 << 20).as_deref(), Some("128MiB"));
        assert_eq!(suggest(u64::MAX), None);
    }

    #[test]
    fn charges_add_up_and_refusals_say_how_to_raise_the_limit() {
        let mut budget = Budget::new(1000);
        assert!(budget.charge(Some(600), "a").is_ok());
        let refused = budget.charge(Some(600), "input `b`").unwrap_err();
        assert_eq!(budget.used(), 600);
        assert_eq!(
            refused.message(),
            "input `b` needs 600 bytes more, which would exceed the memory limit of 1000 \
             bytes (already 600 bytes in use)"
        );
        assert!(refused.hint().contains("`--max-memory 1MiB`"));
        assert!(budget.charge_elements(usize::MAX, 4, "c").is_err());
        assert!(budget
            .charge(None, "d")
            .unwrap_err()
            .hint()
            .contains("no limit"));
    }

    #[test]
    fn timeouts_parse_like_people_write_them() {
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("soon").is_err());
        assert_eq!(duration_arg(Duration::from_millis(1200)), "2s");
        assert_eq!(duration_arg(Duration::from_millis(300)), "300ms");
    }
}
