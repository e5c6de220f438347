//! The network-namespace lab as tests: every scenario's prediction must match the kernel, and every ruleset
//! `ftpkit firewall` prints must load. Needs root and namespaces; run by the CI's lab step (`cargo xtask lab
//! --test`), which builds the `ftpkit` binary first. Where namespaces are not permitted the tests skip loudly, or
//! fail when `FTPKIT_LAB_REQUIRE=1`.

use ftpkit_interop::lab::{self, scenarios};

fn ready() -> bool {
    match lab::gate() {
        Ok(go) => {
            if go {
                if let Err(e) = lab::ensure_tools() {
                    panic!("{e}");
                }
            }
            go
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
#[ignore = "the network-namespace lab (root): cargo xtask lab --test"]
fn every_ruleset_ftpkit_prints_loads_in_the_kernel() {
    if !ready() {
        return;
    }
    let n = scenarios::check_rules_load().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 24, "8 host variants and 4 NAT variants, nft and iptables each");
}

#[test]
#[ignore = "the network-namespace lab (root): cargo xtask lab --test"]
fn every_prediction_matches_the_kernel() {
    if !ready() {
        return;
    }
    let specs = scenarios::specs();
    let (rows, errors): (Vec<_>, Vec<_>) = scenarios::run_all(&specs, 4).into_iter().partition(Result::is_ok);
    let errors: Vec<String> = errors.into_iter().filter_map(Result::err).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "rows that could not run:\n{}", errors.join("\n\n"));
    let rows: Vec<scenarios::Row> = rows.into_iter().filter_map(Result::ok).collect();
    let table = scenarios::markdown(&rows);
    let wrong: Vec<&str> = rows.iter().filter(|r| !r.agrees()).map(|r| r.spec.id).collect();
    assert!(wrong.is_empty(), "prediction and kernel disagree on {wrong:?}:\n{table}");
    // Both outcomes occur: the lab can tell a working set-up from a broken one.
    assert!(rows.iter().any(|r| r.observed_works) && rows.iter().any(|r| !r.observed_works), "{table}");
}

#[test]
#[ignore = "the network-namespace lab (root): cargo xtask lab --test"]
fn namespaces_are_removed_on_drop_even_after_a_panic() {
    if !ready() {
        return;
    }
    let names = std::sync::Mutex::new(Vec::new());
    let r = std::panic::catch_unwind(|| {
        let l = lab::Lab::build(lab::Topology::ClientNat).unwrap_or_else(|e| panic!("{e}"));
        if let Ok(mut n) = names.lock() {
            n.extend([l.client.name().to_owned(), l.server.name().to_owned()]);
        }
        panic!("a failing test");
    });
    assert!(r.is_err());
    let list = std::process::Command::new("ip").args(["netns", "list"]).output().map(|o| o.stdout).unwrap_or_default();
    let list = String::from_utf8_lossy(&list);
    let names = names.into_inner().unwrap_or_default();
    assert_eq!(names.len(), 2);
    for n in &names {
        assert!(!list.lines().any(|l| l.split_whitespace().next() == Some(n)), "{n} still exists:\n{list}");
    }
}

#[test]
#[ignore = "the network-namespace lab (root): cargo xtask lab --test"]
fn namespaces_are_removed_when_the_lab_is_terminated() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    if !ready() {
        return;
    }
    let list = || {
        let out = Command::new("ip").args(["netns", "list"]).output().map(|o| o.stdout).unwrap_or_default();
        String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    // Row 2a waits 4 s for a connection the client's firewall drops: long enough to be interrupted mid-run.
    let mut child = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["--only", "2a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the lab: {e}"));
    let prefix = format!("{}{}-", lab::PREFIX, child.id());
    let end = Instant::now() + Duration::from_secs(30);
    while !list().iter().any(|n| n.starts_with(&prefix) && n.ends_with("-s")) {
        assert!(Instant::now() < end, "the lab made no namespace within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(list().iter().any(|n| n.starts_with(&prefix)), "still running when signalled");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("the lab did not exit within 20 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(143), "exit status after SIGTERM");
    let left: Vec<String> = list().into_iter().filter(|n| n.starts_with(&prefix)).collect();
    assert!(left.is_empty(), "namespaces left after SIGTERM: {left:?}");
}

#[test]
#[ignore = "the network-namespace lab (root): cargo xtask lab --test"]
fn the_balancers_printed_rules_pass_sessions_through_haproxy_and_drop_the_rest() {
    if !ready() {
        return;
    }
    let rows = lab::balancer::run_both().unwrap_or_else(|e| panic!("{e}"));
    let table = scenarios::balancer_markdown(&rows);
    assert_eq!(rows.len(), 16, "4 sessions and 4 drops, nft and iptables:\n{table}");
    let wrong: Vec<&str> = rows.iter().filter(|r| !r.agrees()).map(|r| r.id.as_str()).collect();
    assert!(wrong.is_empty(), "prediction and kernel disagree on {wrong:?}:\n{table}");
    assert!(rows.iter().any(|r| r.observed_works) && rows.iter().any(|r| !r.observed_works), "{table}");
}
