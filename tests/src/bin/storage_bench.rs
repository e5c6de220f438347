//! Transfer throughput of ftpkit's server on its back ends in one run (issue 17): the local file system
//! (`LocalStorage`: sendfile downloads, uploads renamed into place), `MemoryStorage`, and `S3Storage` against
//! SeaweedFS on loopback; curl downloads and uploads one file from each, passive, rounds interleaved. Prints GB/s
//! medians and each back end's ratio to the local one.
//!
//! ```text
//! cargo run --release -p ftpkit-interop --bin storage_bench -- [--size-mib N (256)] [--rounds R (3)]
//! ```
//!
//! Figures are reported, not gated (the machine is shared); exits 0 unless the arguments are wrong or a peer
//! cannot be started.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftpkit::server::fs::WriteMode;
use ftpkit::server::storage::WriteStream;
use ftpkit::server::{Access, MemoryStorage, S3Config, S3Storage, Server, Storage};
use ftpkit_interop::curl_with_timeout;
use ftpkit_interop::seaweed::SeaweedFs;

const USAGE: &str = "usage: storage_bench [--size-mib N (256)] [--rounds R (3)]";

fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Starts a server on `storage` (or the local `root` when `None`) on a free loopback port.
fn serve(rt: &tokio::runtime::Runtime, root: &std::path::Path, storage: Option<Arc<dyn Storage>>) -> SocketAddr {
    let mut b = Server::builder(root).bind(SocketAddr::from(([127, 0, 0, 1], 0))).user("u", "p", Access::ReadWrite);
    if let Some(s) = storage {
        b = b.storage(s);
    }
    let server = rt.block_on(b.build()).unwrap_or_else(|e| panic!("server: {e}"));
    let addr = server.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    rt.spawn(server.run());
    addr
}

async fn put(storage: &dyn Storage, path: &str, data: &[u8]) -> std::io::Result<()> {
    match storage.write(path, WriteMode::Replace).await? {
        WriteStream::Sink(mut sink) => {
            for chunk in data.chunks(1 << 20) {
                sink.write(chunk).await?;
            }
            sink.finish().await
        }
        WriteStream::File(mut up) => {
            std::io::Write::write_all(up.file()?, data)?;
            up.commit()
        }
    }
}

fn main() -> ExitCode {
    let Some((size_mib, rounds)) = ftpkit_interop::size_and_rounds(USAGE, 256, 3) else {
        return ExitCode::from(2);
    };
    let size = size_mib * 1024 * 1024;
    let data: Vec<u8> = (0..size).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("storage_bench: temp dir: {e}");
            return ExitCode::FAILURE;
        }
    };
    let file = dir.path().join("f.bin");
    if let Err(e) = std::fs::write(&file, &data) {
        eprintln!("storage_bench: {e}");
        return ExitCode::FAILURE;
    }
    let root = dir.path().join("root");
    let _ = std::fs::create_dir(&root);
    let _ = std::fs::copy(&file, root.join("f.bin"));
    let sw = match SeaweedFs::start("bench") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("storage_bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() else {
        return ExitCode::FAILURE;
    };
    let config = S3Config {
        bucket: sw.bucket.clone(),
        prefix: "bench".into(),
        endpoint: Some(sw.endpoint.clone()),
        access_key_id: sw.access_key.clone(),
        secret_access_key: sw.secret_key.clone(),
        ..S3Config::default()
    };
    let s3: Arc<dyn Storage> = match S3Storage::new(&config) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("storage_bench: S3: {e}");
            return ExitCode::FAILURE;
        }
    };
    let memory: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    // SeaweedFS takes a moment after its port opens.
    let t0 = Instant::now();
    while rt.block_on(put(s3.as_ref(), "/f.bin", &data)).is_err() {
        if t0.elapsed() > Duration::from_secs(60) {
            eprintln!("storage_bench: SeaweedFS never took the file\n{}", sw.log());
            return ExitCode::FAILURE;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    if let Err(e) = rt.block_on(put(memory.as_ref(), "/f.bin", &data)) {
        eprintln!("storage_bench: memory: {e}");
        return ExitCode::FAILURE;
    }
    let backends = [
        ("local (sendfile; temp file + rename)", serve(&rt, &root, None)),
        ("memory (stream paths)", serve(&rt, &root, Some(memory))),
        ("S3 on SeaweedFS (ranged GET; multipart)", serve(&rt, &root, Some(s3))),
    ];
    let mut down = vec![Vec::new(); backends.len()];
    let mut up = vec![Vec::new(); backends.len()];
    let sink = if cfg!(unix) { "/dev/null" } else { "NUL" };
    for round in 0..rounds {
        for (i, (name, addr)) in backends.iter().enumerate() {
            let url = format!("ftp://127.0.0.1:{}/f.bin", addr.port());
            let t = Instant::now();
            let out = curl_with_timeout(["-sS", "-u", "u:p", "-o", sink, &url], Duration::from_secs(600));
            let secs = t.elapsed().as_secs_f64();
            match out {
                Ok(o) if o.success() => down[i].push(size as f64 / secs / 1e9),
                Ok(o) => eprintln!("round {round} {name} download failed: {}", o.describe()),
                Err(e) => eprintln!("round {round} {name} download: {e}"),
            }
            let url = format!("ftp://127.0.0.1:{}/up-{round}.bin", addr.port());
            let t = Instant::now();
            let src = file.to_string_lossy().into_owned();
            let out = curl_with_timeout(["-sS", "-u", "u:p", "-T", &src, &url], Duration::from_secs(600));
            let secs = t.elapsed().as_secs_f64();
            match out {
                Ok(o) if o.success() => up[i].push(size as f64 / secs / 1e9),
                Ok(o) => eprintln!("round {round} {name} upload failed: {}", o.describe()),
                Err(e) => eprintln!("round {round} {name} upload: {e}"),
            }
            eprintln!(
                "[storage] round {}/{rounds} {name}: down {:.2} GB/s, up {:.2} GB/s",
                round + 1,
                down[i].last().copied().unwrap_or(0.0),
                up[i].last().copied().unwrap_or(0.0)
            );
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("# storage_bench: {size_mib} MiB, curl, passive, median of {rounds}; load average {}", load.trim());
    println!();
    println!("| back end | download GB/s | vs local | upload GB/s | vs local |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let (d0, u0) = (median(&mut down[0].clone()), median(&mut up[0].clone()));
    for (i, (name, _)) in backends.iter().enumerate() {
        let (d, u) = (median(&mut down[i]), median(&mut up[i]));
        let ratio = |x: Option<f64>, base: Option<f64>| match (x, base) {
            (Some(x), Some(b)) if b > 0.0 => format!("{:.2}x", x / b),
            _ => "-".into(),
        };
        let fmt = |x: Option<f64>| x.map_or("failed".into(), |x| format!("{x:.2}"));
        println!("| {name} | {} | {} | {} | {} |", fmt(d), ratio(d, d0), fmt(u), ratio(u, u0));
    }
    ExitCode::SUCCESS
}
