//! Namespaces, veth links, background processes, and the guard that always removes them.
//!
//! Every namespace is named `ftpkitlab-<pid>-<n>-<role>`: the process id keeps parallel test processes apart, the
//! counter parallel labs in one process. Each one is registered in a process-wide list before it exists and
//! removed from it after it is gone; [`Netns`]'s `Drop` kills what runs inside and deletes it, a SIGINT/SIGTERM
//! handler does the same for every registered namespace and process group before the process exits, and the first
//! lab of a process sweeps namespaces with the prefix whose process is dead (left by a `kill -9`).

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

use crate::process::{kill_and_wait, kill_group, run_with_timeout, RunOutput};
use crate::{Error, Result};

/// The prefix of every namespace the lab makes.
pub const PREFIX: &str = "ftpkitlab-";

/// How long one `ip`/`nft`/`sysctl` call may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Registry {
    namespaces: Vec<String>,
    groups: Vec<u32>,
}

static LIVE: Mutex<Registry> = Mutex::new(Registry { namespaces: Vec::new(), groups: Vec::new() });

fn registry<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut r = LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut r)
}

fn quiet(cmd: &mut Command) {
    let _ = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status();
}

/// Kills every process inside `name` and deletes it (errors ignored: it may be gone already).
fn remove_namespace(name: &str) {
    if let Ok(out) = Command::new("ip").args(["netns", "pids", name]).stderr(Stdio::null()).output() {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            quiet(Command::new("kill").args(["-KILL", pid]));
        }
    }
    quiet(Command::new("ip").args(["netns", "del", name]));
}

/// Removes everything registered: process groups first, then namespaces. Called by the signal handler.
fn remove_all() {
    let (groups, namespaces) = registry(|r| (std::mem::take(&mut r.groups), std::mem::take(&mut r.namespaces)));
    for g in groups {
        kill_group(g);
    }
    for n in namespaces {
        remove_namespace(&n);
    }
}

/// Installs (once) the SIGINT/SIGTERM handler that removes every registered namespace and process, then exits with
/// 128 + the signal's number.
fn install_signal_cleanup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let (tx, rx) = std::sync::mpsc::channel::<std::result::Result<(), String>>();
        let spawned = thread::Builder::new().name("ftpkit-lab-signals".into()).spawn(move || {
            use tokio::signal::unix::{signal, SignalKind};
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let code = rt.block_on(async {
                let (mut int, mut term) = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
                    (Ok(i), Ok(t)) => (i, t),
                    (Err(e), _) | (_, Err(e)) => {
                        let _ = tx.send(Err(e.to_string()));
                        return None;
                    }
                };
                let _ = tx.send(Ok(()));
                tokio::select! {
                    _ = int.recv() => Some(130),
                    _ = term.recv() => Some(143),
                }
            });
            if let Some(code) = code {
                eprintln!("ftpkit lab: signal received: removing the lab's namespaces and processes");
                remove_all();
                std::process::exit(code);
            }
        });
        let ready = spawned.ok().and_then(|_| rx.recv_timeout(Duration::from_secs(5)).ok());
        if !matches!(ready, Some(Ok(()))) {
            eprintln!("ftpkit lab: WARNING: no SIGINT/SIGTERM cleanup handler ({ready:?}); Drop still cleans up");
        }
    });
}

/// Deletes namespaces with the lab's prefix whose owning process is gone. Runs once per process.
fn sweep_stale() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(out) = Command::new("ip").args(["netns", "list"]).stderr(Stdio::null()).output() else { return };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(name) = line.split_whitespace().next() else { continue };
            let Some(rest) = name.strip_prefix(PREFIX) else { continue };
            let owner = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
            let alive = owner.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
            if !alive {
                eprintln!("ftpkit lab: removing stale namespace {name}");
                remove_namespace(name);
            }
        }
    });
}

/// Whether this process may create network namespaces: `Err(reason)` when not (not root, no `ip`, no permission).
pub fn availability() -> std::result::Result<(), String> {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("{PREFIX}{}-{n}-probe", std::process::id());
    let out = run_with_timeout(Command::new("ip").args(["netns", "add", &name]), None, SETUP_TIMEOUT)
        .map_err(|e| format!("cannot run `ip`: {e}"))?;
    if !out.success() {
        return Err(format!("`ip netns add` is not permitted here: {}", out.stderr_text().trim()));
    }
    remove_namespace(&name);
    Ok(())
}

/// Runs `ip ARGS` (or another setup command) and fails with its output when it fails.
pub(crate) fn sh(program: &str, args: &[&str]) -> Result<RunOutput> {
    run_with_timeout(Command::new(program).args(args), None, SETUP_TIMEOUT)?.ok()
}

/// A network namespace the lab created; dropped, it kills what runs inside and is deleted.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// Creates `ftpkitlab-<pid>-<n>-<role>` with its loopback up.
    pub fn create(role: &str) -> Result<Netns> {
        install_signal_cleanup();
        sweep_stale();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{}-{n}-{role}", std::process::id());
        registry(|r| r.namespaces.push(name.clone()));
        let ns = Netns { name };
        sh("ip", &["netns", "add", &ns.name])?;
        sh("ip", &["-n", &ns.name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }

    /// Runs `args` inside, with `stdin` as input, killed after `timeout`.
    pub fn run(&self, args: &[&str], stdin: Option<&[u8]>, timeout: Duration) -> Result<RunOutput> {
        run_with_timeout(&mut self.command(args), stdin, timeout)
    }

    /// [`Netns::run`] that must succeed.
    pub fn must(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<RunOutput> {
        self.run(args, stdin, SETUP_TIMEOUT)?.ok()
    }

    /// Starts `args` inside in the background, its output in `<dir>/<label>.out|.err`.
    pub fn spawn(&self, label: &str, args: &[&str], dir: &Path) -> Result<Bg> {
        let (out, err) = (dir.join(format!("{label}.out")), dir.join(format!("{label}.err")));
        let open = |p: &Path| File::create(p).map_err(|e| Error::new(label, format!("{}: {e}", p.display())));
        let mut cmd = self.command(args);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.stdin(Stdio::null()).stdout(open(&out)?).stderr(open(&err)?);
        let child = cmd.spawn().map_err(|e| Error::new(label, format!("cannot start {args:?}: {e}")))?;
        registry(|r| r.groups.push(child.id()));
        Ok(Bg { label: label.to_owned(), child, out, err })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        remove_namespace(&self.name);
        registry(|r| r.namespaces.retain(|n| n != &self.name));
    }
}

/// A background process in a namespace, killed (with its process group) on drop.
#[derive(Debug)]
pub struct Bg {
    label: String,
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Bg {
    /// What it wrote to stderr so far.
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// What it wrote to stdout so far.
    pub fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits (polling, bounded by `timeout`) until its stderr contains `needle`; fails if it exits or time runs out.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> Result<()> {
        let end = Instant::now() + timeout;
        loop {
            if self.stderr_text().contains(needle) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::new(&self.label, format!("exited with {status}: {}", self.stderr_text())));
            }
            if Instant::now() >= end {
                return Err(Error::new(
                    &self.label,
                    format!("no {needle:?} within {timeout:?}: {}", self.stderr_text()),
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Bg {
    /// Sends SIGTERM and waits (bounded) for it to exit, so it can finish its output (tcpdump writes its last
    /// packets); drop kills it if it is still there.
    pub fn terminate(mut self, timeout: Duration) {
        quiet(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        let id = self.child.id();
        kill_and_wait(&mut self.child);
        registry(|r| r.groups.retain(|g| *g != id));
    }
}

/// The three shapes of network the lab builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topology {
    /// `client | server` on one link, 203.0.113.0/24.
    Direct,
    /// `client | nat-router | server`: the client at 192.0.2.2 behind the router (192.0.2.1 / 203.0.113.1), the
    /// server at 203.0.113.10 with no route to 192.0.2.0/24.
    ClientNat,
    /// `client | server-side nat | server`: the client at 203.0.113.2, the router (203.0.113.1 / 198.51.100.1)
    /// forwarding to the server at 198.51.100.10; the client has no route to 198.51.100.0/24.
    ServerNat,
}

impl Topology {
    /// `client | server` and so on.
    pub const fn name(self) -> &'static str {
        match self {
            Topology::Direct => "client | server",
            Topology::ClientNat => "client | nat-router | server",
            Topology::ServerNat => "client | server-side nat | server",
        }
    }
}

/// The addresses of a topology (documentation ranges, inside the lab's namespaces only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addrs {
    /// The client host's own address.
    pub client: Ipv4Addr,
    /// The server host's own address.
    pub server: Ipv4Addr,
    /// The router's public address (203.0.113.1), when there is a router.
    pub public: Option<Ipv4Addr>,
}

impl Addrs {
    /// The address the client dials for the server (the router's with a server-side NAT).
    pub fn server_dial(&self, t: Topology) -> Ipv4Addr {
        match (t, self.public) {
            (Topology::ServerNat, Some(p)) => p,
            _ => self.server,
        }
    }
}

const fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

/// A built topology: its hosts, addresses and a scratch folder. Dropped, the namespaces go (with their links and
/// whatever still runs inside). Keep the [`Bg`] processes started in it in variables declared after the lab: they
/// are dropped (killed) first.
#[derive(Debug)]
pub struct Lab {
    /// The client host.
    pub client: Netns,
    /// The NAT router, in the NAT topologies.
    pub router: Option<Netns>,
    /// The server host.
    pub server: Netns,
    /// The topology.
    pub topology: Topology,
    /// Its addresses.
    pub addrs: Addrs,
    /// Scratch files (logs, captures, the served tree).
    pub dir: tempfile::TempDir,
}

/// A scratch folder for a lab's logs, captures and files, removed on drop.
pub(crate) fn scratch(prefix: &str) -> Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix(prefix).tempdir().map_err(|e| Error::new("lab", format!("temp dir: {e}")))
}

pub(crate) fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) -> Result<()> {
    sh("ip", &["link", "add", a_if, "netns", a.name(), "type", "veth", "peer", "name", b_if, "netns", b.name()])?;
    Ok(())
}

pub(crate) fn addr(ns: &Netns, ifname: &str, cidr: &str) -> Result<()> {
    sh("ip", &["-n", ns.name(), "addr", "add", cidr, "dev", ifname])?;
    sh("ip", &["-n", ns.name(), "link", "set", ifname, "up"])?;
    Ok(())
}

fn default_route(ns: &Netns, via: Ipv4Addr) -> Result<()> {
    sh("ip", &["-n", ns.name(), "route", "add", "default", "via", &via.to_string()])?;
    Ok(())
}

impl Lab {
    /// Builds `topology` from fresh namespaces.
    pub fn build(topology: Topology) -> Result<Lab> {
        let dir = scratch("ftpkit-lab-")?;
        let client = Netns::create("c")?;
        let server = Netns::create("s")?;
        let (router, addrs) = match topology {
            Topology::Direct => {
                veth(&client, "eth0", &server, "eth0")?;
                addr(&client, "eth0", "203.0.113.2/24")?;
                addr(&server, "eth0", "203.0.113.10/24")?;
                (None, Addrs { client: ip(203, 0, 113, 2), server: ip(203, 0, 113, 10), public: None })
            }
            Topology::ClientNat => {
                let r = Netns::create("r")?;
                veth(&client, "eth0", &r, "lan0")?;
                veth(&r, "wan0", &server, "eth0")?;
                addr(&client, "eth0", "192.0.2.2/24")?;
                addr(&r, "lan0", "192.0.2.1/24")?;
                addr(&r, "wan0", "203.0.113.1/24")?;
                addr(&server, "eth0", "203.0.113.10/24")?;
                default_route(&client, ip(192, 0, 2, 1))?;
                r.must(&["sysctl", "-qw", "net.ipv4.ip_forward=1"], None)?;
                let a =
                    Addrs { client: ip(192, 0, 2, 2), server: ip(203, 0, 113, 10), public: Some(ip(203, 0, 113, 1)) };
                (Some(r), a)
            }
            Topology::ServerNat => {
                let r = Netns::create("r")?;
                veth(&client, "eth0", &r, "wan0")?;
                veth(&r, "lan0", &server, "eth0")?;
                addr(&client, "eth0", "203.0.113.2/24")?;
                addr(&r, "wan0", "203.0.113.1/24")?;
                addr(&r, "lan0", "198.51.100.1/24")?;
                addr(&server, "eth0", "198.51.100.10/24")?;
                default_route(&server, ip(198, 51, 100, 1))?;
                r.must(&["sysctl", "-qw", "net.ipv4.ip_forward=1"], None)?;
                let a = Addrs {
                    client: ip(203, 0, 113, 2),
                    server: ip(198, 51, 100, 10),
                    public: Some(ip(203, 0, 113, 1)),
                };
                (Some(r), a)
            }
        };
        Ok(Lab { client, router, server, topology, addrs, dir })
    }

    /// A host's namespace.
    pub fn host(&self, which: Host) -> Result<&Netns> {
        match which {
            Host::Client => Ok(&self.client),
            Host::Server => Ok(&self.server),
            Host::Router => self.router.as_ref().ok_or_else(|| Error::new("lab", "this topology has no router")),
        }
    }

    /// Starts `args` on a host in the background, logging into the lab's folder.
    pub fn spawn(&self, which: Host, label: &str, args: &[&str]) -> Result<Bg> {
        self.host(which)?.spawn(label, args, self.dir.path())
    }

    /// Loads a ruleset into a host's kernel: nftables (`nft -f -`) or iptables-save text (`iptables-restore`).
    pub fn load_rules(&self, which: Host, iptables: bool, rules: &str) -> Result<()> {
        let tool: &[&str] = if iptables { &["iptables-restore"] } else { &["nft", "-f", "-"] };
        self.host(which)?.must(tool, Some(rules.as_bytes()))?;
        Ok(())
    }
}

/// One of a lab's hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// The FTP client's host.
    Client,
    /// The NAT router.
    Router,
    /// The FTP server's host.
    Server,
}
