//! Progress bars for long work, on a terminal only: piped output and `--quiet` get nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar on stderr, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar of `len` steps, shown only when stderr is a terminal and not `quiet`.
    pub fn new(len: usize, message: &str, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
        // The template is a constant; should indicatif ever reject it, a plain bar will do.
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        Progress(Some(bar))
    }

    /// No bar at all (tests, pipes, `--quiet`).
    pub fn hidden() -> Progress {
        Progress(None)
    }

    pub fn step(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    /// Removes the bar, leaving the terminal as it was.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
