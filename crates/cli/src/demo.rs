//! `ftpkit demo`: the embedded server on 127.0.0.1, one active and one passive session with the blocking client,
//! and the annotated exchange: every line, each host-port tuple decoded, the seed's numbered steps with the live
//! ports, whose firewall sees an inbound connection, and the rules each side's firewall needs. Then an FTPS round
//! (explicit TLS, passive, a certificate made on the spot): every data connection resumes the control
//! connection's TLS session, which the server requires, and no firewall helper can read the 227 any more.
//!
//! Everything explained comes from the core (`explain::endpoint_sentence`, `timeline::build`, `firewall::rules`);
//! this module runs the sessions and lays the texts out.

use crate::trace::{DataSockets, Echo, Recorder, TlsStep};
use crate::transfer::{Session, TransferError};
use crate::url::{FtpUrl, ANONYMOUS_PASS, ANONYMOUS_USER};
use ftpkit::client::{ClientMode, Options, TlsMode, TlsPolicy as ClientTls};
use ftpkit::server::{Server, TlsPolicy, TlsReuse};
use ftpkit::tls::TlsConfig;
use ftpkit_proto::explain::endpoint_sentence;
use ftpkit_proto::firewall::{self, Mode as FwMode, PortRange, Ports, Side};
use ftpkit_proto::session::server::ServerConfig;
use ftpkit_proto::timeline::Timeline;
use ftpkit_proto::transcript::{self, Item};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `ftpkit demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write one JSON object (both sessions: lines, decoded items, timelines, firewall rules) instead of text.
    #[arg(long)]
    json: bool,
}

/// The file the sessions download.
const README: &str = "readme.txt";
const README_TEXT: &str = "Hello from the ftpkit demo.\n\
    This file travelled over an FTP data connection.\n";

/// What one session did.
struct Run {
    mode: ClientMode,
    /// The FTPS round.
    tls: bool,
    recorder: Recorder,
    listing: Vec<String>,
    retrieved: Vec<u8>,
}

fn fw_mode(m: ClientMode) -> FwMode {
    match m {
        ClientMode::Active => FwMode::Active,
        ClientMode::Passive => FwMode::Passive,
    }
}

fn mode_name(m: ClientMode) -> &'static str {
    match m {
        ClientMode::Active => "active",
        ClientMode::Passive => "passive",
    }
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

fn fail(what: &str) -> impl Fn(TransferError) -> String + '_ {
    move |e| format!("demo: {what}: {e}")
}

/// One session: list, download, quit. With `ca`, explicit FTPS trusting that CA file.
fn session(addr: SocketAddr, mode: ClientMode, ca: Option<&Path>) -> Result<Run, String> {
    let url = FtpUrl {
        host: addr.ip().to_string(),
        port: addr.port(),
        user: ANONYMOUS_USER.into(),
        password: ANONYMOUS_PASS.into(),
        path: String::new(),
    };
    let label = if ca.is_some() { "FTPS" } else { mode_name(mode) };
    let tls = match ca {
        Some(ca) => (
            ClientTls { mode: TlsMode::Explicit, ..ClientTls::default() },
            TlsConfig { ca_file: Some(ca.to_path_buf()), server_name: Some(url.host.clone()), ..TlsConfig::default() },
        ),
        None => (ClientTls::default(), TlsConfig::default()),
    };
    // Passive with PASV, so the 227 shows the seed's h1,h2,h3,h4,p1,p2 tuple and its port arithmetic.
    let opts = Options { mode, extended_passive: false, ..Options::default() };
    let mut s = Session::open_tls(&url, opts, Echo::Quiet, tls).map_err(fail(label))?;
    let wrap = |source| TransferError::Ftp { what: format!("{label} session"), source };
    let entries = s.client.list(None).map_err(wrap).map_err(fail(label))?;
    let mut retrieved = Vec::new();
    s.client.retrieve_to(README, &mut retrieved).map_err(wrap).map_err(fail(label))?;
    let recorder = s.recorder.clone();
    s.quit().map_err(fail(label))?;
    let listing = entries.iter().map(|e| e.name.to_string()).collect();
    Ok(Run { mode, tls: ca.is_some(), recorder, listing, retrieved })
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made on the spot as PEM files in `dir`: (CA file for
/// the client, server certificate, server key).
fn make_certs(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let err = |e: rcgen::Error| format!("demo: certificate: {e}");
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "ftpkit demo CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let key = KeyPair::generate().map_err(err)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).map_err(err)?;
    leaf.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    leaf.distinguished_name.push(DnType::CommonName, "ftpkit demo server");
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(err)?;
    let paths = (dir.join("demo-ca.pem"), dir.join("demo-cert.pem"), dir.join("demo-key.pem"));
    for (path, pem) in [(&paths.0, ca_cert.pem()), (&paths.1, cert.pem()), (&paths.2, key.serialize_pem())] {
        std::fs::write(path, pem).map_err(|e| format!("demo: {}: {e}", path.display()))?;
    }
    Ok(paths)
}

/// The firewall ports of this server: its real control port, its passive range (the server's default, the demo
/// sets none), and port 20 as the active source when the session showed it (else the ephemeral range: the server
/// falls back to one when it cannot bind port 20).
fn ports(control: u16, active_source: Option<u16>) -> Ports {
    let ports = Ports::default();
    let mut ports = ports.with_control(control).unwrap_or(ports);
    let pasv = ServerConfig::default().passive_ports;
    if let Ok(r) = PortRange::new(*pasv.start(), *pasv.end()) {
        ports = ports.with_passive(r);
    }
    match active_source {
        Some(20) | None => ports,
        Some(_) => ports.with_active_source(PortRange::UNPRIVILEGED),
    }
}

/// Runs the demo.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let dir = tempfile::Builder::new().prefix("ftpkit-demo-").tempdir().map_err(|e| format!("demo: temp dir: {e}"))?;
    let root = dir.path();
    let write = |p: &str, bytes: &[u8]| std::fs::write(root.join(p), bytes).map_err(|e| format!("demo: {p}: {e}"));
    write(README, README_TEXT.as_bytes())?;
    std::fs::create_dir(root.join("pub")).map_err(|e| format!("demo: pub: {e}"))?;
    write("pub/notes.txt", b"Active: the server dials the client. Passive: the client dials the server.\n")?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("demo: runtime: {e}"))?;
    // The certificates live outside the served tree.
    let certs = tempfile::Builder::new().prefix("ftpkit-demo-tls-").tempdir().map_err(|e| format!("demo: {e}"))?;
    let (ca, cert, key) = make_certs(certs.path())?;
    let bind: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    // TLS offered, not required (the first two rounds are in clear); a protected data connection that does not
    // resume its control connection's session is refused (522).
    let policy = TlsPolicy { reuse: TlsReuse::Require, ..TlsPolicy::default() };
    let server = rt
        .block_on(Server::builder(root).bind(bind).anonymous(true).tls_pem(&cert, &key).tls_policy(policy).build())
        .map_err(|e| format!("demo: cannot start the server on 127.0.0.1: {e}"))?;
    let addr = server.local_addr().map_err(|e| format!("demo: {e}"))?;
    let handle = server.handle();
    let task = rt.spawn(server.run());
    let runs = [(ClientMode::Active, None), (ClientMode::Passive, None), (ClientMode::Passive, Some(ca.as_path()))]
        .map(|(m, ca)| session(addr, m, ca));
    rt.block_on(handle.shutdown());
    let _ = rt.block_on(task);
    let runs = runs.into_iter().collect::<Result<Vec<Run>, String>>()?;
    for r in &runs {
        if r.retrieved != README_TEXT.as_bytes() {
            return Err(format!("demo: {} session: {README} arrived altered", mode_name(r.mode)));
        }
    }

    let out = if args.json { format!("{}\n", json_report(addr, &runs)) } else { text_report(addr, &runs) };
    io::stdout().lock().write_all(out.as_bytes()).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// The endpoint sentences of the decoded lines, by line number.
fn sentences(items: &[Item]) -> BTreeMap<usize, String> {
    items.iter().filter_map(|i| i.endpoint().map(|ep| (i.line(), endpoint_sentence(ep)))).collect()
}

fn server_data_port(r: &Run) -> Option<u16> {
    r.recorder.data_sockets().first().map(|d: &DataSockets| d.remote.port())
}

fn text_report(addr: SocketAddr, runs: &[Run]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ftpkit demo: the embedded FTP server on {addr} serves a temporary directory; the ftpkit client logs in \
         anonymously, lists it (LIST or MLSD) and downloads {README} (RETR), once in active and once in passive mode, \
         then once more in passive mode over FTPS.\n"
    );
    for r in runs {
        let mode = fw_mode(r.mode);
        let (title, how) = match (r.tls, r.mode) {
            (true, _) => (
                "FTPS ROUND",
                "explicit TLS (AUTH TLS, then PBSZ 0 and PROT P), passive: every data connection must resume the \
                 control connection's TLS session, or the server refuses it (522)",
            ),
            (false, ClientMode::Active) => ("ACTIVE MODE", "the client listens, the server connects back (PORT/EPRT)"),
            (false, ClientMode::Passive) => ("PASSIVE MODE", "the server listens, the client connects (PASV)"),
        };
        let _ = writeln!(s, "=== {title}: {how} ===");
        if let Some((c, sv)) = r.recorder.control() {
            let _ = writeln!(s, "control connection: client {c} -> server {sv}");
        }
        let lines = r.recorder.lines();
        let items = transcript::decode(&lines.join("\n"));
        let notes = sentences(&items);
        let _ = writeln!(s, "\nThe control exchange (ftp -d style, ---> is the client):");
        for (i, line) in lines.iter().enumerate() {
            let _ = writeln!(s, "{:>4}  {line}", i + 1);
            if let Some(note) = notes.get(&(i + 1)) {
                let _ = writeln!(s, "        = {note}");
            }
        }
        let handshakes = r.recorder.tls_steps();
        if r.tls {
            let _ = writeln!(s, "\nThe TLS handshakes (the control connection's first, then one per data connection):");
            let mut data = 0;
            for h in &handshakes {
                data += usize::from(h.data);
                let _ = writeln!(s, "  {}", tls_sentence(h, data));
            }
        }
        let tl: Timeline = r.recorder.timeline();
        let _ = writeln!(
            s,
            "\nWho connected to whom (the seed's numbered steps, with this session's addresses and ports):"
        );
        for l in ftpkit_proto::timeline::render_text(&tl).lines() {
            let _ = writeln!(s, "  {l}");
        }
        if r.tls {
            let data: Vec<&TlsStep> = handshakes.iter().filter(|h| h.data).collect();
            let _ = writeln!(
                s,
                "\nResult: {} of {} data connections resumed the control connection's TLS session; the listing named \
                 {} ({}); {README} arrived whole, {} bytes. The firewall rules are the passive round's, with one \
                 difference the warnings above give: no FTP helper can read the 227 inside TLS, so the passive range \
                 must be open as such.\n",
                data.iter().filter(|h| h.info.resumed).count(),
                data.len(),
                r.listing.len(),
                r.listing.join(", "),
                r.retrieved.len()
            );
            continue;
        }
        let why = firewall::explain(mode, Side::Client);
        let inbound = side_name(why.inbound_data_at);
        let _ = writeln!(
            s,
            "\nWhich firewall sees a new inbound connection: the {inbound}'s (step 3 of each data connection)."
        );
        let _ = writeln!(s, "  {}", firewall::explain(mode, why.inbound_data_at).summary);
        let _ = writeln!(s, "  NAT: {}", why.nat);
        let control_port = r.recorder.control().map_or(21, |c| c.1.port());
        let ports = ports(control_port, server_data_port(r).filter(|_| r.mode == ClientMode::Active));
        for side in [Side::Server, Side::Client] {
            let e = firewall::explain(mode, side);
            let _ = writeln!(
                s,
                "\nThe {}'s firewall, {} mode ({}):",
                side_name(side),
                mode_name(r.mode),
                if e.needs_inbound_data { "must accept a new inbound data connection" } else { "data only outbound" }
            );
            for l in firewall::render_text(&firewall::rules(mode, side, &ports)).lines() {
                let _ = writeln!(s, "  {l}");
            }
        }
        let _ = writeln!(
            s,
            "\nResult: the listing named {} ({}); {README} arrived whole, {} bytes.\n",
            r.listing.len(),
            r.listing.join(", "),
            r.retrieved.len()
        );
    }
    s.push_str(
        "The same explanations for any transcript: ftpkit explain FILE (an `ftp -d` log), ftpkit decode LINE, \
         ftpkit firewall --mode M --side S; a live trace: ftpkit ls|get|put --trace URL.\n",
    );
    s
}

/// One handshake in words (`index`: the data connection's number).
fn tls_sentence(h: &TlsStep, index: usize) -> String {
    format!(
        "{}: {}, {}, {}",
        if h.data { format!("data connection {index}") } else { "control connection".to_owned() },
        h.info.version,
        h.info.cipher,
        if h.info.resumed { "resumed the control connection's session" } else { "full handshake" }
    )
}

fn json_report(addr: SocketAddr, runs: &[Run]) -> Value {
    let sessions: Vec<Value> = runs
        .iter()
        .map(|r| {
            let mode = fw_mode(r.mode);
            let lines = r.recorder.lines();
            let items = transcript::decode(&lines.join("\n"));
            let control_port = r.recorder.control().map_or(21, |c| c.1.port());
            let ports = ports(control_port, server_data_port(r).filter(|_| r.mode == ClientMode::Active));
            let rules = |side| {
                serde_json::from_str::<Value>(&firewall::render_json(&firewall::rules(mode, side, &ports)))
                    .unwrap_or(Value::Null)
            };
            let why = firewall::explain(mode, Side::Client);
            let handshakes: Vec<Value> = r
                .recorder
                .tls_steps()
                .iter()
                .map(|h| {
                    json!({
                        "connection": if h.data { "data" } else { "control" },
                        "version": h.info.version,
                        "cipher": h.info.cipher,
                        "resumed": h.info.resumed,
                    })
                })
                .collect();
            json!({
                "mode": mode_name(r.mode),
                "tls": r.tls,
                "tls_handshakes": handshakes,
                "control": r.recorder.control().map(|(c, s)| json!({ "client": c.to_string(), "server": s.to_string() })),
                "lines": lines,
                "items": items.iter().map(crate::decode::to_json).collect::<Vec<_>>(),
                "timeline": crate::explain::timeline_json(&r.recorder.timeline()),
                "inbound_data_at": side_name(why.inbound_data_at),
                "firewall": { "server": rules(Side::Server), "client": rules(Side::Client) },
                "listing": r.listing,
                "retrieved": { "path": README, "bytes": r.retrieved.len() },
            })
        })
        .collect();
    json!({ "server": addr.to_string(), "sessions": sessions })
}
