//! The error catalogue (`docs/errors.md`) and the codes in `src/diagnostic/codes.rs` are the
//! same list with the same titles, and every documented example reports its code.

mod common;

use common::{convc, scratch, stderr};
use convc::diagnostic::Code;
use std::path::Path;

/// One `### CODE: title` entry of docs/errors.md.
#[derive(Debug)]
struct Entry {
    code: String,
    title: String,
    /// `None` for `Example: none`.
    example: Option<String>,
    has_fix: bool,
}

/// Codes no example command can reach on a machine that runs these tests: internal errors
/// (E09xx), the JIT's refusal of an unsupported host or of threads, and stops by signal or
/// timer (tested by the tests that send them).
fn unreachable_here(code: Code) -> bool {
    code.is_internal()
        || matches!(
            code,
            Code::HostUnsupported | Code::NoThreads | Code::Interrupted | Code::TimedOut
        )
}

fn entries() -> Vec<Entry> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md");
    let text = std::fs::read_to_string(path).expect("docs/errors.md is readable");
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            let (code, title) = heading
                .split_once(": ")
                .unwrap_or_else(|| panic!("`{line}` is not `### CODE: title`"));
            out.push(Entry {
                code: code.to_string(),
                title: title.to_string(),
                example: None,
                has_fix: false,
            });
        } else if let Some(example) = line.strip_prefix("Example: ") {
            let entry = out.last_mut().expect("an Example: belongs to an entry");
            assert!(entry.example.is_none(), "{} has two examples", entry.code);
            entry.example = match example {
                "none" => None,
                quoted => Some(
                    quoted
                        .strip_prefix('`')
                        .and_then(|e| e.strip_suffix('`'))
                        .unwrap_or_else(|| panic!("{}: write the example in backticks", entry.code))
                        .to_string(),
                ),
            };
        } else if line.starts_with("Fix: ") {
            out.last_mut().expect("a Fix: belongs to an entry").has_fix = true;
        }
    }
    out
}

fn code_named(text: &str) -> Option<Code> {
    Code::ALL.iter().copied().find(|c| c.as_str() == text)
}

#[test]
fn every_code_is_documented_once_in_order_with_its_title() {
    let entries = entries();
    let documented: Vec<&str> = entries.iter().map(|e| e.code.as_str()).collect();
    let defined: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        documented, defined,
        "docs/errors.md and src/diagnostic/codes.rs list different codes (or in another order)"
    );
    for entry in &entries {
        let code = code_named(&entry.code).expect("checked above");
        assert_eq!(entry.title, code.title(), "the title of {}", entry.code);
        assert!(entry.has_fix, "{} says no `Fix:`", entry.code);
        assert_eq!(
            entry.example.is_none(),
            unreachable_here(code),
            "{}: only the codes `unreachable_here` lists go without an example",
            entry.code
        );
    }
}

#[test]
fn every_example_reports_its_code() {
    let tmp = scratch("errors_doc");
    let mut checked = 0;
    for entry in entries() {
        let Some(example) = &entry.example else {
            continue;
        };
        let code = code_named(&entry.code).expect("a known code");
        let warning = entry.code.starts_with('W');
        let shown = if warning {
            format!("warning[{}]", entry.code)
        } else {
            format!("error[{}]", entry.code)
        };
        match example.strip_prefix("convc ") {
            Some(command) => {
                let args: Vec<String> = command
                    .split_whitespace()
                    .map(|a| match a.strip_prefix("/tmp/") {
                        Some(rest) => tmp.join(rest).display().to_string(),
                        None => a.to_string(),
                    })
                    .collect();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let o = convc(&args);
                let err = stderr(&o);
                assert!(
                    err.contains(&shown),
                    "`{example}` does not report {shown}:\n{err}"
                );
                let status = if warning { 0 } else { 2 };
                assert_eq!(o.status.code(), Some(status), "`{example}`:\n{err}");
            }
            None => {
                let name = Path::new(example)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                assert!(
                    example.starts_with("specs/errors/") && name.starts_with("err_"),
                    "{}: an example is `convc ...` or an err_ spec in specs/errors/",
                    entry.code
                );
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
                let e = convc::pipeline::load(&path, convc::check::DEFAULT_MAX_MEMORY, false)
                    .err()
                    .unwrap_or_else(|| panic!("{example} loads, but should report {shown}"));
                assert!(
                    e.diagnostics.iter().any(|d| d.code == code),
                    "{example} does not report {shown}:\n{}",
                    e.message
                );
                assert!(e.message.contains(&shown), "{}", e.message);
            }
        }
        checked += 1;
    }
    assert!(checked > 80, "only {checked} examples");
}

/// Every `err_` spec is rejected, and by a user's error, not an internal one (every code is
/// documented, by the test above).
#[test]
fn every_error_spec_reports_documented_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/errors");
    let specs = convc::testing::collect(std::slice::from_ref(&root)).expect("specs/errors");
    for path in specs {
        if !convc::testing::is_error_spec(&path) {
            continue;
        }
        let e = convc::pipeline::load(&path, convc::check::DEFAULT_MAX_MEMORY, false)
            .err()
            .unwrap_or_else(|| panic!("{} loads", path.display()));
        assert!(!e.diagnostics.is_empty(), "{}", path.display());
        for d in &e.diagnostics {
            assert!(
                !unreachable_here(d.code),
                "{} reports {}, an internal error:\n{}",
                path.display(),
                d.code,
                e.message
            );
        }
    }
}

/// Messages outside a spec go through `Diagnostic::render_plain`, so they carry their code; a
/// bare `"error: ..."` string would not.
#[test]
fn no_message_is_printed_without_a_code() {
    let mut bare = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                for (i, line) in text.lines().enumerate() {
                    if line.contains("\"error: ") || line.contains("\"warning: ") {
                        bare.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        bare.is_empty(),
        "messages without a code:\n{}",
        bare.join("\n")
    );
}
