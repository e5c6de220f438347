//! SeaweedFS (`weed mini`) on loopback: an S3-compatible store for the S3 back end's tests, installed when missing
//! ([`ensure_seaweedfs`]). It binds 127.0.0.1 only, on ports found free, with telemetry, WebDAV and the admin UI off,
//! one bucket and one access key; stopped (and its data removed) when dropped.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::install::ensure_seaweedfs;
use crate::process::kill_and_wait;
use crate::{Error, Result};

/// A running SeaweedFS.
#[derive(Debug)]
pub struct SeaweedFs {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`, its S3 endpoint.
    pub endpoint: String,
    /// The bucket it was started with.
    pub bucket: String,
    /// The access key.
    pub access_key: String,
    /// The secret key.
    pub secret_key: String,
}

/// A port `p` with `p` and `p + 10000` (SeaweedFS's gRPC port beside each HTTP one) free on 127.0.0.1.
fn free_pair(taken: &[u16]) -> Result<u16> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seed = std::process::id() % 4999;
    for _ in 0..400 {
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = u16::try_from(20_000 + (seed * 7 + k * 131) % 10_000).unwrap_or(20_000);
        if taken.iter().any(|t| t.abs_diff(p) < 2 || t.abs_diff(p + 10_000) < 2) {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok()
            && TcpListener::bind((Ipv4Addr::LOCALHOST, p + 10_000)).is_ok()
        {
            return Ok(p);
        }
    }
    Err(Error::new("seaweedfs", "no free pair of ports (p, p+10000)"))
}

impl SeaweedFs {
    /// Starts `weed mini` with `bucket` and waits (up to 60 s) for its S3 port.
    pub fn start(bucket: &str) -> Result<SeaweedFs> {
        const NAME: &str = "seaweedfs";
        let weed = ensure_seaweedfs()?;
        let dir = tempfile::Builder::new()
            .prefix("ftpkit-seaweed-")
            .tempdir()
            .map_err(|e| Error::new(NAME, format!("temp dir: {e}")))?;
        let (access_key, secret_key) = ("ftpkit-test".to_owned(), "ftpkit-test-secret".to_owned());
        let config = format!(
            r#"{{"identities":[{{"name":"t","credentials":[{{"accessKey":"{access_key}","secretKey":"{secret_key}"}}],"actions":["Admin","Read","List","Tagging","Write"]}}]}}"#
        );
        let s3json = dir.path().join("s3.json");
        std::fs::write(&s3json, config).map_err(|e| Error::new(NAME, format!("s3.json: {e}")))?;
        let mut taken = Vec::new();
        let mut port = || -> Result<u16> {
            let p = free_pair(&taken)?;
            taken.push(p);
            Ok(p)
        };
        let (s3, master, volume, filer) = (port()?, port()?, port()?, port()?);
        let data = dir.path().join("data");
        std::fs::create_dir(&data).map_err(|e| Error::new(NAME, format!("data dir: {e}")))?;
        let log = std::fs::File::create(dir.path().join("weed.log")).map_err(|e| Error::new(NAME, e.to_string()))?;
        let child = Command::new(&weed)
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false", "-webdav=false"])
            .args(["-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg(format!("-s3.port={s3}"))
            .arg(format!("-master.port={master}"))
            .arg(format!("-volume.port={volume}"))
            .arg(format!("-filer.port={filer}"))
            .arg(format!("-s3.config={}", s3json.display()))
            .arg(format!("-bucket={bucket}"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| Error::new(NAME, e.to_string()))?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|e| Error::new(NAME, format!("cannot start {}: {e}", weed.display())))?;
        let mut me = SeaweedFs {
            child,
            dir,
            endpoint: format!("http://127.0.0.1:{s3}"),
            bucket: bucket.to_owned(),
            access_key,
            secret_key,
        };
        let t0 = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, s3)).is_err() {
            if t0.elapsed() > Duration::from_secs(60) || !matches!(me.child.try_wait(), Ok(None)) {
                return Err(Error::new(NAME, format!("no S3 port {s3} after {:?}\n{}", t0.elapsed(), me.log())));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(me)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default()
    }

    /// Where its data lives.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}
