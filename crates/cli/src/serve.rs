//! `ftpkit serve`: the embedded tokio server on a directory.

use ftpkit::proto::session::server::rate::parse_rate;
use ftpkit::server::tls::ClientCerts;
use ftpkit::server::users::UsersFile;
use ftpkit::server::{
    Access, BackoffPolicy, Cidr, Masquerade, ProxyPolicy, S3Config, S3Storage, Server, TlsPolicy, TlsReuse,
};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `ftpkit serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to serve (default: the current directory). Sessions cannot leave it.
    dir: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:2121")]
    bind: SocketAddr,
    /// The passive port range, A-B.
    #[arg(long, value_parser = parse_range)]
    pasv_range: Option<(u16, u16)>,
    /// The address to advertise in 227 replies (a server behind NAT).
    #[arg(long)]
    masquerade: Option<Ipv4Addr>,
    /// A user, NAME:PASS (repeatable). Without any, the server is anonymous-only.
    #[arg(long = "user", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// Give the users read-write access (anonymous logins are always read-only).
    #[arg(long)]
    write: bool,
    /// The users file (`ftpkit passwd` writes it): one `name:argon2-hash:home:rights` line a user. Read again when
    /// it changes (checked at each login): new logins use the new file, sessions in progress keep going.
    #[arg(long = "users", value_name = "FILE", conflicts_with_all = ["users", "write"])]
    users_file: Option<PathBuf>,
    /// Refuse anonymous logins (only with --user or --users).
    #[arg(long)]
    no_anonymous: bool,
    /// FTPS: the certificate chain (PEM). AUTH TLS is then offered on the control port.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// FTPS: the private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Implicit FTPS: also listen here, TLS from the first byte (port 990 by convention).
    #[arg(long, requires = "tls_cert")]
    tls_implicit_bind: Option<SocketAddr>,
    /// Refuse logins and transfers in clear (USER before AUTH TLS: 530; a transfer under PROT C: 521).
    #[arg(long, requires = "tls_cert")]
    require_tls: bool,
    /// A protected data connection that did not resume the control connection's TLS session: refuse it (522),
    /// warn, or do not check. Default: require with --require-tls, else warn.
    #[arg(long, value_parser = parse_reuse)]
    tls_reuse: Option<TlsReuse>,
    /// Accept CCC after login: the control connection goes back to clear text (for firewalls' and NAT routers'
    /// FTP helpers); data connections keep their protection. Default: CCC refused (534).
    #[arg(long, requires = "tls_cert")]
    allow_ccc: bool,
    /// FTPS: ask clients for a certificate signed by a CA in this PEM file (mutual TLS); a client whose certificate
    /// does not verify fails its handshake.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// With --tls-client-ca: refuse a client without a certificate (else it may go on without one).
    #[arg(long, requires = "tls_client_ca")]
    tls_require_client_cert: bool,
    /// Behind a load balancer (HAProxy `send-proxy`/`send-proxy-v2`): every control connection must come from a
    /// --trusted-proxy and start with a PROXY protocol header (v1 or v2), whose client address the server then
    /// checks and logs. Passive data connections from the proxy must carry one too.
    #[arg(long, requires = "trusted_proxies")]
    proxy_protocol: bool,
    /// An address or network (CIDR) of the load balancer, e.g. 10.0.0.5 or 10.0.0.0/24 (repeatable).
    #[arg(long = "trusted-proxy", requires = "proxy_protocol")]
    trusted_proxies: Vec<Cidr>,
    /// Keep the files in an object store instead of DIR: s3://BUCKET[/PREFIX]. Credentials from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or --s3-credentials.
    #[arg(long, value_parser = parse_s3_url, conflicts_with = "dir")]
    storage: Option<(String, String)>,
    /// The S3 endpoint URL (an S3-compatible store, e.g. http://127.0.0.1:8333); default: AWS's for the region.
    #[arg(long, requires = "storage")]
    s3_endpoint: Option<String>,
    /// The S3 region (default us-east-1).
    #[arg(long, requires = "storage")]
    s3_region: Option<String>,
    /// At most this many sessions at once; more get 421.
    #[arg(long, default_value_t = 512)]
    max_sessions: usize,
    /// At most this many sessions from one client address (the PROXY header's, behind a load balancer).
    #[arg(long, default_value_t = 16)]
    max_sessions_per_ip: usize,
    /// At most this many files hashed at once for HASH, server-wide (default: the number of CPUs); more wait
    /// their turn.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_hashes: Option<u32>,
    /// Failed logins from one client address (across connections) before every login from it is refused with
    /// 421 for --login-ban seconds; from the fourth failure on, the answer to PASS is delayed (1 s, doubling, at
    /// most 30 s). 0: never refused (still delayed).
    #[arg(long, default_value_t = 10)]
    max_failed_logins_per_ip: u32,
    /// How long an address is refused after --max-failed-logins-per-ip failures, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    login_ban: u64,
    /// At most this many bytes a second to the client on each session's data connections (downloads, listings),
    /// e.g. 1048576, 512K, 1M. Users in the --users file may have their own limit on top.
    #[arg(long, value_name = "BYTES/S", value_parser = parse_rate)]
    max_rate_down: Option<u64>,
    /// At most this many bytes a second from the client on each session's data connections (uploads).
    #[arg(long, value_name = "BYTES/S", value_parser = parse_rate)]
    max_rate_up: Option<u64>,
    /// Logs as JSON lines (one object a line; `FTPKIT_LOG=info` for a line per session and per transfer).
    #[arg(long)]
    log_json: bool,
    /// Metrics in Prometheus' text format on http://ADDR/metrics (e.g. 127.0.0.1:9121).
    #[arg(long)]
    metrics_bind: Option<SocketAddr>,
    /// A virtual host, NAME=DIR (repeatable): a client that sends HOST NAME before logging in (RFC 7151) is served
    /// DIR instead of the main directory, and greeted "ftpkit ready (NAME)".
    #[arg(long = "vhost", value_name = "NAME=DIR", value_parser = parse_vhost)]
    vhosts: Vec<(String, PathBuf)>,
    /// An AWS credentials file (the [default] profile's aws_access_key_id and aws_secret_access_key).
    #[arg(long, requires = "storage")]
    s3_credentials: Option<PathBuf>,
}

impl Args {
    /// Whether the logs are to be JSON lines.
    pub fn log_json(&self) -> bool {
        self.log_json
    }
}

/// `NAME=DIR` -> (NAME, DIR).
fn parse_vhost(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, dir)) if !name.trim().is_empty() && !dir.is_empty() && !name.contains(char::is_whitespace) => {
            Ok((name.to_owned(), PathBuf::from(dir)))
        }
        _ => Err("expected NAME=DIR (a host name without spaces, a directory)".into()),
    }
}

/// `s3://bucket/prefix` -> (bucket, prefix).
fn parse_s3_url(s: &str) -> Result<(String, String), String> {
    let rest = s.strip_prefix("s3://").ok_or("expected s3://BUCKET[/PREFIX]")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err("no bucket in the s3:// URL".into());
    }
    Ok((bucket.to_owned(), prefix.trim_matches('/').to_owned()))
}

/// The S3 back end's settings: the URL's bucket and prefix, the endpoint and region flags, and the credentials from
/// the file given, else the usual environment variables.
fn s3_config(args: &Args, bucket: &str, prefix: &str) -> Result<S3Config, String> {
    let (key, secret, token) = match &args.s3_credentials {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut in_default = false;
            let (mut key, mut secret, mut token) = (None, None, None);
            for line in text.lines().map(str::trim) {
                if line.starts_with('[') {
                    in_default = line == "[default]";
                } else if let (true, Some((k, v))) = (in_default, line.split_once('=')) {
                    let v = Some(v.trim().to_owned());
                    match k.trim() {
                        "aws_access_key_id" => key = v,
                        "aws_secret_access_key" => secret = v,
                        "aws_session_token" => token = v,
                        _ => {}
                    }
                }
            }
            (key, secret, token)
        }
        None => (
            std::env::var("AWS_ACCESS_KEY_ID").ok(),
            std::env::var("AWS_SECRET_ACCESS_KEY").ok(),
            std::env::var("AWS_SESSION_TOKEN").ok(),
        ),
    };
    let (Some(access_key_id), Some(secret_access_key)) = (key, secret) else {
        return Err("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --s3-credentials".into());
    };
    Ok(S3Config {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
        endpoint: args.s3_endpoint.clone(),
        region: args.s3_region.clone(),
        access_key_id,
        secret_access_key,
        session_token: token,
    })
}

fn parse_reuse(s: &str) -> Result<TlsReuse, String> {
    match s {
        "require" => Ok(TlsReuse::Require),
        "warn" => Ok(TlsReuse::Warn),
        "off" => Ok(TlsReuse::Off),
        _ => Err("expected require, warn or off".into()),
    }
}

fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s.split_once('-').ok_or("expected A-B, e.g. 30000-30009")?;
    let a: u16 = a.trim().parse().map_err(|e| format!("start: {e}"))?;
    let b: u16 = b.trim().parse().map_err(|e| format!("end: {e}"))?;
    if a == 0 || a > b {
        return Err(format!("{a}-{b} is not a range of ports 1-65535 with start <= end"));
    }
    Ok((a, b))
}

fn parse_user(s: &str) -> Result<(String, String), String> {
    let (u, p) = s.split_once(':').ok_or("expected NAME:PASS")?;
    if u.is_empty() {
        return Err("empty user name".into());
    }
    Ok((u.to_owned(), p.to_owned()))
}

/// Runs the server until Ctrl-C.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| e.to_string())?,
    };
    if args.no_anonymous && args.users.is_empty() && args.users_file.is_none() {
        return Err("--no-anonymous needs --user or --users (else nobody could log in)".into());
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut b = Server::builder(&dir).bind(args.bind).anonymous(!args.no_anonymous);
        if let Some((a, z)) = args.pasv_range {
            b = b.passive_ports(a..=z);
        }
        if let Some(ip) = args.masquerade {
            b = b.masquerade(Masquerade::One(ip));
        }
        let access = if args.write { Access::ReadWrite } else { Access::ReadOnly };
        for (u, p) in &args.users {
            b = b.user(u, p, access);
        }
        if let Some(file) = &args.users_file {
            let users = UsersFile::open(file, &dir).map_err(|e| e.to_string())?;
            b = b.authenticator(std::sync::Arc::new(users));
        }
        for (name, dir) in &args.vhosts {
            b = b.vhost(name, dir, &format!("ftpkit ready ({name})"));
        }
        if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
            b = b.tls_pem(cert, key);
            if let Some(ca) = &args.tls_client_ca {
                b = b.tls_client_certs(ClientCerts { ca_file: ca.clone(), required: args.tls_require_client_cert });
            }
            let mut policy = if args.require_tls { TlsPolicy::required() } else { TlsPolicy::default() };
            if let Some(r) = args.tls_reuse {
                policy.reuse = r;
            }
            policy.allow_ccc = args.allow_ccc;
            b = b.tls_policy(policy);
            if let Some(addr) = args.tls_implicit_bind {
                b = b.implicit_tls_bind(addr);
            }
        }
        if let Some((bucket, prefix)) = &args.storage {
            let s3 = S3Storage::new(&s3_config(args, bucket, prefix)?).map_err(|e| format!("S3: {e}"))?;
            b = b.storage(std::sync::Arc::new(s3));
        }
        b = b.max_sessions(args.max_sessions).max_sessions_per_ip(args.max_sessions_per_ip);
        if let Some(n) = args.max_hashes {
            b = b.max_hashes(usize::try_from(n).unwrap_or(usize::MAX));
        }
        b = b.max_rate_down(args.max_rate_down).max_rate_up(args.max_rate_up);
        b = b.login_backoff(BackoffPolicy {
            refuse_after: args.max_failed_logins_per_ip,
            refuse_for: std::time::Duration::from_secs(args.login_ban),
            ..BackoffPolicy::default()
        });
        if let Some(addr) = args.metrics_bind {
            b = b.metrics_bind(addr);
        }
        if args.proxy_protocol {
            b = b.proxy_protocol(ProxyPolicy::new(args.trusted_proxies.clone()));
        }
        let what = match &args.storage {
            Some((bucket, prefix)) => format!("s3://{bucket}/{prefix}"),
            None => dir.display().to_string(),
        };
        let server = b.build().await.map_err(|e| format!("cannot serve {what} on {}: {e}", args.bind))?;
        let addr = server.local_addr().map_err(|e| e.to_string())?;
        eprintln!("ftpkit: serving {what} on ftp://{addr}/ (Ctrl-C to stop)");
        if let Some(a) = server.metrics_addr() {
            eprintln!("ftpkit: metrics on http://{a}/metrics");
        }
        if let Some(a) = server.implicit_addr() {
            eprintln!("ftpkit: implicit FTPS on ftps://{a}/");
        }
        let handle = server.handle();
        let task = tokio::spawn(server.run());
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("ftpkit: shutting down");
        handle.shutdown().await;
        let _ = task.await;
        Ok(ExitCode::SUCCESS)
    })
}
