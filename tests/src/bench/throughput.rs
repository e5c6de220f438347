//! Part 1: download throughput of one big file over loopback, passive and active, ftpkit against its peers and
//! against a raw TCP copy (sendfile in, 256 KiB reads out).

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use ftpkit::blocking::Client;
use ftpkit::client::{ClientMode, Options};
use ftpkit_interop::install::ensure_curl;
use ftpkit_interop::{run_with_timeout, FtpkitOpts, FtpkitServer, Pyftpdlib, ServerOpts, Vsftpd};
use tempfile::TempDir;

use super::{gbps, median};

/// The file's name in every served tree.
pub const FILE: &str = "bench.bin";
/// Size of the raw receiver's reads.
const RAW_READ: usize = 256 * 1024;

/// Which side of a row is ftpkit's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// ftpkit client and ftpkit server.
    Both,
    /// ftpkit's server, a peer client (curl).
    Server,
    /// ftpkit's client, a peer server.
    Client,
    /// No ftpkit: a peer pair (the bar to meet).
    Peer,
    /// The raw TCP copy (the ceiling).
    Raw,
    /// A figure for information only (std's io::copy, not sendfile).
    Info,
}

/// Data connection direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataMode {
    /// EPSV.
    Passive,
    /// EPRT (curl `-P 127.0.0.1`; ftpkit's client in active mode).
    Active,
}

impl DataMode {
    fn name(self) -> &'static str {
        match self {
            DataMode::Passive => "passive",
            DataMode::Active => "active",
        }
    }
}

/// One measured row.
#[derive(Debug, Clone)]
pub struct Row {
    /// `client ← server`.
    pub name: &'static str,
    /// `None` for the raw copy.
    pub mode: Option<DataMode>,
    /// Whose code is measured.
    pub role: Role,
    /// GB/s of each successful round.
    pub samples: Vec<f64>,
    /// Failed rounds, with the reason.
    pub errors: Vec<String>,
}

impl Row {
    /// The median GB/s, if any round succeeded.
    pub fn median(&self) -> Option<f64> {
        median(&self.samples)
    }
}

/// Everything part 1 measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// File size in bytes.
    pub size: u64,
    /// Rounds asked for.
    pub rounds: usize,
    /// The rows, in print order.
    pub rows: Vec<Row>,
    /// Load average before and after.
    pub load: (String, String),
}

/// A served file: one copy on disk, hard-linked into every server's tree.
struct BenchFile {
    dir: TempDir,
}

impl BenchFile {
    fn create(size: u64) -> io::Result<BenchFile> {
        let dir = tempfile::Builder::new().prefix("ftpkit-bench-").tempdir()?;
        let mut f = io::BufWriter::with_capacity(1 << 20, fs::File::create(dir.path().join(FILE))?);
        // xorshift64*: incompressible, fast to make.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut block = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            for chunk in block.chunks_exact_mut(8) {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                chunk.copy_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
            }
            let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
            f.write_all(&block[..n])?;
            left -= n as u64;
        }
        f.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
        Ok(BenchFile { dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join(FILE)
    }

    /// Hard-links (or, across file systems, copies) the file into `root`, readable by everyone.
    fn place(&self, root: &Path) -> io::Result<()> {
        let to = root.join(FILE);
        if fs::hard_link(self.path(), &to).is_err() {
            fs::copy(self.path(), &to)?;
        }
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&to, fs::Permissions::from_mode(0o644))
    }

    /// Reads the whole file once so every row starts with a warm page cache.
    fn warm(&self) -> io::Result<u64> {
        io::copy(&mut fs::File::open(self.path())?, &mut io::sink())
    }
}

/// Where a row downloads from.
struct Target {
    addr: SocketAddr,
    user: String,
    pass: String,
    url: String,
}

/// ftpkit's blocking client: connect, login, RETR into `io::sink()`; timed until the 226.
fn ftpkit_get(t: &Target, mode: DataMode, size: u64) -> Result<Duration, String> {
    let opts = Options {
        mode: if mode == DataMode::Active { ClientMode::Active } else { ClientMode::Passive },
        data_timeout: Duration::from_secs(60),
        reply_timeout: Duration::from_secs(60),
        ..Options::default()
    };
    let start = Instant::now();
    let mut c = Client::connect_with(t.addr, opts).map_err(|e| format!("connect: {e}"))?;
    c.login(&t.user, &t.pass).map_err(|e| format!("login: {e}"))?;
    let n = c.retrieve_to(FILE, &mut io::sink()).map_err(|e| format!("RETR: {e}"))?;
    let elapsed = start.elapsed();
    let _ = c.quit();
    if n != size {
        return Err(format!("got {n} bytes, expected {size}"));
    }
    Ok(elapsed)
}

/// curl to /dev/null; curl's own `time_total` (connect to the final reply), not the process's life.
fn curl_get(curl: &Path, t: &Target, mode: DataMode, size: u64) -> Result<Duration, String> {
    let mut cmd = Command::new(curl);
    cmd.args(["-sS", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", "-u"])
        .arg(format!("{}:{}", t.user, t.pass));
    if mode == DataMode::Active {
        cmd.args(["-P", "127.0.0.1"]);
    }
    cmd.arg(&t.url);
    let out = run_with_timeout(&mut cmd, None, Duration::from_secs(300)).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(out.describe());
    }
    let text = out.stdout_text();
    let mut it = text.split_whitespace();
    let secs: f64 = it.next().and_then(|s| s.parse().ok()).ok_or_else(|| format!("no time in {text:?}"))?;
    let got: u64 = it.next().and_then(|s| s.parse().ok()).ok_or_else(|| format!("no size in {text:?}"))?;
    if got != size {
        return Err(format!("curl got {got} bytes, expected {size}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// How the raw sender moves the file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RawSend {
    /// `sendfile(2)` in 64 MiB calls.
    Sendfile,
    /// `std::io::copy(File → TcpStream)`, which on current Rust is an 8 KiB read/send loop, not sendfile.
    StdCopy,
}

/// The raw ceiling: the file sent over one loopback TCP connection to a thread reading 256 KiB at a time; timed from
/// connect to the receiver's EOF.
fn raw_copy(path: &Path, size: u64, how: RawSend) -> Result<Duration, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let receiver = thread::spawn(move || -> io::Result<u64> {
        let (mut sock, _) = listener.accept()?;
        sock.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut buf = vec![0u8; RAW_READ];
        let mut total = 0u64;
        loop {
            match sock.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => total += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    });
    let start = Instant::now();
    let sent = (|| -> io::Result<u64> {
        let mut file = fs::File::open(path)?;
        let mut sock = TcpStream::connect(addr)?;
        let n = match how {
            RawSend::StdCopy => io::copy(&mut file, &mut sock)?,
            RawSend::Sendfile => {
                let mut sent = 0u64;
                loop {
                    match rustix::fs::sendfile(&sock, &file, None, 64 << 20) {
                        Ok(0) => break sent,
                        Ok(n) => sent += n as u64,
                        Err(rustix::io::Errno::INTR) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        };
        sock.shutdown(std::net::Shutdown::Write)?;
        Ok(n)
    })();
    let got = receiver.join().map_err(|_| "receiver thread panicked".to_owned())?;
    let elapsed = start.elapsed();
    let sent = sent.map_err(|e| format!("send: {e}"))?;
    let got = got.map_err(|e| format!("receive: {e}"))?;
    if sent != size || got != size {
        return Err(format!("sent {sent}, received {got}, expected {size}"));
    }
    Ok(elapsed)
}

/// What a row runs.
#[derive(Clone, Copy)]
enum Run {
    Ftpkit(usize),
    Curl(usize),
    Raw(RawSend),
}

/// Measures every row `rounds` times, rows interleaved within each round so that load changes on the shared
/// machine hit every row alike.
pub fn run(size_mib: u64, rounds: usize) -> Result<Report, String> {
    let size = size_mib * 1024 * 1024;
    let load_before = super::loadavg();
    eprintln!("[throughput] making a {size_mib} MiB file");
    let file = BenchFile::create(size).map_err(|e| format!("bench file: {e}"))?;
    let curl = ensure_curl().map_err(|e| e.to_string())?;

    eprintln!("[throughput] starting ftpkit, vsftpd, pyftpdlib");
    let ftpkit = FtpkitServer::start(FtpkitOpts {
        big_len: 1024,
        data_timeout: Duration::from_secs(60),
        ..FtpkitOpts::default()
    })
    .map_err(|e| e.to_string())?;
    let small = ServerOpts { big_len: 1024, ..ServerOpts::default() };
    let vsftpd = Vsftpd::start(small.clone()).map_err(|e| e.to_string())?;
    let pyftpdlib = Pyftpdlib::start(small).map_err(|e| e.to_string())?;
    for root in [ftpkit.root(), vsftpd.root(), pyftpdlib.root()] {
        file.place(root).map_err(|e| format!("place {FILE} in {}: {e}", root.display()))?;
    }
    file.warm().map_err(|e| format!("warm the page cache: {e}"))?;

    let targets = [
        Target { addr: ftpkit.addr(), user: ftpkit.user().into(), pass: ftpkit.pass().into(), url: ftpkit.url(FILE) },
        Target { addr: vsftpd.addr(), user: vsftpd.user().into(), pass: vsftpd.pass().into(), url: vsftpd.url(FILE) },
        Target {
            addr: pyftpdlib.addr(),
            user: pyftpdlib.user().into(),
            pass: pyftpdlib.pass().into(),
            url: pyftpdlib.url(FILE),
        },
    ];
    let (fk, vs, py) = (0, 1, 2);
    let mut plan: Vec<(Row, Run)> = Vec::new();
    let row = |name, mode, role| Row { name, mode, role, samples: Vec::new(), errors: Vec::new() };
    for mode in [DataMode::Passive, DataMode::Active] {
        let m = Some(mode);
        plan.push((row("ftpkit ← ftpkit", m, Role::Both), Run::Ftpkit(fk)));
        plan.push((row("curl ← ftpkit", m, Role::Server), Run::Curl(fk)));
        plan.push((row("ftpkit ← vsftpd", m, Role::Client), Run::Ftpkit(vs)));
        plan.push((row("curl ← vsftpd", m, Role::Peer), Run::Curl(vs)));
        plan.push((row("curl ← pyftpdlib", m, Role::Peer), Run::Curl(py)));
    }
    plan.push((row("raw TCP (sendfile → 256 KiB reads)", None, Role::Raw), Run::Raw(RawSend::Sendfile)));
    plan.push((row("raw TCP (std::io::copy → 256 KiB reads)", None, Role::Info), Run::Raw(RawSend::StdCopy)));

    for round in 1..=rounds {
        for (row, run) in &mut plan {
            let mode = row.mode.unwrap_or(DataMode::Passive);
            let result = match *run {
                Run::Ftpkit(t) => ftpkit_get(&targets[t], mode, size),
                Run::Curl(t) => curl_get(&curl, &targets[t], mode, size),
                Run::Raw(how) => raw_copy(&file.path(), size, how),
            };
            match result {
                Ok(d) => {
                    let g = gbps(size, d);
                    eprintln!("[throughput] round {round}/{rounds} {} {}: {g:.2} GB/s", row.name, mode.name());
                    row.samples.push(g);
                }
                Err(e) => {
                    eprintln!("[throughput] round {round}/{rounds} {} {}: FAILED {e}", row.name, mode.name());
                    row.errors.push(e);
                }
            }
        }
    }
    drop((ftpkit, vsftpd, pyftpdlib));
    Ok(Report { size, rounds, rows: plan.into_iter().map(|(r, _)| r).collect(), load: (load_before, super::loadavg()) })
}

/// A pass/miss verdict on one target.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The target, in words.
    pub target: String,
    /// The figures compared.
    pub detail: String,
    /// Met, or `None` when a row it needs has no figure.
    pub pass: Option<bool>,
}

impl Report {
    fn find(&self, name: &str, mode: Option<DataMode>) -> Option<f64> {
        self.rows.iter().find(|r| r.name == name && r.mode == mode).and_then(Row::median)
    }

    /// The fastest peer-only row of `mode`.
    fn fastest_peer(&self, mode: Option<DataMode>) -> Option<(&'static str, f64)> {
        self.rows
            .iter()
            .filter(|r| r.role == Role::Peer && r.mode == mode)
            .filter_map(|r| r.median().map(|m| (r.name, m)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn raw(&self) -> Option<f64> {
        self.rows.iter().find(|r| r.role == Role::Raw).and_then(Row::median)
    }

    /// The markdown table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "| transfer ({} MiB, median of {}) | mode | GB/s | min–max | vs fastest peer row | vs raw |",
            self.size / (1024 * 1024),
            self.rounds
        );
        let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: | ---: |");
        let raw = self.raw();
        for r in &self.rows {
            let mode = r.mode.map_or("—", DataMode::name);
            let Some(m) = r.median() else {
                let why = r.errors.first().map(|e| e.lines().next().unwrap_or("").to_owned()).unwrap_or_default();
                let _ = writeln!(s, "| {} | {mode} | failed: {why} | | | |", r.name);
                continue;
            };
            let lo = r.samples.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = r.samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let ftpkit = matches!(r.role, Role::Both | Role::Server | Role::Client);
            let vs_peer = match self.fastest_peer(r.mode) {
                Some((_, p)) if ftpkit => format!("{:.2}×", m / p),
                _ => String::new(),
            };
            let vs_raw = match raw {
                Some(x) if r.role != Role::Raw => format!("{:.0}%", 100.0 * m / x),
                _ => String::new(),
            };
            let failed = if r.errors.is_empty() { String::new() } else { format!(" ({} failed)", r.errors.len()) };
            let _ = writeln!(s, "| {}{failed} | {mode} | {m:.2} | {lo:.2}–{hi:.2} | {vs_peer} | {vs_raw} |", r.name);
        }
        s
    }

    /// The targets, per mode: ftpkit's server (curl ← ftpkit) and client (ftpkit ← vsftpd, the same server
    /// as the peer client's row) each at least the fastest peer row, and each ftpkit row at least 90% of raw.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut out = Vec::new();
        let raw = self.raw();
        let fmt = |x: Option<f64>| x.map_or("n/a".to_owned(), |v| format!("{v:.2}"));
        for mode in [DataMode::Passive, DataMode::Active] {
            let m = Some(mode);
            let peer = self.fastest_peer(m);
            let server = self.find("curl ← ftpkit", m);
            let client = self.find("ftpkit ← vsftpd", m);
            let both = self.find("ftpkit ← ftpkit", m);
            let (pname, pval) = peer.map_or(("n/a", None), |(n, v)| (n, Some(v)));
            for (what, row, x) in [("server", "curl ← ftpkit", server), ("client", "ftpkit ← vsftpd", client)] {
                out.push(Verdict {
                    target: format!("{what} ≥ fastest peer ({})", mode.name()),
                    detail: format!("{row} {} vs {pname} {} GB/s", fmt(x), fmt(pval)),
                    pass: x.zip(pval).map(|(a, b)| a >= b),
                });
            }
            for (what, row, x) in [("server", "curl ← ftpkit", server), ("client+server", "ftpkit ← ftpkit", both)]
            {
                out.push(Verdict {
                    target: format!("{what} ≥ 90% of raw ({})", mode.name()),
                    detail: format!("{row} {} vs 0.9 × raw {} GB/s", fmt(x), fmt(raw)),
                    pass: x.zip(raw).map(|(a, b)| a >= 0.9 * b),
                });
            }
        }
        out
    }
}
