//! The floor of part 2: a server that does nothing but answer. Canned replies to the benchmark's session (no
//! parser, no state, no file system: a fixed listing), threads blocked in `accept` and `recv` (no event loop, no
//! hand-off between threads). Whatever rate it reaches is what the client, the kernel's loopback TCP and the
//! machine's thread wake-ups leave for any server, so `floor / peer` bounds the ratio any server can show against
//! that peer with this client. Its passive ports come from a range of its own, in turn, as the other servers' do
//! (`bind` to port 0 is slow on a machine with many TIME_WAIT sockets: the kernel searches the ephemeral range).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a session may wait for its client (a stuck client ends its session, never the benchmark).
const WAIT: Duration = Duration::from_secs(10);

/// What LIST sends: seven lines in the Unix form, about the size of the benchmark tree's listing on the others.
const LISTING: &[u8] = b"-rw-r--r--    1 0        0            1024 Feb 29  2024 big.bin\r\n\
-rw-r--r--    1 0        0              12 Feb 29  2024 caf\xc3\xa9-\xc3\xb1and\xc3\xba.txt\r\n\
-rw-r--r--    1 0        0              12 Feb 29  2024 hello world.txt\r\n\
lrwxrwxrwx    1 0        0              10 Feb 29  2024 link-to-readme -> readme.txt\r\n\
-rw-r--r--    1 0        0              13 Feb 29  2024 readme.txt\r\n\
drwxr-xr-x    2 0        0            4096 Feb 29  2024 subdir\r\n\
drwxr-xr-x    2 0        0            4096 Feb 29  2024 upload\r\n";

/// FEAT's reply: what the other servers list that changes what the client sends (UTF8: `OPTS UTF8 ON`).
const FEAT: &[u8] =
    b"211-Features:\r\n EPSV\r\n MDTM\r\n MLST type*;size*;modify*;\r\n PASV\r\n REST STREAM\r\n SIZE\r\n \
UTF8\r\n211 End\r\n";

/// The running floor server; stops (and joins its threads) when dropped.
#[derive(Debug)]
pub struct Floor {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Floor {
    /// Listens on a free loopback port with `threads` threads, each serving one session at a time.
    pub fn start(threads: usize) -> Result<Floor, String> {
        let io = |e: io::Error| format!("floor: {e}");
        let listener = TcpListener::bind("127.0.0.1:0").map_err(io)?;
        let addr = listener.local_addr().map_err(io)?;
        let passive = ftpkit_interop::servers::free_range(addr.ip(), 200).map_err(|e| e.to_string())?;
        let next = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        for _ in 0..threads.max(1) {
            let (listener, stop, next) = (listener.try_clone().map_err(io)?, stop.clone(), next.clone());
            let ports = passive.clone();
            handles.push(thread::spawn(move || {
                while let Ok((ctrl, _)) = listener.accept() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let _ = serve(ctrl, &ports, &next);
                }
            }));
        }
        Ok(Floor { addr, stop, threads: handles })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // One connection per thread wakes each from `accept` to see the flag.
        for _ in &self.threads {
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The accepted data connection of an EPSV: the client connects before it sends LIST, so the first try takes it;
/// waits at most [`WAIT`] otherwise.
fn accept_data(l: &TcpListener) -> io::Result<TcpStream> {
    l.set_nonblocking(true)?;
    let until = Instant::now() + WAIT;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false)?;
                return Ok(s);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < until => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
}

/// A passive listener on the next free port of `ports`, in turn.
fn bind_passive(ports: &RangeInclusive<u16>, next: &AtomicU32) -> io::Result<TcpListener> {
    let (lo, n) = (u32::from(*ports.start()), u32::from(*ports.end() - *ports.start()) + 1);
    let mut last = io::Error::from(io::ErrorKind::AddrInUse);
    for _ in 0..n {
        let port = u16::try_from(lo + next.fetch_add(1, Ordering::Relaxed) % n).unwrap_or(0);
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => return Ok(l),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// One session: canned replies by the command's first word.
fn serve(ctrl: TcpStream, ports: &RangeInclusive<u16>, next: &AtomicU32) -> io::Result<()> {
    ctrl.set_nodelay(true)?;
    ctrl.set_read_timeout(Some(WAIT))?;
    ctrl.set_write_timeout(Some(WAIT))?;
    let mut w = ctrl.try_clone()?;
    let mut r = BufReader::new(ctrl);
    w.write_all(b"220 floor\r\n")?;
    let mut passive: Option<TcpListener> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let verb = line.split(|b| *b == b' ' || *b == b'\r').next().unwrap_or_default().to_ascii_uppercase();
        match verb.as_slice() {
            b"USER" => w.write_all(b"331 ok\r\n")?,
            b"PASS" => w.write_all(b"230 ok\r\n")?,
            b"FEAT" => w.write_all(FEAT)?,
            b"OPTS" | b"TYPE" => w.write_all(b"200 ok\r\n")?,
            b"EPSV" => {
                let l = bind_passive(ports, next)?;
                let port = l.local_addr()?.port();
                passive = Some(l);
                w.write_all(format!("229 Entering Extended Passive Mode (|||{port}|)\r\n").as_bytes())?;
            }
            b"LIST" => match passive.take() {
                Some(l) => {
                    let mut data = accept_data(&l)?;
                    w.write_all(b"150 here it comes\r\n")?;
                    data.write_all(LISTING)?;
                    let _ = data.shutdown(Shutdown::Write);
                    drop(data);
                    w.write_all(b"226 done\r\n")?;
                }
                None => w.write_all(b"425 no EPSV\r\n")?,
            },
            b"QUIT" => return w.write_all(b"221 bye\r\n"),
            _ => w.write_all(b"502 not here\r\n")?,
        }
    }
}
