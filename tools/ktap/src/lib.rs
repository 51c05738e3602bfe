// SPDX-License-Identifier: GPL-2.0

//! A reader for the top level of KTAP reports (Documentation/dev-tools/ktap.rst).
//!
//! The VM runner prints one result line per test; nested output (indented, or diagnostic lines
//! starting with `#`) belongs to the test and is not counted. A report is complete only when it
//! carries a plan (`1..N`) and exactly N results: a guest that died mid-run must not look like a
//! shorter, passing run.

use std::fmt;

/// How a test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `ok` without a SKIP directive.
    Pass,
    /// `not ok`, whatever the directive.
    Fail,
    /// `ok` with a SKIP directive.
    Skip,
}

/// One top-level result line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The test number.
    pub number: u32,
    /// The description (test name).
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The text after `#`, if any.
    pub directive: Option<String>,
}

/// A parsed report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The results in the order they appear.
    pub results: Vec<TestResult>,
    /// The plan's test count, if a plan was seen.
    pub plan: Option<u32>,
    /// The reason of a `Bail out!` line, if any.
    pub bail_out: Option<String>,
}

/// Counts of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Passed tests.
    pub passed: u32,
    /// Failed tests, plus one when the report is incomplete.
    pub failed: u32,
    /// Skipped tests.
    pub skipped: u32,
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// Parses one top-level result line (`ok 3 name # SKIP why`).
pub fn parse_result(line: &str) -> Option<TestResult> {
    let (ok, rest) = if let Some(rest) = line.strip_prefix("not ok ") {
        (false, rest)
    } else if let Some(rest) = line.strip_prefix("ok ") {
        (true, rest)
    } else {
        return None;
    };
    let (number, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let number = number.parse().ok()?;
    let (name, directive) = match rest.split_once(" # ") {
        Some((name, directive)) => (name, Some(directive.trim().to_string())),
        None => (rest, None),
    };
    let skip = directive
        .as_deref()
        .is_some_and(|d| d.len() >= 4 && d[..4].eq_ignore_ascii_case("skip"));
    let outcome = match (ok, skip) {
        (false, _) => Outcome::Fail,
        (true, true) => Outcome::Skip,
        (true, false) => Outcome::Pass,
    };
    Some(TestResult {
        number,
        name: name.trim().to_string(),
        outcome,
        directive,
    })
}

/// Parses the top level of a KTAP (or TAP 13) report.
pub fn parse(text: &str) -> Report {
    let mut report = Report::default();
    for line in text.lines() {
        if let Some(result) = parse_result(line) {
            report.results.push(result);
        } else if let Some(count) = line.strip_prefix("1..") {
            let count = count.split_whitespace().next().unwrap_or("");
            report.plan = count.parse().ok();
        } else if let Some(reason) = line.strip_prefix("Bail out!") {
            report.bail_out = Some(reason.trim().to_string());
        }
    }
    report
}

impl Report {
    /// Why the report cannot be trusted as a full run, if it cannot.
    pub fn incomplete(&self) -> Option<String> {
        if let Some(reason) = &self.bail_out {
            return Some(format!("bailed out: {reason}"));
        }
        match self.plan {
            None => Some("no plan line: the run did not finish".to_string()),
            Some(n) if n as usize != self.results.len() => Some(format!(
                "plan says {n} tests, {} reported",
                self.results.len()
            )),
            Some(_) => None,
        }
    }

    /// Sums the report up; an incomplete report counts one more failure.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for result in &self.results {
            match result.outcome {
                Outcome::Pass => totals.passed += 1,
                Outcome::Fail => totals.failed += 1,
                Outcome::Skip => totals.skipped += 1,
            }
        }
        if self.incomplete().is_some() {
            totals.failed += 1;
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pass_fail_and_skip() {
        let r = parse(
            "TAP version 13\nok 1 a\nnot ok 2 b # exit code 1\nok 3 c # SKIP no root\n1..3\n",
        );
        assert_eq!(r.plan, Some(3));
        assert_eq!(r.results[0].outcome, Outcome::Pass);
        assert_eq!(r.results[1].outcome, Outcome::Fail);
        assert_eq!(r.results[1].directive.as_deref(), Some("exit code 1"));
        assert_eq!(r.results[2].outcome, Outcome::Skip);
        assert_eq!(
            r.totals(),
            Totals {
                passed: 1,
                failed: 1,
                skipped: 1
            }
        );
        assert_eq!(r.incomplete(), None);
    }

    #[test]
    fn a_failed_skip_is_a_failure() {
        let r = parse_result("not ok 4 x # SKIP but a kernel report").map(|t| t.outcome);
        assert_eq!(r, Some(Outcome::Fail));
    }

    #[test]
    fn nested_and_diagnostic_lines_are_not_counted() {
        let r = parse("ok 1 outer\n# ok 1 inner\n    ok 1 nested\n# not ok 2 inner\n1..1\n");
        assert_eq!(r.results.len(), 1);
        assert_eq!(
            r.totals(),
            Totals {
                passed: 1,
                failed: 0,
                skipped: 0
            }
        );
    }

    #[test]
    fn a_run_without_plan_fails() {
        let r = parse("ok 1 a\nok 2 b\n");
        assert!(r.incomplete().is_some());
        assert_eq!(r.totals().failed, 1);
    }

    #[test]
    fn a_short_run_fails() {
        let r = parse("ok 1 a\n1..2\n");
        assert_eq!(
            r.incomplete().as_deref(),
            Some("plan says 2 tests, 1 reported")
        );
        assert_eq!(
            r.totals(),
            Totals {
                passed: 1,
                failed: 1,
                skipped: 0
            }
        );
    }

    #[test]
    fn bail_out_fails() {
        let r = parse("ok 1 a\nBail out! guest died\n1..1\n");
        assert_eq!(r.incomplete().as_deref(), Some("bailed out: guest died"));
    }

    #[test]
    fn names_keep_colons_and_spaces() {
        let t = parse_result("ok 7 kunit: 113 upstream kernel crate doctests").map(|t| t.name);
        assert_eq!(
            t.as_deref(),
            Some("kunit: 113 upstream kernel crate doctests")
        );
    }

    #[test]
    fn malformed_lines_are_ignored() {
        assert_eq!(parse_result("ok"), None);
        assert_eq!(parse_result("ok x name"), None);
        assert_eq!(parse_result("okay 1 name"), None);
        assert_eq!(parse("1..x\n").plan, None);
    }

    #[test]
    fn totals_print_as_the_summary_line() {
        let t = Totals {
            passed: 3,
            failed: 0,
            skipped: 2,
        };
        assert_eq!(t.to_string(), "3 passed, 0 failed, 2 skipped");
    }
}
