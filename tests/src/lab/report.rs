//! The table as Markdown, and `docs/LAB.md` around it.

use super::balancer::{self, Check};
use super::scenarios::Row;
use ftpkit::proto::firewall::At;
use std::fmt::Write as _;

/// `step 3, the client's firewall`, or `-`.
pub fn place(at: Option<(u8, At)>) -> String {
    match at {
        Some((step, at)) => format!("step {step}, {}", at.phrase()),
        None => "-".to_owned(),
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The table in Markdown: scenario, mode, predicted, observed, agreement, evidence.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from("| # | scenario | topology | mode | ftpkit predicts | the kernel did | fails where (predicted / observed) | agree | evidence |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for r in rows {
        let ev: Vec<String> = r.evidence.iter().map(|e| format!("`{}`", e.replace('`', "'"))).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} / {} | {} | {} |",
            r.spec.id,
            cell(r.spec.title),
            cell(r.spec.topology.name()),
            r.spec.mode(),
            cell(&r.predicted),
            cell(&r.observed),
            place(r.predicted_at),
            place(r.observed_at),
            if r.agrees() { "yes" } else { "**NO**" },
            cell(&ev.join("<br>")),
        );
    }
    s
}

/// The load balancer's rows in Markdown: what is tried, the core's verdict, what happened, evidence.
pub fn balancer_markdown(rows: &[Check]) -> String {
    let mut s = String::from(
        "| # | rules | what | ftpkit predicts | the kernel did | agree | evidence |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in rows {
        let ev: Vec<String> = r.evidence.iter().map(|e| format!("`{}`", e.replace('`', "'"))).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.form,
            cell(&r.what),
            cell(&r.predicted),
            cell(&r.observed),
            if r.agrees() { "yes" } else { "**NO**" },
            cell(&ev.join("<br>")),
        );
    }
    s
}

/// docs/LAB.md: what the lab is, how to run it, and the table of the last run.
pub fn document(rows: &[Row], balanced: &[Check], rulesets: usize, seconds: f64) -> String {
    let agree = rows.iter().filter(|r| r.agrees()).count();
    let balanced_agree = balanced.iter().filter(|r| r.agrees()).count();
    format!(
        "# The lab: ftpkit's firewall and NAT predictions against the Linux kernel\n\n\
         <!-- written by `cargo xtask lab`; do not edit by hand -->\n\n\
         The firewall and NAT claims behind `ftpkit firewall` and `ftpkit explain` (the seed's scenarios) are rows\n\
         below, measured: the hosts are Linux network namespaces joined by veth pairs (documentation addresses\n\
         192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, which exist only inside them), each host loads the nftables\n\
         rules `ftpkit firewall` prints (the iptables form in the rows that say so), a NAT router loads `ftpkit firewall\n\
         --nat ...`, and real sessions run across them (`ftpkit serve` or vsftpd on port 21; `ftpkit ls` or curl). The\n\
         prediction column is `ftpkit_proto::firewall::predict` on the same set-up (or, for a bare\n\
         connection, the rules' own `Guard::admits_new`); the lab never decides an outcome. The evidence is the client's\n\
         `--trace` lines, the PORT/227 lines as captured by tcpdump on each side when a router rewrote them, the data\n\
         connections' SYNs, and the kernel's conntrack table for the helper rows. A row agrees when both work, or both fail\n\
         at the same step and place: where the kernel stopped it is read from the client's words (a 5xx to PORT/EPRT: the\n\
         server refused; \"unreachable\": no route) and the captures (a data SYN that reached the accepting host\n\
         unanswered: that host's firewall dropped it).\n\n\
         Run it: `cargo xtask lab` (root; prints this table and writes this file), `cargo xtask lab --test` (the\n\
         integration tests `tests/tests/lab.rs`, part of `cargo xtask ci`). The harness is `tests/src/lab/`.\n\n\
         **Last run:** {agree} of {} rows agree; {rulesets} rulesets (every mode and side, with and without\n\
         `--conntrack-helper`, and the `--nat` variants; nft and iptables) load with `nft -c -f` and\n\
         `iptables-restore --test`; {seconds:.0} s on 2 cores.\n\n{}\n\
         Notes\n\n\
         - 2a: the server's SYNs from port 20 reach the client's host and are dropped by its firewall (the seed's \"main\n\
           problem with active mode\"); 2c: with `--conntrack-helper` the client's kernel reads the outgoing PORT and lets\n\
           exactly that connection in as `related`.\n\
         - 4b: the server refuses the PORT because it names 192.0.2.2 while the control connection comes from\n\
           203.0.113.1 (ftpkit's bounce protection); without it the server would dial an address it has no route to.\n\
           4c: the captures show the router's FTP helper rewriting the PORT line between the two sides.\n\
         - 5a: the client dials the private 198.51.100.10 the 227 names and has no route to it.\n\
         - 7a: under FTPS the router's helper sees only TLS records, so the EPRT/PORT reach the server with the private\n\
           address, as predicted.\n\
         - 7b-7d: after CCC (`serve --allow-ccc`) the control connection is in clear again, but Linux's FTP helper\n\
           (`nf_conntrack_ftp.c`, `find_nl_seq`) parses a segment only when it starts right after a newline it saw in that\n\
           direction, and the TLS records gave it none: the first clear line after CCC goes unread and only\n\
           resynchronises it. So ftpkit's client sends one NOOP in clear right after CCC, before anything that carries\n\
           an address. Observed: `ftpkit get --tls --ccc` (NOOP, SIZE, PORT) has its PORT read and rewritten to\n\
           203.0.113.1 and the file arrives over a protected data connection (7b); curl sends PWD first and its EPRT is\n\
           rewritten (7c); `ftpkit ls --tls --ccc` sends its PORT right after the NOOP, and it is rewritten too (7d;\n\
           before the NOOP the PORT was the first clear line, went unread and was refused with 192.0.2.2). All three on\n\
           both sides of the router. `firewall::predict` models it as `ControlTls::ClearedByCcc {{ resynced }}`\n\
           (`ftpkit firewall --predict --tls --ccc first|resynced`; `first` is a client that sends the PORT first). curl\n\
           keeps its data in clear here (`--ftp-ssl-control`): curl 7.87-7.88 (Debian 12's) never starts TLS on an\n\
           active-mode data connection (curl issue 10666, fixed in 8.0), against vsftpd as against ftpkit.\n\n\
         ## Instances behind a load balancer (`ftpkit firewall --balancer`)\n\n\
         Four namespaces: the client ({client}) and the load balancer ({public}) on one link; the load balancer and\n\
         two instances, a ({a}) and b ({b}), on a private segment (a bridge inside the load balancer's namespace,\n\
         its one source address {source}). The load balancer does not forward: the only way in is through HAProxy.\n\
         Everything comes from one run of\n\n\
         ```sh\n\
         ftpkit firewall {args}\n\
         ```\n\n\
         (and the same with `--format iptables`), split at its `# ==== ... ====` headings: the load balancer loads its\n\
         host's rules, each instance its own, Debian's HAProxy runs the printed configuration in the load balancer's\n\
         namespace, and each instance runs `ftpkit serve` with its printed flags (plus a user who may write) over one\n\
         shared folder. The sessions run in order, so HAProxy's round robin sends each download\n\
         to the instance that did not take the upload; which instance served a session is read from the instances'\n\
         logs. Each dropped connection first connects without the rules (a listener is there); the rows say which\n\
         rules were loaded when it was tried. The prediction is the core's `Guard::admits_new_between` over\n\
         `Balanced`'s channels (addresses compared, as the printed `ip saddr`/`daddr` do). Harness:\n\
         `tests/src/lab/balancer.rs`.\n\n\
         **Last run:** {balanced_agree} of {} rows agree.\n\n{}",
        rows.len(),
        markdown(rows),
        balanced.len(),
        balancer_markdown(balanced),
        client = balancer::CLIENT,
        public = balancer::PUBLIC,
        a = balancer::INSTANCES[0],
        b = balancer::INSTANCES[1],
        source = balancer::SOURCE,
        args = balancer::firewall_args(false).join(" "),
    )
}
