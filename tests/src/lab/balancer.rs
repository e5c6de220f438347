//! The load balancer in the kernel: what `ftpkit firewall --balancer` prints, loaded and run.
//!
//! ```text
//!   client 203.0.113.2 ── lb 203.0.113.1 (HAProxy) ── br0 198.51.100.1 ─┬─ a 198.51.100.10:2121, passive 30000-30009
//!                                                                      └─ b 198.51.100.11:2121, passive 30010-30019
//! ```
//!
//! Four namespaces: the client and the load balancer on a public link, the load balancer and two instances on a
//! private segment (a bridge inside the load balancer's namespace, its one source address 198.51.100.1). The load
//! balancer does not forward: the only way from the client to an instance is through HAProxy. Everything comes from
//! one `ftpkit firewall --balancer ... --instance ... --instance ...` run: the load balancer's rules, each instance's
//! rules (nft, or `--format iptables`), HAProxy's configuration (run by Debian's haproxy) and each instance's
//! `ftpkit serve` flags (both instances serve one shared directory). The rows: sessions from the client through
//! HAProxy (curl and `ftpkit`, PASV and EPSV, an upload through one instance downloaded through the other,
//! byte-exact, the 227 naming the load balancer), and connections the rules drop, each tried first without the rules
//! (a listener answers) and predicted by the core ([`Guard::admits_new_between`] over [`Balanced`]'s channels).

use super::net::{addr, scratch, sh, veth, Bg, Netns};
use super::scenarios::ftpkit_firewall;
use super::{ftpkit_bin, program};
use crate::process::RunOutput;
use crate::tree::{random_bytes, sha256_hex};
use crate::{Error, Result};
use ftpkit::proto::firewall::{Balanced, DataMatch, Direction, Guard, Instance, NewConnection, PortRange};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

/// The load balancer's public address (what clients dial; every instance's `--masquerade`).
pub const PUBLIC: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
/// The client.
pub const CLIENT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 2);
/// The load balancer's one source address toward the instances (their `--trusted-proxy`).
pub const SOURCE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The instances' addresses.
pub const INSTANCES: [Ipv4Addr; 2] = [Ipv4Addr::new(198, 51, 100, 10), Ipv4Addr::new(198, 51, 100, 11)];
/// The instances' control port (the load balancer's is 21).
pub const INSTANCE_PORT: u16 = 2121;
/// The instances' passive ranges.
pub const RANGES: [(u16, u16); 2] = [(30000, 30009), (30010, 30019)];
/// A port on the load balancer outside the control port and the ranges, where a listener waits.
pub const PROBE_PORT: u16 = 40000;
/// How long a probe waits for a connection the rules drop.
const PROBE_SECS: &str = "2";

/// One row: a session through the load balancer, or a connection the rules should drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `8a`, ...
    pub id: String,
    /// `nft` or `iptables`.
    pub form: &'static str,
    /// What is tried.
    pub what: String,
    /// The core's verdict on the rules.
    pub predicted_works: bool,
    /// In words.
    pub predicted: String,
    /// What happened.
    pub observed_works: bool,
    /// In words.
    pub observed: String,
    /// Lines that show it.
    pub evidence: Vec<String>,
}

impl Check {
    /// Prediction and outcome agree.
    pub fn agrees(&self) -> bool {
        self.predicted_works == self.observed_works
    }
}

/// The `ftpkit firewall` arguments of the deployment.
pub fn firewall_args(iptables: bool) -> Vec<String> {
    let mut a: Vec<String> =
        ["--balancer", &PUBLIC.to_string(), "--trusted-proxy", &SOURCE.to_string()].map(String::from).to_vec();
    for (ip, (lo, hi)) in INSTANCES.iter().zip(RANGES) {
        a.extend(["--instance".into(), format!("{ip}:{INSTANCE_PORT},{lo}-{hi}")]);
    }
    a.extend(["--format".into(), if iptables { "iptables" } else { "nft" }.into()]);
    a
}

/// The same deployment as the core's [`Balanced`], for the predictions.
fn balanced() -> Result<Balanced> {
    let mut instances = Vec::new();
    for (ip, (lo, hi)) in INSTANCES.iter().zip(RANGES) {
        let passive = PortRange::new(lo, hi).map_err(|e| Error::new("balancer", e.to_string()))?;
        instances.push(Instance { bind: SocketAddr::new(IpAddr::V4(*ip), INSTANCE_PORT), passive });
    }
    Balanced::new(IpAddr::V4(PUBLIC), 21, IpAddr::V4(SOURCE), instances)
        .map_err(|e| Error::new("balancer", e.to_string()))
}

/// What `ftpkit firewall --balancer` printed, split at its `# ==== ... ====` headings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// Each instance's `ftpkit serve` flags (after STORAGE), in order.
    pub serve_flags: Vec<Vec<String>>,
    /// HAProxy's configuration.
    pub haproxy: String,
    /// The load balancer host's rules.
    pub balancer_rules: String,
    /// Each instance host's rules, in order.
    pub instance_rules: Vec<String>,
}

/// Splits the output of `ftpkit firewall --balancer` for `n` instances (named `a`, `b`, ...): every part must be
/// there.
pub fn split(text: &str, n: usize) -> Result<Printed> {
    let mut parts: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("# ==== ").and_then(|l| l.strip_suffix(" ====")) {
            parts.push((h.to_owned(), String::new()));
        } else if let Some((_, body)) = parts.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let part = |heading: &str| {
        parts.iter().find(|(h, _)| h == heading).map(|(_, b)| b.clone()).ok_or_else(|| {
            Error::new("ftpkit firewall --balancer", format!("no `# ==== {heading} ====` part in:\n{text}"))
        })
    };
    let serve = part("each instance: ftpkit serve STORAGE FLAGS")?;
    let mut serve_flags = Vec::new();
    let mut instance_rules = Vec::new();
    for i in 0..n {
        let name = Balanced::name(i);
        let prefix = format!("# {name}: ftpkit serve STORAGE ");
        let flags = serve.lines().find_map(|l| l.strip_prefix(&prefix)).ok_or_else(|| {
            Error::new("ftpkit firewall --balancer", format!("no serve flags for instance {name}:\n{text}"))
        })?;
        serve_flags.push(flags.split_whitespace().map(str::to_owned).collect());
        instance_rules.push(part(&format!("instance {name}'s host"))?);
    }
    Ok(Printed {
        serve_flags,
        haproxy: part("HAProxy (haproxy.cfg)")?,
        balancer_rules: part("the load balancer's host")?,
        instance_rules,
    })
}

/// The four hosts and a scratch folder; dropped, the namespaces go.
struct Net {
    client: Netns,
    lb: Netns,
    inst: [Netns; 2],
    dir: tempfile::TempDir,
}

impl Net {
    fn build() -> Result<Net> {
        let dir = scratch("ftpkit-lab-lb-")?;
        let client = Netns::create("c")?;
        let lb = Netns::create("lb")?;
        let inst = [Netns::create("a")?, Netns::create("b")?];
        veth(&client, "eth0", &lb, "wan0")?;
        addr(&client, "eth0", &format!("{CLIENT}/24"))?;
        addr(&lb, "wan0", &format!("{PUBLIC}/24"))?;
        // The private segment: a bridge in the load balancer's namespace holding its one address there.
        sh("ip", &["-n", lb.name(), "link", "add", "br0", "type", "bridge"])?;
        addr(&lb, "br0", &format!("{SOURCE}/24"))?;
        for (i, ns) in inst.iter().enumerate() {
            let port = format!("p{}", Balanced::name(i));
            veth(&lb, &port, ns, "eth0")?;
            sh("ip", &["-n", lb.name(), "link", "set", &port, "master", "br0", "up"])?;
            addr(ns, "eth0", &format!("{}/24", INSTANCES[i]))?;
        }
        // No forwarding on the load balancer (a new namespace's default; said here so it stays so).
        lb.must(&["sysctl", "-qw", "net.ipv4.ip_forward=0"], None)?;
        Ok(Net { client, lb, inst, dir })
    }

    fn load(&self, ns: &Netns, iptables: bool, rules: &str) -> Result<()> {
        let tool: &[&str] = if iptables { &["iptables-restore"] } else { &["nft", "-f", "-"] };
        ns.must(tool, Some(rules.as_bytes()))?;
        Ok(())
    }
}

/// A bare TCP connect from `ns` to `ip:port` within [`PROBE_SECS`].
fn connect(ns: &Netns, ip: Ipv4Addr, port: u16) -> Result<RunOutput> {
    let script = format!("exec 3<>/dev/tcp/{ip}/{port}");
    ns.run(&["timeout", PROBE_SECS, "bash", "-c", &script], None, Duration::from_secs(10))
}

/// A connection the rules should drop.
struct Probe<'a> {
    from: &'a Netns,
    from_name: &'static str,
    from_ip: Ipv4Addr,
    to_ip: Ipv4Addr,
    port: u16,
    /// What is at the port.
    note: &'static str,
}

impl Probe<'_> {
    fn label(&self) -> String {
        format!("{} {} -> {}:{} ({})", self.from_name, self.from_ip, self.to_ip, self.port, self.note)
    }
}

/// Runs the probes at once; each result in order.
fn probe_all(probes: &[&Probe<'_>]) -> Vec<Result<RunOutput>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = probes.iter().map(|p| s.spawn(|| connect(p.from, p.to_ip, p.port))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::new("probe", "the probe's thread panicked"))))
            .collect()
    })
}

fn inbound(port: u16) -> NewConnection {
    let local = PortRange::single(port).unwrap_or(PortRange::UNPRIVILEGED);
    NewConnection { direction: Direction::Inbound, local, remote: PortRange::UNPRIVILEGED }
}

fn outbound(port: u16) -> NewConnection {
    let remote = PortRange::single(port).unwrap_or(PortRange::UNPRIVILEGED);
    NewConnection { direction: Direction::Outbound, local: PortRange::UNPRIVILEGED, remote }
}

fn v4(ip: Ipv4Addr) -> IpAddr {
    IpAddr::V4(ip)
}

/// Starts `ftpkit serve` in `ns` with `flags` (and `FTPKIT_LOG=ftpkit=info`: the logins are logged).
fn serve(ns: &Netns, label: &str, dir: &Path, root: &Path, flags: &[String]) -> Result<Bg> {
    let ftpkit = ftpkit_bin()?.to_string_lossy().into_owned();
    let root = root.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["env", "FTPKIT_LOG=ftpkit=info", &ftpkit, "serve", &root];
    args.extend(flags.iter().map(String::as_str));
    let mut bg = ns.spawn(label, &args, dir)?;
    bg.wait_for("serving", Duration::from_secs(20))?;
    Ok(bg)
}

/// Waits (bounded) until `ns` listens on every port of `ports`.
fn wait_listening(ns: &Netns, ports: &[u16], who: &str, bg: &Bg) -> Result<()> {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let out = ns.run(&["ss", "-Hltn"], None, Duration::from_secs(10))?.stdout_text();
        if ports.iter().all(|p| out.contains(&format!(":{p} "))) {
            return Ok(());
        }
        if Instant::now() > end {
            return Err(Error::new(who, format!("not listening on {ports:?} within 20 s: {}", bg.stderr_text())));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A session through the load balancer.
struct Session {
    what: &'static str,
    /// Upload (the file is sent) or download (of the previous session's upload).
    upload: bool,
    /// curl or `ftpkit`.
    curl: bool,
    /// PASV only (else EPSV).
    pasv: bool,
}

/// The session rows: curl upload (PASV) then curl download (EPSV), `ftpkit put` (EPSV) then `ftpkit get` (PASV,
/// `--pasv-address trust`: it dials what the 227 names).
const SESSIONS: [Session; 4] = [
    Session { what: "curl upload, PASV (--disable-epsv)", upload: true, curl: true, pasv: true },
    Session { what: "curl download of that file, EPSV", upload: false, curl: true, pasv: false },
    Session { what: "ftpkit put, EPSV", upload: true, curl: false, pasv: false },
    Session {
        what: "ftpkit get of that file, PASV (--pasv --pasv-address trust)",
        upload: false,
        curl: false,
        pasv: true,
    },
];

/// Logins each instance has logged so far.
fn logins(servers: &[Bg; 2]) -> [usize; 2] {
    [0, 1].map(|i| servers[i].stderr_text().matches("logged in").count())
}

/// The data port a 227 (`h1,h2,h3,h4,p1,p2`) or 229 (`|||p|`) line names, and for a 227 its address.
fn announced(line: &str) -> Option<(Option<Ipv4Addr>, u16)> {
    if let Some(rest) = line.split("229 ").nth(1) {
        let port = rest.split('|').nth(3)?.parse().ok()?;
        return Some((None, port));
    }
    let inner = line.split("227 ").nth(1)?.split('(').nth(1)?.split(')').next()?;
    let n: Vec<u8> = inner.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    let [a, b, c, d, p1, p2] = n[..] else { return None };
    Some((Some(Ipv4Addr::new(a, b, c, d)), u16::from(p1) * 256 + u16::from(p2)))
}

/// Tries `probes` at once with the rules `loaded`; each with the core's verdict (admitted or not) and whose rules
/// decide it.
fn drop_rows(form: &'static str, loaded: &str, probes: &[(&Probe<'_>, bool, &str)]) -> Result<Vec<Check>> {
    let only: Vec<&Probe<'_>> = probes.iter().map(|(p, _, _)| *p).collect();
    let mut rows = Vec::new();
    for ((p, admitted, whose), out) in probes.iter().zip(probe_all(&only)) {
        let out = out?;
        let cmd = format!("timeout {PROBE_SECS} bash -c \"exec 3<>/dev/tcp/{}/{}\"", p.to_ip, p.port);
        rows.push(Check {
            id: String::new(),
            form,
            what: format!("TCP connect {}, {loaded}", p.label()),
            predicted_works: *admitted,
            predicted: if *admitted {
                "connects".to_owned()
            } else {
                format!(
                    "dropped: no rule of {whose} passes a new connection from {} to {}:{}",
                    p.from_ip, p.to_ip, p.port
                )
            },
            observed_works: out.success(),
            observed: if out.success() {
                "connects".to_owned()
            } else {
                format!("no connection within {PROBE_SECS} s")
            },
            evidence: vec![format!("from {}: {cmd}", p.from_name), "the same without any rules: connects".to_owned()],
        });
    }
    Ok(rows)
}

/// The core's verdict on one session through instance `i`: every new connection it makes passes the rules of the
/// hosts it crosses — the client to the load balancer's control port and to instance `i`'s range, the load
/// balancer to the instance's control port and range, from its source address.
fn session_prediction(b: &Balanced, i: usize) -> (bool, String) {
    let front = Guard::new(b.balancer_channels(), DataMatch::Ports);
    let inst = Guard::new(b.instance_channels(i).unwrap_or_default(), DataMatch::Ports);
    let (lo, hi) = RANGES[i];
    let ip = INSTANCES[i];
    let mut ok = true;
    for port in [21, lo, hi] {
        ok &= front.admits_new_between(&inbound(port), v4(PUBLIC), v4(CLIENT));
    }
    for port in [INSTANCE_PORT, lo, hi] {
        ok &= front.admits_new_between(&outbound(port), v4(SOURCE), v4(ip));
        ok &= inst.admits_new_between(&inbound(port), v4(ip), v4(SOURCE));
    }
    let what = if ok {
        format!(
            "works: {PUBLIC}:21 and {lo}-{hi} from the client, {ip}:{INSTANCE_PORT} and {lo}-{hi} from {SOURCE} pass"
        )
    } else {
        "fails: a connection of the session has no rule".to_owned()
    };
    (ok, what)
}

/// Runs the scenario with the nft form (or the iptables form), returning its rows (not yet numbered).
pub fn run(iptables: bool) -> Result<Vec<Check>> {
    let form = if iptables { "iptables" } else { "nft" };
    let ftpkit = ftpkit_bin()?;
    let args = firewall_args(iptables);
    let printed = split(&ftpkit_firewall(&ftpkit, &args)?, 2)?;
    let core = balanced()?;
    let net = Net::build()?;
    let dir = net.dir.path().to_path_buf();
    let shared = dir.join("shared");
    let empty = dir.join("empty");
    for d in [&shared, &empty] {
        std::fs::create_dir_all(d).map_err(|e| Error::new("lab", e.to_string()))?;
    }

    // The instances, with the printed flags (and a user who may write), over one directory.
    let mut servers = Vec::new();
    for (i, flags) in printed.serve_flags.iter().enumerate() {
        let mut f = flags.clone();
        f.extend(["--user", "u:p", "--write"].map(String::from));
        servers.push(serve(&net.inst[i], &format!("instance-{}", Balanced::name(i)), &dir, &shared, &f)?);
    }
    let servers: [Bg; 2] = servers.try_into().map_err(|_| Error::new("lab", "two instances"))?;
    // Listeners the drop probes aim at: on a, a port of b's range; on the load balancer, a port outside its ports.
    let b_port = RANGES[1].0;
    let mut listeners = Vec::new();
    for (ns, ip, port) in [(&net.inst[0], INSTANCES[0], b_port), (&net.lb, PUBLIC, PROBE_PORT)] {
        let flags = ["--bind".to_owned(), format!("{ip}:{port}")];
        listeners.push(serve(ns, &format!("listener-{port}"), &dir, &empty, &flags)?);
    }

    // The drop rows: a from the load balancer on b's range, a's control port from b, the client to the load
    // balancer's port 40000; then the same connection from the load balancer with its own rules loaded too.
    let probes = [
        Probe {
            from: &net.lb,
            from_name: "lb",
            from_ip: SOURCE,
            to_ip: INSTANCES[0],
            port: b_port,
            note: "instance a, a port of b's range: a listener there",
        },
        Probe {
            from: &net.inst[1],
            from_name: "b",
            from_ip: INSTANCES[1],
            to_ip: INSTANCES[0],
            port: INSTANCE_PORT,
            note: "instance a's control port, from the private segment but not from the load balancer",
        },
        Probe {
            from: &net.client,
            from_name: "client",
            from_ip: CLIENT,
            to_ip: PUBLIC,
            port: PROBE_PORT,
            note: "the load balancer, a port outside 21 and the ranges: a listener there",
        },
    ];
    for (p, out) in probes.iter().zip(probe_all(&probes.iter().collect::<Vec<_>>())) {
        let out = out?;
        if !out.success() {
            return Err(Error::new(
                format!("{form} {}", p.label()),
                format!("does not connect even without rules: {}", out.describe()),
            ));
        }
    }
    let a_guard = Guard::new(core.instance_channels(0).unwrap_or_default(), DataMatch::Ports);
    let front = Guard::new(core.balancer_channels(), DataMatch::Ports);
    let into_a = |p: &Probe<'_>| a_guard.admits_new_between(&inbound(p.port), v4(p.to_ip), v4(p.from_ip));
    let out_of_lb = |p: &Probe<'_>| front.admits_new_between(&outbound(p.port), v4(p.from_ip), v4(p.to_ip));
    let into_lb = |p: &Probe<'_>| front.admits_new_between(&inbound(p.port), v4(p.to_ip), v4(p.from_ip));

    // Instance a's rules alone: what a drops by itself.
    net.load(&net.inst[0], iptables, &printed.instance_rules[0])?;
    let mut drops = drop_rows(
        form,
        "only instance a's rules loaded",
        &[(&probes[0], into_a(&probes[0]), "instance a's host"), (&probes[1], into_a(&probes[1]), "instance a's host")],
    )?;
    // Everyone's rules: the client to port 40000, and the load balancer to a port of b's range on a again.
    net.load(&net.inst[1], iptables, &printed.instance_rules[1])?;
    net.load(&net.lb, iptables, &printed.balancer_rules)?;
    let lb_to_a = out_of_lb(&probes[0]) && into_a(&probes[0]);
    drops.extend(drop_rows(
        form,
        "every host's rules loaded",
        &[
            (&probes[2], into_lb(&probes[2]), "the load balancer's host"),
            (&probes[0], lb_to_a, "the load balancer's host (output) nor of instance a's"),
        ],
    )?);
    drop(listeners);

    // HAProxy with the printed configuration.
    let haproxy = crate::install::ensure_haproxy()?.to_string_lossy().into_owned();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, &printed.haproxy).map_err(|e| Error::new("haproxy", e.to_string()))?;
    let cfg_s = cfg.to_string_lossy().into_owned();
    let hp = net.lb.spawn("haproxy", &[&haproxy, "-db", "-f", &cfg_s], &dir)?;
    wait_listening(&net.lb, &[21, RANGES[0].0, RANGES[1].1], "haproxy", &hp)?;

    let mut rows = sessions(&net, &servers, &core, form)?;
    drop(hp);
    drop(servers);
    rows.extend(drops);
    Ok(rows)
}

/// The sessions from the client through HAProxy, one after the other (round robin alternates the instances), each
/// checked: the instance that logged its login, the port (and for PASV the address) announced, the bytes.
fn sessions(net: &Net, servers: &[Bg; 2], core: &Balanced, form: &'static str) -> Result<Vec<Check>> {
    let dir = net.dir.path().to_path_buf();
    let shared = dir.join("shared");
    let ftpkit_s = ftpkit_bin()?.to_string_lossy().into_owned();
    let mut rows = Vec::new();
    let curl = program("curl")?.to_string_lossy().into_owned();
    let mut served: Vec<usize> = Vec::new();
    let mut uploaded: Option<(String, String)> = None;
    for (k, s) in SESSIONS.iter().enumerate() {
        let before = logins(servers);
        // Uploads send a fresh file; downloads fetch the previous upload.
        let (remote, local) = if s.upload {
            let name = format!("up{k}.bin");
            let data = random_bytes(256 * 1024 + 17 * k + 5);
            let src = dir.join(&name);
            std::fs::write(&src, &data).map_err(|e| Error::new("lab", e.to_string()))?;
            uploaded = Some((name.clone(), sha256_hex(&data)));
            (name, src)
        } else {
            let (file, _) = uploaded.clone().ok_or_else(|| Error::new("lab", "a download before any upload"))?;
            (file, dir.join(format!("down{k}.bin")))
        };
        let local_s = local.to_string_lossy().into_owned();
        let (url, login_dir) = (format!("ftp://{PUBLIC}/{remote}"), format!("ftp://u:p@{PUBLIC}/"));
        let login_url = format!("{login_dir}{remote}");
        let args: Vec<&str> = match (s.curl, s.upload) {
            (true, upload) => {
                let io = if upload { "-T" } else { "-o" };
                let timeouts = ["--connect-timeout", "4", "--max-time", "20"];
                [curl.as_str(), "-sS", "-v", "-u", "u:p"]
                    .into_iter()
                    .chain(timeouts)
                    .chain([io, &local_s, &url])
                    .collect()
            }
            (false, true) => vec![&ftpkit_s, "put", &local_s, &login_dir],
            (false, false) => vec![&ftpkit_s, "get", &login_url, "-o", &local_s],
        };
        let mut cmd: Vec<String> = args.into_iter().map(String::from).collect();
        match (s.curl, s.pasv, s.upload) {
            (true, true, _) => cmd.push("--disable-epsv".into()),
            (true, false, _) => {}
            (false, pasv, upload) => {
                cmd.extend(["--trace", "--timeout", "4"].map(String::from));
                if pasv {
                    cmd.push("--pasv".into());
                }
                // The download dials what the 227 names (not the control connection's address).
                if pasv && !upload {
                    cmd.extend(["--pasv-address", "trust"].map(String::from));
                }
            }
        }
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let out = net.client.run(&refs, None, Duration::from_secs(40))?;
        // The instance that logged the login (the log line may follow the 226 by a moment).
        let end = Instant::now() + Duration::from_secs(3);
        while logins(servers) == before && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        let after = logins(servers);
        let moved: Vec<usize> = (0..2).filter(|&i| after[i] > before[i]).collect();
        let on = match moved[..] {
            [i] => Some(i),
            _ => None,
        };
        let text = out.stderr_text();
        let line = text.lines().find(|l| l.contains("227 ") || l.contains("229 ")).unwrap_or("").to_owned();
        let (addr, port) = match announced(&line) {
            Some((a, p)) => (a, Some(p)),
            None => (None, None),
        };
        let mut problems = Vec::new();
        if !out.success() {
            problems.push(format!(
                "the client failed: {}",
                text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
            ));
        }
        let Some(i) = on else {
            return Err(Error::new(
                format!("{form} session {k}"),
                format!(
                    "no single instance logged its login ({before:?} -> {after:?}):\n{}\n--- a ---\n{}\n--- b ---\n{}",
                    out.describe(),
                    servers[0].stderr_text(),
                    servers[1].stderr_text()
                ),
            ));
        };
        let (lo, hi) = RANGES[i];
        if s.pasv && addr != Some(PUBLIC) {
            problems.push(format!("the 227 names {addr:?}, not {PUBLIC}"));
        }
        if !port.is_some_and(|p| (lo..=hi).contains(&p)) {
            problems.push(format!("the data port {port:?} is not in instance {}'s range {lo}-{hi}", Balanced::name(i)));
        }
        let (remote, sha) = uploaded.clone().unwrap_or_default();
        let on_disk = std::fs::read(shared.join(&remote)).map(|b| sha256_hex(&b)).unwrap_or_default();
        let here = std::fs::read(&local).map(|b| sha256_hex(&b)).unwrap_or_default();
        if on_disk != sha || here != sha {
            problems.push("the bytes differ".to_owned());
        }
        if !s.upload && served.last() == Some(&i) {
            problems.push("the download went through the instance that took the upload".to_owned());
        }
        served.push(i);
        let (predicted_works, predicted) = session_prediction(core, i);
        let client = if s.curl { "curl" } else { "ftpkit" };
        let shown: Vec<String> = cmd[1..].iter().map(|a| a.replace(&*dir.to_string_lossy(), ".")).collect();
        let mut evidence = vec![format!("client: `{client} {}`", shown.join(" "))];
        evidence.push(line.trim().trim_start_matches("< ").to_owned());
        let log = servers[i].stderr_text();
        if let Some(l) = log.lines().rev().find(|l| l.contains("PROXY header") && l.contains(&CLIENT.to_string())) {
            evidence.push(format!("instance {}: {}", Balanced::name(i), strip_log(l)));
        }
        evidence.push(format!(
            "served by instance {} ({}:{INSTANCE_PORT}, range {lo}-{hi}); sha256 {} in the shared folder and at the client",
            Balanced::name(i),
            INSTANCES[i],
            &sha.get(..16).unwrap_or("")
        ));
        rows.push(Check {
            id: String::new(),
            form,
            what: format!("client -> {PUBLIC}:21 (HAProxy): {}", s.what),
            predicted_works,
            predicted,
            observed_works: problems.is_empty(),
            observed: if problems.is_empty() {
                let named = if s.pasv { format!("the 227 names {PUBLIC} and") } else { "the 229 names".to_owned() };
                format!("works: through instance {}, {named} a port of its range, byte-exact", Balanced::name(i))
            } else {
                format!("fails: {}", problems.join("; "))
            },
            evidence,
        });
    }
    Ok(rows)
}

/// A log line without its timestamp and level.
fn strip_log(l: &str) -> String {
    l.split_once("ftpkit").map(|(_, rest)| format!("ftpkit{rest}")).unwrap_or_else(|| l.to_owned())
}

/// [`run`] with the nft form and the iptables form at once, in separate namespaces; the rows numbered 8a, 8b, ...
pub fn run_both() -> Result<Vec<Check>> {
    let (nft, iptables) = std::thread::scope(|s| {
        let n = s.spawn(|| run(false));
        let i = s.spawn(|| run(true));
        let join = |h: std::thread::ScopedJoinHandle<'_, Result<Vec<Check>>>| {
            h.join().unwrap_or_else(|_| Err(Error::new("balancer", "the scenario's thread panicked")))
        };
        (join(n), join(i))
    });
    let mut rows = nft?;
    rows.extend(iptables?);
    for (r, letter) in rows.iter_mut().zip('a'..='z') {
        r.id = format!("8{letter}");
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftpkit::proto::firewall::render_balanced;

    #[test]
    fn split_finds_every_part_of_the_printed_deployment_and_refuses_a_missing_one() {
        let core = balanced().unwrap_or_else(|e| panic!("{e}"));
        for iptables in [false, true] {
            let text = render_balanced(&core, iptables);
            let p = split(&text, 2).unwrap_or_else(|e| panic!("{e}"));
            for (i, ip) in INSTANCES.iter().enumerate() {
                assert_eq!(p.serve_flags[i].join(" "), core.serve_flags(i).unwrap_or_default());
                assert!(p.instance_rules[i].contains(&ip.to_string()), "{}", p.instance_rules[i]);
            }
            assert!(p.haproxy.starts_with("defaults\n") && p.haproxy.contains("backend pasv_b"), "{}", p.haproxy);
            assert!(!p.haproxy.contains("# ===="));
            assert!(p.balancer_rules.contains(&SOURCE.to_string()), "{}", p.balancer_rules);
            let missing = text.replace("# ==== instance b's host ====", "");
            assert!(split(&missing, 2).is_err());
            assert!(split(&text, 3).is_err(), "no instance c");
        }
    }

    #[test]
    fn announced_reads_227_and_229() {
        assert_eq!(announced("< 227 Entering Passive Mode (203,0,113,1,117,48)."), Some((Some(PUBLIC), 30000)));
        assert_eq!(announced("229 Entering Extended Passive Mode (|||30010|)"), Some((None, 30010)));
        assert_eq!(announced("227 Entering Passive Mode (1,2,3)"), None);
        assert_eq!(announced("230 Logged in"), None);
    }
}
