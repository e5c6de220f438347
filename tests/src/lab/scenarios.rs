//! The scenarios of issue 18 as one table: each row's prediction from the core's firewall model, its outcome in the
//! kernel, and the lines and packets that show it.
//!
//! A row is a [`Spec`]: a topology, the rules each host loads (what `ftpkit firewall` prints for a mode and side,
//! with or without `--conntrack-helper`; `ftpkit firewall --nat` on the router), how the server is started
//! (`--pasv-range`, `--masquerade`) and what the client does (a listing in active or passive mode, or a bare TCP
//! connect to a port). The prediction is [`predict`] on the [`Path`] the spec describes (or, for a connect,
//! [`Guard::admits_new`]); the lab never decides an outcome itself. A row whose prediction and outcome differ is a
//! bug in one of them.

use super::evidence::{capture, control_lines, describe_flows, observed_failure, syn_flows, trace_lines};
use super::net::{Bg, Host, Lab, Topology};
pub use super::report::{balancer_markdown, document, markdown, place};
pub use super::rules::check_rules_load;
use super::{ftpkit_bin, program};
use crate::process::run_with_timeout;
use crate::{Error, Result};
use ftpkit::proto::firewall::{
    predict, rules, At, ControlTls, DataMatch, Direction, Guard, Mode, Nat, NewConnection, Path, PortRange, Ports, Side,
};
use std::path::Path as FsPath;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The passive range of the rows that set one.
pub const PASV_RANGE: (u16, u16) = (30000, 30009);
/// The port of the extra listener a connect row probes (outside the passive range).
pub const PROBE_PORT: u16 = 40000;
/// The served file's content.
const HELLO: &[u8] = b"hello from the lab\n";
/// The client's `--timeout` in seconds: how long a dropped connection is waited for.
const CLIENT_TIMEOUT: &str = "4";

/// What the client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `ftpkit ls` (a listing over one data connection).
    List {
        /// Active or passive.
        mode: Mode,
        /// Passive with PASV only (`--pasv`), not EPSV.
        pasv_only: bool,
        /// `--pasv-address trust`: dial the address a 227 names.
        trust_227: bool,
    },
    /// `ftpkit get` of `hello.txt` in active mode (PORT), which sends SIZE before the PORT.
    GetActive,
    /// A plain TCP connect from the client to the server's port `PROBE_PORT`, where a listener waits.
    Connect,
    /// curl in active mode (`-P -`: EPRT, then PORT), in clear or under the row's [`Spec::tls`]: explicit FTPS on
    /// the control connection only (`--ftp-ssl-control`: data in clear), and with CCC after login
    /// (`--ftp-ssl-ccc --ftp-ssl-ccc-mode active`). (Data stays in clear: curl 7.87-7.88 never starts TLS on an
    /// active-mode data connection under PROT P, against any server (curl issue 10666, fixed in 8.0), which is not
    /// what these rows are about.)
    CurlActive,
}

/// One row's set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The scenario number and a letter.
    pub id: &'static str,
    /// What the row shows.
    pub title: &'static str,
    /// The network.
    pub topology: Topology,
    /// The client host's rules: `ftpkit firewall --mode M --side client` in this form.
    pub client_fw: Option<(Mode, DataMatch)>,
    /// The server host's rules: `ftpkit firewall --mode M --side server` in this form.
    pub server_fw: Option<(Mode, DataMatch)>,
    /// The router's rules carry `--conntrack-helper`.
    pub nat_helper: bool,
    /// The server and the rules use `--pasv-range` [`PASV_RANGE`].
    pub pasv_range: bool,
    /// The server runs with `--masquerade` (the router's public address; vsftpd: `pasv_address`).
    pub masquerade: bool,
    /// The server is vsftpd (active data from port 20, `pasv_min_port`/`pasv_max_port` for the range) instead of
    /// `ftpkit serve`.
    pub vsftpd: bool,
    /// Every host loads the iptables form (`--format iptables`, `iptables-restore`) instead of nftables.
    pub iptables: bool,
    /// FTPS: the server runs with `--tls-cert` (and `--allow-ccc` for [`ControlTls::ClearedByCcc`]); the client
    /// uses explicit FTPS (`ftpkit ls --tls`, curl `--ftp-ssl-control`), and sends CCC after login for
    /// `ClearedByCcc` (`ftpkit ls --tls --ccc`, curl `--ftp-ssl-ccc`). The core's [`Path::tls`] as is.
    pub tls: ControlTls,
    /// What the client does.
    pub action: Action,
}

const fn list(mode: Mode) -> Action {
    Action::List { mode, pasv_only: false, trust_227: false }
}

const BASE: Spec = Spec {
    id: "",
    title: "",
    topology: Topology::Direct,
    client_fw: None,
    server_fw: None,
    nat_helper: false,
    pasv_range: false,
    masquerade: false,
    vsftpd: false,
    iptables: false,
    tls: ControlTls::Clear,
    action: Action::Connect,
};

/// The rows, in the order.
pub fn specs() -> Vec<Spec> {
    use DataMatch::{Helper, Ports as ByPorts};
    use Mode::{Active as A, Passive as P};
    use Topology::{ClientNat, ServerNat};
    let pasv_227 = |trust_227| Action::List { mode: P, pasv_only: true, trust_227 };
    vec![
        Spec { id: "1a", title: "no firewalls", action: list(A), ..BASE },
        Spec { id: "1b", title: "no firewalls", action: list(P), ..BASE },
        Spec {
            id: "2a",
            title: "client firewall: the seed's client rules (out new, in established)",
            client_fw: Some((P, ByPorts)),
            action: list(A),
            ..BASE
        },
        Spec {
            id: "2b",
            title: "client firewall: the seed's client rules (out new, in established)",
            client_fw: Some((P, ByPorts)),
            action: list(P),
            ..BASE
        },
        Spec {
            id: "2c",
            title: "client firewall: the same with --conntrack-helper",
            client_fw: Some((P, Helper)),
            action: list(A),
            ..BASE
        },
        Spec {
            id: "3a",
            title: "server firewall: port 21 only (active rules)",
            server_fw: Some((A, ByPorts)),
            action: list(A),
            ..BASE
        },
        Spec {
            id: "3b",
            title: "server firewall: port 21 only (active rules)",
            server_fw: Some((A, ByPorts)),
            action: list(P),
            ..BASE
        },
        Spec {
            id: "3c",
            title: "server firewall: passive rules with --pasv-range 30000-30009, serve --pasv-range",
            server_fw: Some((P, ByPorts)),
            pasv_range: true,
            action: list(P),
            ..BASE
        },
        Spec {
            id: "3d",
            title: "the same rules: a connection to port 40000 (a listener, outside the range)",
            server_fw: Some((P, ByPorts)),
            pasv_range: true,
            action: Action::Connect,
            ..BASE
        },
        Spec {
            id: "4a",
            title: "client behind a masquerading NAT router",
            topology: ClientNat,
            action: list(P),
            ..BASE
        },
        Spec {
            id: "4b",
            title: "client behind a masquerading NAT router",
            topology: ClientNat,
            action: list(A),
            ..BASE
        },
        Spec {
            id: "4c",
            title: "client behind the NAT router with its FTP helper (--nat client --conntrack-helper)",
            topology: ClientNat,
            nat_helper: true,
            action: list(A),
            ..BASE
        },
        Spec {
            id: "5a",
            title: "server behind port forwarding, 227 names its private address, client trusts 227",
            topology: ServerNat,
            pasv_range: true,
            action: pasv_227(true),
            ..BASE
        },
        Spec {
            id: "5b",
            title: "the same with serve --masquerade 203.0.113.1",
            topology: ServerNat,
            pasv_range: true,
            masquerade: true,
            action: pasv_227(true),
            ..BASE
        },
        Spec {
            id: "5c",
            title: "private 227, client's default policy (dial the control connection's address)",
            topology: ServerNat,
            pasv_range: true,
            action: pasv_227(false),
            ..BASE
        },
        Spec {
            id: "5d",
            title: "private address, EPSV (229 names no address)",
            topology: ServerNat,
            pasv_range: true,
            action: Action::List { mode: P, pasv_only: false, trust_227: true },
            ..BASE
        },
        Spec {
            id: "6a",
            title: "server firewall: --conntrack-helper (port 21 + ct helper, data only as related)",
            server_fw: Some((P, Helper)),
            action: list(P),
            ..BASE
        },
        Spec {
            id: "6b",
            title: "the same rules: a connection to port 40000 (a listener, another high port)",
            server_fw: Some((P, Helper)),
            action: Action::Connect,
            ..BASE
        },
        Spec {
            id: "3e",
            title: "3c with vsftpd (pasv_min_port/pasv_max_port 30000-30009) as the server",
            server_fw: Some((P, ByPorts)),
            pasv_range: true,
            vsftpd: true,
            action: list(P),
            ..BASE
        },
        Spec {
            id: "3f",
            title: "3a with vsftpd (connect_from_port_20=YES) as the server",
            server_fw: Some((A, ByPorts)),
            vsftpd: true,
            action: list(A),
            ..BASE
        },
        Spec {
            id: "3g",
            title: "3b with vsftpd: passive behind port-21-only rules",
            server_fw: Some((A, ByPorts)),
            pasv_range: true,
            vsftpd: true,
            action: list(P),
            ..BASE
        },
        Spec {
            id: "5e",
            title: "5b with vsftpd (pasv_address=203.0.113.1) as the server",
            topology: ServerNat,
            pasv_range: true,
            masquerade: true,
            vsftpd: true,
            action: Action::List { mode: P, pasv_only: true, trust_227: true },
            ..BASE
        },
        Spec {
            id: "2d",
            title: "2a with the iptables form (policy DROP, RELATED,ESTABLISHED)",
            client_fw: Some((P, ByPorts)),
            iptables: true,
            action: list(A),
            ..BASE
        },
        Spec {
            id: "2e",
            title: "2c with the iptables form (raw table CT --helper ftp, iptables-restore)",
            client_fw: Some((P, Helper)),
            iptables: true,
            action: list(A),
            ..BASE
        },
        Spec {
            id: "3h",
            title: "3c with the iptables form",
            server_fw: Some((P, ByPorts)),
            pasv_range: true,
            iptables: true,
            action: list(P),
            ..BASE
        },
        Spec {
            id: "3i",
            title: "3h's rules: a connection to port 40000",
            server_fw: Some((P, ByPorts)),
            pasv_range: true,
            iptables: true,
            action: Action::Connect,
            ..BASE
        },
        Spec {
            id: "4e",
            title: "4c with the router's iptables form (raw CT --helper ftp, nat SNAT)",
            topology: ClientNat,
            nat_helper: true,
            iptables: true,
            action: list(A),
            ..BASE
        },
        Spec {
            id: "4d",
            title: "4c with curl as the client",
            topology: ClientNat,
            nat_helper: true,
            action: Action::CurlActive,
            ..BASE
        },
        Spec {
            id: "7a",
            title: "4d under FTPS (curl --ftp-ssl-control): the router's helper cannot read EPRT inside TLS",
            topology: ClientNat,
            nat_helper: true,
            tls: ControlTls::Protected,
            action: Action::CurlActive,
            ..BASE
        },
        // After CCC the PORT/EPRT is read only when another clear line came first (the core's `resynced`): ftpkit's
        // client sends a NOOP right after CCC (then `get` its SIZE), curl PWD.
        Spec {
            id: "7b",
            title: "4c under FTPS, CCC after login (get --tls --ccc, serve --allow-ccc; data PROT P): SIZE, then PORT",
            topology: ClientNat,
            nat_helper: true,
            tls: ControlTls::ClearedByCcc { resynced: true },
            action: Action::GetActive,
            ..BASE
        },
        Spec {
            id: "7c",
            title: "7a with CCC after login (curl --ftp-ssl-ccc --ftp-ssl-ccc-mode active): PWD, then EPRT in clear",
            topology: ClientNat,
            nat_helper: true,
            tls: ControlTls::ClearedByCcc { resynced: true },
            action: Action::CurlActive,
            ..BASE
        },
        Spec {
            id: "7d",
            title: "7b with ftpkit ls: its NOOP after CCC resyncs the helper, then PORT (no SIZE first)",
            topology: ClientNat,
            nat_helper: true,
            tls: ControlTls::ClearedByCcc { resynced: true },
            action: list(A),
            ..BASE
        },
    ]
}

impl Spec {
    /// The `ftpkit firewall --format` the row loads.
    fn format(&self) -> &'static str {
        if self.iptables {
            "iptables"
        } else {
            "nft"
        }
    }

    fn ports(&self) -> Ports {
        let p = Ports::default();
        match (self.pasv_range, PortRange::new(PASV_RANGE.0, PASV_RANGE.1)) {
            (true, Ok(r)) => p.with_passive(r),
            _ => p,
        }
    }

    fn guard(&self, fw: Option<(Mode, DataMatch)>, side: Side) -> Option<Guard> {
        fw.map(|(mode, data)| Guard::new(rules(mode, side, &self.ports()), data))
    }

    /// The mode column.
    pub fn mode(&self) -> &'static str {
        match (self.action, self.tls) {
            (Action::List { mode: Mode::Active, .. }, ControlTls::ClearedByCcc { .. }) => {
                "active (PORT), FTPS then CCC"
            }
            (Action::GetActive, ControlTls::ClearedByCcc { .. }) => "active (PORT), get, FTPS then CCC",
            (Action::CurlActive, ControlTls::Protected) => "active (EPRT), curl, FTPS control",
            (Action::CurlActive, ControlTls::ClearedByCcc { .. }) => "active (EPRT), curl, FTPS then CCC",
            _ => self.plain_mode(),
        }
    }

    fn plain_mode(&self) -> &'static str {
        match self.action {
            Action::List { mode: Mode::Active, .. } => "active (PORT)",
            Action::List { mode: Mode::Passive, pasv_only: true, .. } => "passive (PASV)",
            Action::List { mode: Mode::Passive, .. } => "passive (EPSV)",
            Action::Connect => "TCP connect",
            Action::CurlActive => "active (EPRT), curl",
            Action::GetActive => "active (PORT), get",
        }
    }

    /// The core's prediction: (works, summary, where it fails).
    pub fn prediction(&self) -> (bool, String, Option<(u8, At)>) {
        let ports = self.ports();
        match self.action {
            Action::Connect => {
                let conn = NewConnection {
                    direction: Direction::Inbound,
                    local: PortRange::single(PROBE_PORT).unwrap_or(PortRange::UNPRIVILEGED),
                    remote: PortRange::UNPRIVILEGED,
                };
                match self.guard(self.server_fw, Side::Server) {
                    Some(g) if !g.admits_new(&conn) => (
                        false,
                        format!("refused: no rule of the server's firewall passes a new connection to {PROBE_PORT}"),
                        Some((3, At::ServerFirewall)),
                    ),
                    _ => (true, "connects".to_owned(), None),
                }
            }
            Action::List { .. } | Action::CurlActive | Action::GetActive => {
                let (mode, pasv_only, trust_227) = match self.action {
                    Action::List { mode, pasv_only, trust_227 } => (mode, pasv_only, trust_227),
                    _ => (Mode::Active, false, false),
                };
                let mut p = Path::new(mode, ports);
                // ftpkit's client: PORT on IPv4 in active mode, EPSV (or PASV with --pasv) in passive mode.
                // curl: EPRT in active mode.
                p.extended = (mode == Mode::Passive && !pasv_only) || self.action == Action::CurlActive;
                // Under FTPS without CCC the PORT/EPRT travels inside TLS; after CCC in clear again.
                p.tls = self.tls;
                p.client_firewall = self.guard(self.client_fw, Side::Client);
                p.server_firewall = self.guard(self.server_fw, Side::Server);
                p.nat = match self.topology {
                    Topology::Direct => None,
                    Topology::ClientNat => Some(Nat::Client { helper: self.nat_helper }),
                    Topology::ServerNat => Some(Nat::Server { helper: self.nat_helper }),
                };
                p.masquerade = self.masquerade;
                p.trust_227 = trust_227;
                let pr = predict(&p);
                (pr.works, pr.summary(), pr.failure().map(|c| (c.step, c.at)))
            }
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The set-up.
    pub spec: Spec,
    /// The core's prediction.
    pub predicted_works: bool,
    /// Its words.
    pub predicted: String,
    /// Where the prediction says it fails: (the seed's step, where).
    pub predicted_at: Option<(u8, At)>,
    /// What the kernel did.
    pub observed_works: bool,
    /// In words.
    pub observed: String,
    /// Where it failed, as the client's words and the captures show.
    pub observed_at: Option<(u8, At)>,
    /// Lines and packets that show it.
    pub evidence: Vec<String>,
}

impl Row {
    /// Prediction and outcome agree: both work, or both fail at the same step and place.
    pub fn agrees(&self) -> bool {
        self.predicted_works == self.observed_works && self.predicted_at == self.observed_at
    }
}

pub(crate) fn ftpkit_firewall(ftpkit: &FsPath, args: &[String]) -> Result<String> {
    let out = run_with_timeout(Command::new(ftpkit).arg("firewall").args(args), None, Duration::from_secs(10))?.ok()?;
    Ok(out.stdout_text())
}

fn range_arg() -> String {
    format!("{}-{}", PASV_RANGE.0, PASV_RANGE.1)
}

/// The `ftpkit firewall` arguments of a host's rules.
fn host_rule_args(spec: &Spec, (mode, data): (Mode, DataMatch), side: Side) -> Vec<String> {
    let mut a = vec![
        "--mode".into(),
        mode.name().into(),
        "--side".into(),
        side.name().into(),
        "--format".into(),
        spec.format().into(),
    ];
    if spec.pasv_range {
        a.extend(["--pasv-range".into(), range_arg()]);
    }
    if data == DataMatch::Helper {
        a.push("--conntrack-helper".into());
    }
    a
}

/// Starts vsftpd (installed when missing) on the server host's port 21, anonymous, read-only, serving `tree`;
/// returns once port 21 listens, with the settings that matter to the row.
fn start_vsftpd(lab: &Lab, spec: &Spec, tree: &FsPath) -> Result<(Bg, String)> {
    let bin = crate::install::ensure_vsftpd()?;
    let dir = lab.dir.path();
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).map_err(|e| Error::new("vsftpd", e.to_string()))?;
    let mut conf = format!(
        "listen=YES\nlisten_ipv6=NO\nlisten_address={}\nlisten_port=21\nbackground=NO\n\
         anonymous_enable=YES\nlocal_enable=NO\nno_anon_password=YES\nftp_username=ftp\nanon_root={}\n\
         pasv_enable=YES\nport_enable=YES\nconnect_from_port_20=YES\n\
         seccomp_sandbox=NO\nisolate=NO\nisolate_network=NO\nsecure_chroot_dir={}\n\
         log_ftp_protocol=YES\nvsftpd_log_file={}\nsyslog_enable=NO\n",
        lab.addrs.server,
        tree.display(),
        empty.display(),
        dir.join("vsftpd.log").display()
    );
    if spec.pasv_range {
        conf.push_str(&format!("pasv_min_port={}\npasv_max_port={}\n", PASV_RANGE.0, PASV_RANGE.1));
    }
    if let (true, Some(public)) = (spec.masquerade, lab.addrs.public) {
        conf.push_str(&format!("pasv_address={public}\n"));
    }
    let path = dir.join("vsftpd.conf");
    std::fs::write(&path, &conf).map_err(|e| Error::new("vsftpd", e.to_string()))?;
    let (b, p) = (bin.to_string_lossy().into_owned(), path.to_string_lossy().into_owned());
    let bg = lab.spawn(Host::Server, "vsftpd", &[&b, &p])?;
    let end = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = lab.server.run(&["ss", "-Hltn", "sport = :21"], None, Duration::from_secs(10))?;
        if out.stdout_text().contains(":21") {
            let settings: Vec<&str> =
                conf.lines().filter(|l| l.starts_with("pasv_") || l.starts_with("connect_from")).collect();
            return Ok((bg, settings.join(", ")));
        }
        if std::time::Instant::now() > end {
            return Err(Error::new("vsftpd", format!("not listening on port 21 within 20 s: {}", bg.stderr_text())));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Builds the row's network, loads the rules, runs it and compares.
pub fn run(spec: &Spec) -> Result<Row> {
    let ftpkit = ftpkit_bin()?;
    let ftpkit_s = ftpkit.to_string_lossy().into_owned();
    let lab = Lab::build(spec.topology)?;
    let tree = lab.dir.path().join("pub");
    std::fs::create_dir_all(&tree).map_err(|e| Error::new("lab", e.to_string()))?;
    std::fs::write(tree.join("hello.txt"), HELLO).map_err(|e| Error::new("lab", e.to_string()))?;
    let tree_s = tree.to_string_lossy().into_owned();
    let a = lab.addrs;
    let mut evidence = Vec::new();

    // The router's rules.
    if let (Some(_), Some(public)) = (&lab.router, a.public) {
        let (side, inside) = match spec.topology {
            Topology::ServerNat => ("server", a.server),
            _ => ("client", a.client),
        };
        let mut args: Vec<String> = [
            "--nat",
            side,
            "--inside",
            &inside.to_string(),
            "--public",
            &public.to_string(),
            "--format",
            spec.format(),
        ]
        .map(String::from)
        .to_vec();
        if spec.pasv_range {
            args.extend(["--pasv-range".into(), range_arg()]);
        }
        if spec.nat_helper {
            args.push("--conntrack-helper".into());
        }
        lab.load_rules(Host::Router, spec.iptables, &ftpkit_firewall(&ftpkit, &args)?)?;
        evidence.push(format!("router: `ftpkit firewall {}`", args.join(" ")));
    }

    // The server, and the listener a connect row probes.
    let certs = match spec.tls {
        ControlTls::Clear => None,
        ControlTls::Protected | ControlTls::ClearedByCcc { .. } => Some(crate::Certs::new()?),
    };
    let _server = if spec.vsftpd {
        let (bg, settings) = start_vsftpd(&lab, spec, &tree)?;
        evidence.push(format!("server: vsftpd with {settings}"));
        bg
    } else {
        let bind = format!("{}:21", a.server);
        let mut serve: Vec<String> = [ftpkit_s.as_str(), "serve", &tree_s, "--bind", &bind].map(String::from).to_vec();
        if spec.pasv_range {
            serve.extend(["--pasv-range".into(), range_arg()]);
        }
        if let (true, Some(public)) = (spec.masquerade, a.public) {
            serve.extend(["--masquerade".into(), public.to_string()]);
        }
        if let Some(c) = &certs {
            serve.extend(["--tls-cert".into(), c.cert().to_string_lossy().into_owned()]);
            serve.extend(["--tls-key".into(), c.key().to_string_lossy().into_owned()]);
        }
        if let ControlTls::ClearedByCcc { .. } = spec.tls {
            serve.push("--allow-ccc".into());
        }
        let serve_refs: Vec<&str> = serve.iter().map(String::as_str).collect();
        let mut server = lab.spawn(Host::Server, "server", &serve_refs)?;
        server.wait_for("serving", Duration::from_secs(20))?;
        server
    };
    let probe_bind = format!("{}:{PROBE_PORT}", a.server);
    let mut listener = match spec.action {
        Action::Connect => {
            let mut l = lab.spawn(Host::Server, "listener", &[&ftpkit_s, "serve", &tree_s, "--bind", &probe_bind])?;
            l.wait_for("serving", Duration::from_secs(20))?;
            Some(l)
        }
        Action::List { .. } | Action::CurlActive | Action::GetActive => None,
    };
    let probe_script = format!("exec 3<>/dev/tcp/{}/{PROBE_PORT}", a.server_dial(spec.topology));
    let probe =
        |lab: &Lab| lab.client.run(&["timeout", "3", "bash", "-c", &probe_script], None, Duration::from_secs(10));
    if listener.is_some() {
        let before = probe(&lab)?;
        if !before.success() {
            return Err(Error::new(
                spec.id,
                format!("the listener on {PROBE_PORT} is not reachable even without rules: {}", before.describe()),
            ));
        }
        evidence
            .push(format!("without the rules: connect to {}:{PROBE_PORT} succeeds (a listener is there)", a.server));
    }

    // The hosts' rules.
    for (fw, side, host) in [(spec.client_fw, Side::Client, Host::Client), (spec.server_fw, Side::Server, Host::Server)]
    {
        if let Some(fw) = fw {
            let args = host_rule_args(spec, fw, side);
            lab.load_rules(host, spec.iptables, &ftpkit_firewall(&ftpkit, &args)?)?;
            evidence.push(format!("{side}: `ftpkit firewall {}`", args.join(" ")));
        }
    }

    let (cap_c, pcap_c) = capture(&lab, Host::Client, "client-capture")?;
    let (cap_s, pcap_s) = capture(&lab, Host::Server, "server-capture")?;

    let (observed_works, observed, client_text) = match spec.action {
        Action::Connect => {
            let out = probe(&lab)?;
            let ok = out.success();
            let what = if ok {
                "connects".to_owned()
            } else {
                format!("refused: no connection within 3 s ({})", if out.timed_out { "killed" } else { "timed out" })
            };
            (ok, what, out.stderr_text())
        }
        Action::List { .. } | Action::GetActive => {
            let (mode, pasv_only, trust_227) = match spec.action {
                Action::List { mode, pasv_only, trust_227 } => (mode, pasv_only, trust_227),
                _ => (Mode::Active, false, false),
            };
            let got = lab.dir.path().join("got.txt").to_string_lossy().into_owned();
            let url = format!("ftp://{}/", a.server_dial(spec.topology));
            let file_url = format!("{url}hello.txt");
            let mut args = if spec.action == Action::GetActive {
                vec![ftpkit_s.as_str(), "get", &file_url, "-o", &got]
            } else {
                vec![ftpkit_s.as_str(), "ls", &url]
            };
            args.extend(["--trace", "--timeout", CLIENT_TIMEOUT]);
            if mode == Mode::Active {
                args.push("--active");
            }
            if pasv_only {
                args.push("--pasv");
            }
            if trust_227 {
                args.extend(["--pasv-address", "trust"]);
            }
            if spec.tls != ControlTls::Clear {
                // The lab's certificate names 127.0.0.1, not the lab's addresses.
                args.extend(["--tls", "--insecure-skip-verify"]);
            }
            if let ControlTls::ClearedByCcc { .. } = spec.tls {
                args.push("--ccc");
            }
            let out = lab.client.run(&args, None, Duration::from_secs(40))?;
            let ok = out.success()
                && match spec.action {
                    Action::GetActive => std::fs::read(&got).is_ok_and(|b| b == HELLO),
                    _ => out.stdout_text().contains("hello.txt"),
                };
            evidence.push(format!("client: `ftpkit {}`", args[1..].join(" ").replace(&got, "got.txt")));
            evidence.extend(trace_lines(&out.stderr_text(), ok));
            let what = if ok && spec.action == Action::GetActive {
                "works: the file arrived".to_owned()
            } else if ok {
                "works: the listing arrived".to_owned()
            } else {
                let last = out.stderr_text().lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_owned();
                format!("fails: {last}")
            };
            (ok, what, out.stderr_text())
        }
        Action::CurlActive => {
            let url = format!("ftp://{}/", a.server_dial(spec.topology));
            let curl = program("curl")?.to_string_lossy().into_owned();
            let mut args =
                vec![curl.as_str(), "-sS", "-v", "-P", "-", "--connect-timeout", CLIENT_TIMEOUT, "--max-time", "10"];
            // The lab's certificate names 127.0.0.1, not the lab's addresses: -k.
            match spec.tls {
                ControlTls::Clear => {}
                ControlTls::Protected => args.extend(["-k", "--ftp-ssl-control"]),
                ControlTls::ClearedByCcc { .. } => {
                    args.extend(["-k", "--ftp-ssl-control", "--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", "active"])
                }
            }
            args.push(&url);
            let out = lab.client.run(&args, None, Duration::from_secs(30))?;
            let ok = out.success() && out.stdout_text().contains("hello.txt");
            evidence.push(format!("client: `curl {}`", args[1..].join(" ")));
            let err = out.stderr_text();
            let shown = [
                "> AUTH", "< 234", "> PROT", "> CCC", "< 200 C", "> PWD", "> EPRT", "> PORT", "< 200 E", "< 200 P",
                "< 4", "< 5", "< 226", "curl:",
            ];
            for l in err.lines().filter(|l| shown.iter().any(|m| l.starts_with(m))) {
                evidence.push(l.to_owned());
            }
            let what = if ok {
                "works: the listing arrived".to_owned()
            } else {
                format!("fails: {}", err.lines().rev().find(|l| l.starts_with("curl:")).unwrap_or("curl failed"))
            };
            (ok, what, err)
        }
    };

    // Helper evidence: the tracked control connection.
    let helper_host = if spec.nat_helper {
        Some(Host::Router)
    } else if matches!(spec.client_fw, Some((_, DataMatch::Helper))) {
        Some(Host::Client)
    } else if matches!(spec.server_fw, Some((_, DataMatch::Helper))) {
        Some(Host::Server)
    } else {
        None
    };
    if let (Some(h), false) = (helper_host, spec.action == Action::Connect) {
        let out = lab.host(h)?.run(&["conntrack", "-L"], None, Duration::from_secs(10))?;
        let text = out.stdout_text();
        let tracked = text.lines().filter(|l| l.contains("helper=")).count();
        let related = text.lines().filter(|l| !l.contains("dport=21 ") && l.contains("tcp")).count();
        evidence.push(
            format!(
                "conntrack on the {h:?}: {tracked} connection(s) with helper=ftp, {related} other TCP connection(s)"
            )
            .to_lowercase(),
        );
    }
    cap_c.terminate(Duration::from_secs(3));
    cap_s.terminate(Duration::from_secs(3));
    listener.take();

    if std::env::var_os("FTPKIT_LAB_KEEP").is_some() {
        eprintln!("lab {}: keeping {}", spec.id, lab.dir.path().display());
        let _ = std::fs::create_dir_all("/tmp/ftpkit-lab-kept");
        for f in [&pcap_c, &pcap_s] {
            if let Some(name) = f.file_name() {
                let _ = std::fs::copy(
                    f,
                    FsPath::new("/tmp/ftpkit-lab-kept").join(format!("{}-{}", spec.id, name.to_string_lossy())),
                );
            }
        }
    }
    let (at_client, at_server) = (control_lines(&pcap_c), control_lines(&pcap_s));
    // Shown where a router rewrote them, and on the helper rows also where it did not (7d).
    if !at_client.is_empty() && !at_server.is_empty() && (at_client != at_server || spec.nat_helper) {
        evidence.push(format!("on the wire at the client: {}", at_client.join(" / ")));
        evidence.push(format!("on the wire at the server: {}", at_server.join(" / ")));
    }
    let (flows_c, flows_s) = (syn_flows(&pcap_c), syn_flows(&pcap_s));
    evidence.extend(describe_flows(&flows_c, "client"));
    if spec.topology != Topology::Direct {
        evidence.extend(describe_flows(&flows_s, "server"));
    }
    let observed_at =
        if observed_works { None } else { observed_failure(spec.action, &client_text, &flows_c, &flows_s) };
    let (predicted_works, predicted, predicted_at) = spec.prediction();
    Ok(Row { spec: *spec, predicted_works, predicted, predicted_at, observed_works, observed, observed_at, evidence })
}

/// Runs every spec, `parallel` at a time (each in its own namespaces), in table order.
pub fn run_all(specs: &[Spec], parallel: usize) -> Vec<Result<Row>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Row>>>> = Mutex::new(vec![None; specs.len()]);
    std::thread::scope(|s| {
        for _ in 0..parallel.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = specs.get(i) else { break };
                let r = run(spec).map_err(|e| Error::new(format!("row {}", spec.id), e.to_string()));
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::new("lab", "a row did not run"))))
        .collect()
}
