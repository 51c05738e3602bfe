// SPDX-License-Identifier: GPL-2.0

//! `ktap-summary FILE`: prints each top-level result of a KTAP report, a note when the report
//! is incomplete, and a last line `passed failed skipped` (three numbers) for scripts. Exits 2
//! when the file cannot be read.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: ktap-summary FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("ktap-summary: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let report = ktap::parse(&text);
    for t in &report.results {
        let mark = match t.outcome {
            ktap::Outcome::Pass => "PASS",
            ktap::Outcome::Fail => "FAIL",
            ktap::Outcome::Skip => "SKIP",
        };
        match &t.directive {
            Some(d) => println!("{mark} {} ({d})", t.name),
            None => println!("{mark} {}", t.name),
        }
    }
    if let Some(why) = report.incomplete() {
        println!("FAIL incomplete report {path}: {why}");
    }
    let totals = report.totals();
    println!("{} {} {}", totals.passed, totals.failed, totals.skipped);
    ExitCode::SUCCESS
}
