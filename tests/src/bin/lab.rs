//! `cargo xtask lab` (or `cargo run -p ftpkit-interop --bin lab -- [--write FILE]`): runs every scenario of the
//! network-namespace lab (`--only 2a,4c`: those rows), prints the table (ftpkit's prediction beside the kernel's
//! outcome) and, with `--write FILE`, writes it as Markdown. Exits non-zero when a prediction and an outcome disagree or a row cannot run.

use ftpkit_interop::lab::{self, scenarios};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let write = args.iter().position(|a| a == "--write").and_then(|i| args.get(i + 1)).cloned();
    match lab::gate() {
        Ok(true) => {}
        Ok(false) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lab: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = lab::ensure_tools() {
        eprintln!("lab: {e}");
        return ExitCode::FAILURE;
    }
    let start = Instant::now();
    let checked = match scenarios::check_rules_load() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("lab: {e}");
            return ExitCode::FAILURE;
        }
    };
    let only: Vec<&str> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').collect())
        .unwrap_or_default();
    let specs: Vec<_> = scenarios::specs().into_iter().filter(|s| only.is_empty() || only.contains(&s.id)).collect();
    // The load balancer's rows (8a-8n) run beside the others, in their own namespaces.
    let with_balancer = only.is_empty() || only.iter().any(|id| id.starts_with('8'));
    let (results, balanced) = std::thread::scope(|s| {
        let b = s.spawn(|| if with_balancer { Some(lab::balancer::run_both()) } else { None });
        let results = scenarios::run_all(&specs, 4);
        (results, b.join().unwrap_or(None))
    });
    let mut rows = Vec::new();
    let mut failed = false;
    for r in results {
        match r {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("lab: a row could not run: {e}");
                failed = true;
            }
        }
    }
    for r in &rows {
        let mark = if r.agrees() { "ok  " } else { "MISMATCH" };
        println!(
            "{mark} {:>3} {:<15} predicted: {}\n{:>24}observed:  {}\n{:>24}fails at:  {} (predicted) / {} (observed)",
            r.spec.id,
            r.spec.mode(),
            r.predicted,
            "",
            r.observed,
            "",
            scenarios::place(r.predicted_at),
            scenarios::place(r.observed_at)
        );
        for e in &r.evidence {
            println!("{:>24}  {e}", "");
        }
    }
    // The table itself: one line a row.
    println!(
        "\n{:<3} {:<34} {:<9} {:<9} {:<44} agree",
        "#", "mode", "predicted", "observed", "fails where (predicted = observed)"
    );
    for r in &rows {
        let word = |w: bool| if w { "works" } else { "fails" };
        let place = if r.predicted_at == r.observed_at {
            scenarios::place(r.predicted_at)
        } else {
            format!("{} / {}", scenarios::place(r.predicted_at), scenarios::place(r.observed_at))
        };
        println!(
            "{:<3} {:<34} {:<9} {:<9} {:<44} {}",
            r.spec.id,
            r.spec.mode(),
            word(r.predicted_works),
            word(r.observed_works),
            place,
            if r.agrees() { "yes" } else { "NO" }
        );
    }
    let balanced = match balanced {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            eprintln!("lab: the load balancer's rows could not run: {e}");
            failed = true;
            Vec::new()
        }
        None => Vec::new(),
    };
    if !balanced.is_empty() {
        println!("\n{:<3} {:<8} {:<9} {:<9} agree  what", "#", "rules", "predicted", "observed");
    }
    for r in &balanced {
        let word = |w: bool| if w { "works" } else { "fails" };
        println!(
            "{:<3} {:<8} {:<9} {:<9} {:<6} {}\n{:>33}observed: {}",
            r.id,
            r.form,
            word(r.predicted_works),
            word(r.observed_works),
            if r.agrees() { "yes" } else { "NO" },
            r.what,
            "",
            r.observed
        );
        for e in &r.evidence {
            println!("{:>33}  {e}", "");
        }
    }
    let balanced_agree = balanced.iter().filter(|r| r.agrees()).count();
    failed |= balanced_agree != balanced.len();
    let agree = rows.iter().filter(|r| r.agrees()).count();
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "\n{agree} of {} rows agree, {balanced_agree} of {} load balancer rows; {checked} rulesets loaded with nft -c / iptables-restore --test; {elapsed:.1} s",
        rows.len(),
        balanced.len()
    );
    if let Some(path) = write {
        let doc = lab::scenarios::document(&rows, &balanced, checked, elapsed);
        if let Err(e) = std::fs::write(&path, doc) {
            eprintln!("lab: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path}");
    }
    if failed || agree != rows.len() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
