//! `ftpkit ls|get|put URL`: the blocking client on an `ftp://` URL, with progress bars and `--trace`.

use crate::trace::{Echo, Recorder};
use crate::url::{FtpUrl, UrlError};
use ftpkit::blocking::Client;
use ftpkit::client::{ClientMode, Error as ClientError, Options, PasvAddressPolicy, TextEncoding, TlsMode, TlsPolicy};
use ftpkit::tls::TlsConfig;
use ftpkit_proto::listing::{Entry, EntryKind};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Options shared by `ls`, `get` and `put`.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Active mode: the client listens and the server connects back (PORT/EPRT).
    #[arg(long, conflicts_with = "passive")]
    active: bool,
    /// Passive mode (the default): the client connects to the port the server names (EPSV, falling back to PASV).
    #[arg(long)]
    passive: bool,
    /// Passive mode with PASV only (no EPSV): the server names its address and port as h1,h2,h3,h4,p1,p2.
    #[arg(long, conflicts_with = "active")]
    pasv: bool,
    /// Print the control exchange as `ftp -d` does (to stderr), and after each data connection the seed's numbered
    /// steps for it with the session's real addresses and ports.
    #[arg(long)]
    trace: bool,
    /// Explicit FTPS: AUTH TLS before logging in, data connections protected (PBSZ 0, PROT P); refuse to go on in
    /// clear if the server refuses TLS. (`ftps://` URLs are implicit FTPS.)
    #[arg(long)]
    tls: bool,
    /// FTPS: trust only the CA certificates in this PEM file (default: the compiled-in Mozilla roots).
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// FTPS: accept any server certificate. Only for self-signed test servers: anyone in the path can read and
    /// change the session.
    #[arg(long)]
    insecure_skip_verify: bool,
    /// FTPS: present this client certificate chain (PEM) to servers that ask for one (mutual TLS).
    #[arg(long, value_name = "PATH", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// FTPS: the private key (PEM) of --client-cert.
    #[arg(long, value_name = "PATH", requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// FTPS: after login, CCC (clear command channel): the control connection goes back to clear text so that a
    /// firewall's or NAT router's FTP helper can read PORT and 227 again; data connections stay protected. A NOOP
    /// follows in clear: Linux's helper reads a line only after one clear command has crossed first (docs/LAB.md,
    /// rows 7b-7d).
    #[arg(long)]
    ccc: bool,
    /// Seconds to wait for the control connection, each reply, and each data connection (default 10, 30, 30).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: Option<u64>,
    /// Where to connect when a 227 names another address than the server's: `peer` (the control connection's
    /// address, the default, as curl and ftplib do) or `trust` (the announced address, RFC 959's way).
    #[arg(long, value_name = "POLICY", value_parser = parse_pasv_address)]
    pasv_address: Option<PasvAddressPolicy>,
    /// The encoding of the server's path names: `utf8` (the default; `OPTS UTF8 ON` is sent when FEAT lists UTF8)
    /// or `latin1` (ISO-8859-1, for servers that send Latin-1 names). The URL's path is text (`café` or
    /// `caf%C3%A9`), written in this encoding; a name it cannot write, or a listing it cannot read, is an error.
    #[arg(long, value_name = "ENCODING", default_value = "utf8", value_parser = parse_encoding)]
    encoding: TextEncoding,
}

fn parse_encoding(s: &str) -> Result<TextEncoding, String> {
    s.parse().map_err(|e: ftpkit::client::UnknownEncoding| e.to_string())
}

fn parse_pasv_address(s: &str) -> Result<PasvAddressPolicy, String> {
    match s {
        "peer" => Ok(PasvAddressPolicy::UseControlPeer),
        "trust" => Ok(PasvAddressPolicy::TrustServer),
        _ => Err("expected peer or trust".into()),
    }
}

impl Common {
    /// The FTPS options for `url` (`implicit`: an `ftps://` URL).
    fn tls(&self, url: &FtpUrl, implicit: bool) -> (TlsPolicy, TlsConfig) {
        let mode = match (implicit, self.tls) {
            (true, _) => TlsMode::Implicit,
            (false, true) => TlsMode::Explicit,
            (false, false) => TlsMode::Off,
        };
        let config = TlsConfig {
            server_name: Some(url.host.clone()),
            ca_file: self.ca_file.clone(),
            insecure_skip_verify: self.insecure_skip_verify,
            client_cert: self.client_cert.clone().zip(self.client_key.clone()),
            ..TlsConfig::default()
        };
        (TlsPolicy { mode, ..TlsPolicy::default() }, config)
    }

    /// The client options these flags give (mode, timeouts, 227 policy); the caller adds trace and TLS.
    fn options(&self) -> Options {
        let mut o =
            Options { mode: self.mode(), extended_passive: !self.pasv, encoding: self.encoding, ..Options::default() };
        if let Some(t) = self.timeout.map(Duration::from_secs) {
            (o.connect_timeout, o.reply_timeout, o.data_timeout) = (t, t, t);
        }
        if let Some(p) = &self.pasv_address {
            o.pasv_policy = p.clone();
        }
        o
    }

    fn mode(&self) -> ClientMode {
        if self.active {
            ClientMode::Active
        } else {
            ClientMode::Passive
        }
    }
}

/// Options of `ftpkit ls`.
#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// ftp://[user[:pass]@]host[:port]/path (anonymous when no user; the path is relative to the login directory,
    /// %2F makes it absolute).
    url: String,
    #[command(flatten)]
    common: Common,
    /// Write the entries as a JSON array.
    #[arg(long)]
    json: bool,
}

/// Options of `ftpkit get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// ftp://[user[:pass]@]host[:port]/path/to/file
    url: String,
    /// Where to write the file (default: its name, in the current directory; `-` for stdout).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Continue a partial download left in FILE.part (REST), instead of starting over.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    common: Common,
}

/// Options of `ftpkit put`.
#[derive(Debug, clap::Args)]
pub struct PutArgs {
    /// The local file to upload.
    file: PathBuf,
    /// ftp://[user[:pass]@]host[:port]/path (a path ending in / or no path: the file's own name in that directory).
    url: String,
    #[command(flatten)]
    common: Common,
}

/// Why `ls`, `get` or `put` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// The URL is not a usable `ftp://` URL.
    #[error("bad URL: {0}")]
    Url(#[from] UrlError),
    /// Connecting or logging in failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// Why.
        source: ClientError,
    },
    /// The server refused the login.
    #[error("login as {user:?} on {addr} failed: {source}")]
    Login {
        /// `host:port`.
        addr: String,
        /// The user name.
        user: String,
        /// Why.
        source: ClientError,
    },
    /// A request on the server failed.
    #[error("{what}: {source}")]
    Ftp {
        /// What was being done (`download of "a.txt"`).
        what: String,
        /// Why.
        source: ClientError,
    },
    /// A local file operation failed.
    #[error("{op} {}: {source}", path.display())]
    Local {
        /// What was being done (`cannot create`).
        op: &'static str,
        /// The local path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `get` without `-o` on a URL that names no file.
    #[error("the URL names no file (its path is empty or ends in /); give one, or -o FILE")]
    NoFileName,
    /// `--resume` with a partial file longer than the remote file.
    #[error("{} holds {local} bytes, more than the remote file's {remote}: not a partial download of it", path.display())]
    PartialTooLong {
        /// The partial file.
        path: PathBuf,
        /// Its length.
        local: u64,
        /// The remote file's size.
        remote: u64,
    },
}

impl TransferError {
    /// The stable class of the error.
    pub fn kind(&self) -> ftpkit_proto::ErrorKind {
        use ftpkit_proto::ErrorKind as K;
        match self {
            TransferError::Url(e) => e.kind(),
            TransferError::Connect { source, .. }
            | TransferError::Login { source, .. }
            | TransferError::Ftp { source, .. } => source.kind(),
            TransferError::Local { .. } => K::Incomplete,
            TransferError::NoFileName => K::InvalidState,
            TransferError::PartialTooLong { .. } => K::Range,
        }
    }
}

/// Reports a failed command on stderr: exit status 2 for a usage error (the URL, a missing file name), 1 when the
/// server, the network or a local file failed.
pub fn finish(result: Result<ExitCode, TransferError>) -> ExitCode {
    use ftpkit_proto::ErrorKind as K;
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ftpkit: {e}");
            let usage = matches!(e, TransferError::Url(_) | TransferError::NoFileName);
            ExitCode::from(if usage || e.kind() == K::Injection { 2 } else { 1 })
        }
    }
}

/// A logged-in session, with its trace.
pub struct Session {
    /// The client.
    pub client: Client,
    /// The trace (always recorded; echoed to stderr with `--trace`).
    pub recorder: Recorder,
    trace: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("recorder", &self.recorder).field("trace", &self.trace).finish()
    }
}

impl Session {
    /// Connects to the URL's host, logs in (with FTPS as `tls` says: explicit, implicit, or off) and sets binary
    /// type.
    pub fn open_tls(
        url: &FtpUrl,
        opts: Options,
        echo: Echo,
        tls: (TlsPolicy, TlsConfig),
    ) -> Result<Session, TransferError> {
        let addr = url.authority();
        let connect_err = |source: ClientError| TransferError::Connect { addr: addr.clone(), source };
        let mut last = None;
        let mut stream = None;
        for a in addr.to_socket_addrs().map_err(|e| connect_err(e.into()))? {
            match TcpStream::connect_timeout(&a, opts.connect_timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(connect_err(e.into())),
            (None, None) => return Err(connect_err(ClientError::Timeout("an address to connect to"))),
        };
        let mut recorder = Recorder::new(echo);
        if let (Ok(l), Ok(p)) = (stream.local_addr(), stream.peer_addr()) {
            recorder.set_control(l, p);
        }
        let opts = Options { trace: Some(recorder.tracer()), tls: tls.0, tls_config: tls.1, ..opts };
        let mut client = Client::from_stream(stream, opts).map_err(connect_err)?;
        client.login(&url.user, &url.password).map_err(|source| TransferError::Login {
            addr: addr.clone(),
            user: url.user.clone(),
            source,
        })?;
        Ok(Session { client, recorder, trace: echo == Echo::Stderr })
    }

    /// With `--trace`, writes the steps of the data connections made since the last call.
    pub fn annotate(&mut self) {
        if self.trace {
            let steps = self.recorder.new_steps();
            if !steps.is_empty() {
                eprint!("{steps}");
            }
        }
    }

    /// Ends the session (QUIT).
    pub fn quit(self) -> Result<(), TransferError> {
        self.client.quit().map_err(|source| TransferError::Ftp { what: "QUIT".into(), source })
    }
}

fn open_session(url: &str, common: &Common) -> Result<(FtpUrl, Session), TransferError> {
    let (url, implicit) = FtpUrl::parse_with_tls(url)?;
    let echo = if common.trace { Echo::Stderr } else { Echo::Quiet };
    let tls = common.tls(&url, implicit);
    let mut session = Session::open_tls(&url, common.options(), echo, tls)?;
    if common.ccc {
        session.client.ccc().map_err(|source| TransferError::Ftp { what: "CCC".into(), source })?;
    }
    Ok((url, session))
}

fn kind_name(k: &EntryKind<'_>) -> String {
    k.name().to_owned()
}

fn entry_json(e: &Entry<'_>) -> Value {
    json!({
        "name": e.name,
        "type": kind_name(&e.kind),
        "size": e.size,
        "modified": e.modified.map(|t| t.to_string()),
        "permissions": e.permissions,
        "link_target": e.link_target,
    })
}

/// One `ls -l`-like line: type letter, size, modification time, name.
fn entry_line(e: &Entry<'_>) -> String {
    let letter = match e.kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::File => '-',
        _ => '?',
    };
    let size = e.size.map_or_else(|| "-".to_owned(), |s| s.to_string());
    let time = e.modified.map_or_else(|| "-".to_owned(), |t| t.to_string());
    let mut line = format!("{letter} {size:>12} {time:<19} {}", e.name);
    if let Some(t) = &e.link_target {
        line.push_str(&format!(" -> {t}"));
    }
    line
}

/// `ftpkit ls`.
pub fn ls(args: &LsArgs) -> Result<ExitCode, TransferError> {
    let (url, mut s) = open_session(&args.url, &args.common)?;
    let listed = s.client.list(url.path_opt());
    s.annotate();
    let entries = listed.map_err(|source| TransferError::Ftp {
        what: format!("listing of {:?}", if url.path.is_empty() { "." } else { url.path.as_str() }),
        source,
    })?;
    s.quit()?;
    let shown = entries.iter().filter(|e| !matches!(e.kind, EntryKind::CurrentDir | EntryKind::ParentDir));
    let text = if args.json {
        format!("{}\n", Value::Array(shown.map(entry_json).collect()))
    } else {
        shown.map(|e| entry_line(e) + "\n").collect()
    };
    io::stdout().lock().write_all(text.as_bytes()).map_err(|source| local("cannot write", "stdout", source))?;
    Ok(ExitCode::SUCCESS)
}

fn local(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> TransferError {
    TransferError::Local { op, path: path.into(), source }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or when the trace is printed there.
fn progress(len: Option<u64>, at: u64, hidden: bool) -> ProgressBar {
    let target = if hidden { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let bar = ProgressBar::with_draw_target(len, target);
    let template = if len.is_some() {
        "{bytes:>10}/{total_bytes} [{bar:30}] {binary_bytes_per_sec} eta {eta}"
    } else {
        "{spinner} {bytes:>10} {binary_bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_position(at);
    bar
}

/// `ftpkit get`.
pub fn get(args: &GetArgs) -> Result<ExitCode, TransferError> {
    let (url, _) = FtpUrl::parse_with_tls(&args.url)?;
    let name = url.file_name().ok_or(TransferError::NoFileName)?.to_owned();
    let target = args.output.clone().unwrap_or_else(|| PathBuf::from(&name));
    let (_, mut s) = open_session(&args.url, &args.common)?;
    let what = format!("download of {:?}", url.path);
    // SIZE is only for the progress bar and the resume check: a server without it is fine.
    let size = s.client.size(&url.path).ok();
    let hidden = args.common.trace;
    // Standard output, or an existing target that is not a regular file (a device such as /dev/null, a FIFO): write
    // straight into it. Never the temporary-file-and-rename path there, which would replace the device with a file.
    let special = fs::metadata(&target).ok().filter(|m| !m.is_file());
    if special.as_ref().is_some_and(fs::Metadata::is_dir) {
        return Err(local("cannot download into", &target, io::Error::new(io::ErrorKind::IsADirectory, "a directory")));
    }
    if target.as_os_str() == "-" || special.is_some() {
        if args.resume {
            return Err(local("cannot resume into", &target, io::Error::other("not a regular file")));
        }
        let sink: Box<dyn Write> = if target.as_os_str() == "-" {
            Box::new(io::stdout().lock())
        } else {
            Box::new(OpenOptions::new().write(true).open(&target).map_err(|e| local("cannot open", &target, e))?)
        };
        let bar = progress(size, 0, hidden);
        let mut out = Progress { inner: sink, bar: bar.clone() };
        let result = s.client.retrieve_to(&url.path, &mut out);
        bar.finish_and_clear();
        s.annotate();
        result.map_err(|source| TransferError::Ftp { what, source })?;
        s.quit()?;
        return Ok(ExitCode::SUCCESS);
    }
    let part = part_path(&target);
    let offset = if args.resume { fs::metadata(&part).map(|m| m.len()).unwrap_or(0) } else { 0 };
    if let Some(remote) = size {
        if offset > remote {
            return Err(TransferError::PartialTooLong { path: part, local: offset, remote });
        }
    }
    let file = if offset > 0 { OpenOptions::new().append(true).open(&part) } else { File::create(&part) };
    let file = file.map_err(|e| local("cannot create", &part, e))?;
    let bar = progress(size, offset, hidden);
    let mut out = Progress { inner: file, bar: bar.clone() };
    let result = if size.is_some_and(|n| n == offset) && offset > 0 {
        Ok(0) // Already complete: nothing to fetch.
    } else {
        s.client.retrieve_from(&url.path, offset, &mut out)
    };
    bar.finish_and_clear();
    s.annotate();
    let synced = out.inner.sync_all();
    drop(out);
    if let Err(source) = result {
        // Keep a partial file only for a later --resume, and only when it holds something.
        let keep = args.resume && fs::metadata(&part).is_ok_and(|m| m.len() > 0);
        if !keep {
            let _ = fs::remove_file(&part);
        }
        return Err(TransferError::Ftp { what, source });
    }
    synced.map_err(|e| local("cannot write", &part, e))?;
    fs::rename(&part, &target).map_err(|e| local("cannot rename the download to", &target, e))?;
    s.quit()?;
    Ok(ExitCode::SUCCESS)
}

/// `FILE.part`, next to `FILE`.
pub fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    target.with_file_name(name)
}

/// `ftpkit put`.
pub fn put(args: &PutArgs) -> Result<ExitCode, TransferError> {
    let (url, _) = FtpUrl::parse_with_tls(&args.url)?;
    let mut file = File::open(&args.file).map_err(|e| local("cannot open", &args.file, e))?;
    let len = file.metadata().ok().map(|m| m.len());
    let remote = if url.path.is_empty() || url.path.ends_with('/') {
        let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        format!("{}{name}", url.path)
    } else {
        url.path.clone()
    };
    let (_, mut s) = open_session(&args.url, &args.common)?;
    let what = format!("upload of {} to {remote:?}", args.file.display());
    let bar = progress(len, 0, args.common.trace);
    let result = (|| -> Result<u64, UploadError> {
        let mut up = s.client.store(&remote).map_err(UploadError::Ftp)?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(UploadError::Local(e)),
            };
            up.write_all(buf.get(..n).unwrap_or_default()).map_err(|e| UploadError::Ftp(e.into()))?;
            total += n as u64;
            bar.inc(n as u64);
        }
        up.finish().map_err(UploadError::Ftp)?;
        Ok(total)
    })();
    bar.finish_and_clear();
    s.annotate();
    match result {
        Ok(_) => {}
        Err(UploadError::Ftp(source)) => return Err(TransferError::Ftp { what, source }),
        Err(UploadError::Local(e)) => return Err(local("cannot read", &args.file, e)),
    }
    s.quit()?;
    Ok(ExitCode::SUCCESS)
}

enum UploadError {
    Ftp(ClientError),
    Local(io::Error),
}

/// A writer that moves a progress bar.
struct Progress<W> {
    inner: W,
    bar: ProgressBar,
}

impl<W: Write> Write for Progress<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_path_is_next_to_the_target() {
        let table = [("a.txt", "a.txt.part"), ("dir/b", "dir/b.part"), ("/x/y.tar.gz", "/x/y.tar.gz.part")];
        for (target, want) in table {
            assert_eq!(part_path(Path::new(target)), PathBuf::from(want), "{target}");
        }
    }

    #[test]
    fn error_kinds_and_messages() {
        use ftpkit_proto::ErrorKind as K;
        let e = TransferError::from(UrlError::NoHost);
        assert_eq!((e.kind(), e.to_string().as_str()), (K::Syntax, "bad URL: URL has no host"));
        let e = TransferError::PartialTooLong { path: "f.part".into(), local: 9, remote: 5 };
        assert_eq!(e.kind(), K::Range);
        assert_eq!(e.to_string(), "f.part holds 9 bytes, more than the remote file's 5: not a partial download of it");
        assert_eq!(TransferError::NoFileName.kind(), K::InvalidState);
    }
}
