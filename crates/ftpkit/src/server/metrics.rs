//! Metrics in Prometheus' text format on an optional HTTP listener ([`Builder::metrics_bind`](super::Builder)).
//!
//! What is counted is the session's ([`ServerStats`]: commands, replies by class, logins, transfers and bytes by
//! direction, data-connection failures by cause); each session adds what changed after every drain. The adapter
//! adds what only it sees: connections accepted and refused by the PROXY protocol, sessions open now, and the
//! latency of back-end operations. The listener answers `GET /metrics` and nothing else; it reads at most 8 KiB of a
//! request and gives each connection 5 s.

use crate::proto::session::server::{ServerStats, TransferCounts};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The server's totals.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Control connections accepted.
    pub connections: AtomicU64,
    /// Control connections refused by the PROXY protocol (untrusted source, bad or missing header).
    pub proxy_refused: AtomicU64,
    /// The sessions' counters, summed.
    stats: Mutex<ServerStats>,
    /// Back-end operation latency: (count, total seconds) per operation.
    storage: Mutex<BTreeMap<&'static str, (u64, f64)>>,
}

fn add(total: &mut TransferCounts, now: &TransferCounts, seen: &TransferCounts) {
    total.download += now.download.saturating_sub(seen.download);
    total.upload += now.upload.saturating_sub(seen.upload);
    total.listing += now.listing.saturating_sub(seen.listing);
}

impl Metrics {
    /// Adds what a session counted since `seen`, and moves `seen` up to `now`.
    pub fn absorb(&self, now: &ServerStats, seen: &mut ServerStats) {
        if now == seen {
            return;
        }
        let mut t = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        t.commands += now.commands.saturating_sub(seen.commands);
        for (i, n) in t.replies.iter_mut().enumerate() {
            *n += now.replies[i].saturating_sub(seen.replies[i]);
        }
        t.logins += now.logins.saturating_sub(seen.logins);
        t.failed_logins += now.failed_logins.saturating_sub(seen.failed_logins);
        add(&mut t.transfers, &now.transfers, &seen.transfers);
        add(&mut t.failed_transfers, &now.failed_transfers, &seen.failed_transfers);
        add(&mut t.bytes, &now.bytes, &seen.bytes);
        let (d, n, s) = (&mut t.data_failures, &now.data_failures, &seen.data_failures);
        d.no_connection += n.no_connection.saturating_sub(s.no_connection);
        d.refused_source += n.refused_source.saturating_sub(s.refused_source);
        d.tls_not_resumed += n.tls_not_resumed.saturating_sub(s.tls_not_resumed);
        d.tls_handshake += n.tls_handshake.saturating_sub(s.tls_handshake);
        *seen = *now;
    }

    /// One back-end operation took `took`.
    pub fn storage_op(&self, op: &'static str, took: Duration) {
        let mut m = self.storage.lock().unwrap_or_else(|p| p.into_inner());
        let e = m.entry(op).or_insert((0, 0.0));
        e.0 += 1;
        e.1 += took.as_secs_f64();
    }

    /// The text a scrape gets.
    pub fn render(&self, sessions_open: usize) -> String {
        let t = *self.stats.lock().unwrap_or_else(|p| p.into_inner());
        let mut o = String::with_capacity(4096);
        let mut family = |name: &str, kind: &str, help: &str, rows: &[(String, String)]| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in rows {
                let _ = writeln!(o, "{name}{labels} {value}");
            }
        };
        let one = |v: u64| vec![(String::new(), v.to_string())];
        family("ftpkit_sessions", "gauge", "Sessions open now.", &one(sessions_open as u64));
        let connections = self.connections.load(Ordering::Relaxed);
        family("ftpkit_connections_total", "counter", "Control connections accepted.", &one(connections));
        let refused = self.proxy_refused.load(Ordering::Relaxed);
        let help = "Control connections refused by the PROXY protocol (untrusted source, bad or missing header).";
        family("ftpkit_proxy_refused_total", "counter", help, &one(refused));
        family("ftpkit_commands_total", "counter", "Command lines received.", &one(t.commands));
        let replies: Vec<_> =
            (0..5).map(|i| (format!("{{class=\"{}xx\"}}", i + 1), t.replies[i].to_string())).collect();
        family("ftpkit_replies_total", "counter", "Replies sent, by class.", &replies);
        family("ftpkit_logins_total", "counter", "Successful logins.", &one(t.logins));
        family("ftpkit_failed_logins_total", "counter", "Refused logins.", &one(t.failed_logins));
        let by_dir = |c: &TransferCounts, extra: &str| {
            [("download", c.download), ("upload", c.upload), ("listing", c.listing)]
                .map(|(d, v)| (format!("{{direction=\"{d}\"{extra}}}"), v.to_string()))
                .to_vec()
        };
        let mut transfers = by_dir(&t.transfers, ",result=\"ok\"");
        transfers.extend(by_dir(&t.failed_transfers, ",result=\"failed\""));
        family("ftpkit_transfers_total", "counter", "Transfers, by direction and result.", &transfers);
        let help = "Bytes of completed transfers, by direction.";
        family("ftpkit_transfer_bytes_total", "counter", help, &by_dir(&t.bytes, ""));
        let f = &t.data_failures;
        let causes = [
            ("no_connection", f.no_connection),
            ("refused_source", f.refused_source),
            ("tls_not_resumed", f.tls_not_resumed),
            ("tls_handshake", f.tls_handshake),
        ]
        .map(|(c, v)| (format!("{{cause=\"{c}\"}}"), v.to_string()));
        let help = "Data connections that could not be set up, by cause.";
        family("ftpkit_data_connection_failures_total", "counter", help, &causes);
        let ops = self.storage.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let _ = writeln!(
            o,
            "# HELP ftpkit_storage_operation_seconds Storage back-end operations, by operation.\n\
             # TYPE ftpkit_storage_operation_seconds summary"
        );
        for (op, (count, sum)) in ops {
            let _ = writeln!(o, "ftpkit_storage_operation_seconds_sum{{op=\"{op}\"}} {sum}");
            let _ = writeln!(o, "ftpkit_storage_operation_seconds_count{{op=\"{op}\"}} {count}");
        }
        o
    }
}

/// Serves `GET /metrics` on `listener` until `stop` says so.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: std::sync::Arc<super::Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let (mut stream, _) = tokio::select! {
            _ = stop.changed() => return,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), async move {
                let mut buf = vec![0u8; 8192];
                let mut n = 0;
                // The request line and headers, up to the blank line (or 8 KiB).
                while n < buf.len() && !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += k,
                    }
                }
                let line = buf[..n].split(|b| *b == b'\n').next().unwrap_or_default();
                let (status, body) = if line.starts_with(b"GET /metrics ") || line.starts_with(b"GET /metrics?") {
                    let Some(m) = &shared.metrics else { return };
                    ("200 OK", m.render(shared.sessions.load(Ordering::Acquire)))
                } else {
                    ("404 Not Found", "GET /metrics\n".to_owned())
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
                let _ = stream.shutdown().await;
            })
            .await;
        });
    }
}
