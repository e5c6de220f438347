//! FTPS for the server (feature `tls`): certificates, the per-control-connection TLS configuration that binds
//! data connections to their control connection's TLS session, and protected transfers.
//!
//! **Binding.** Each control connection gets its own session store. Its control handshake stores there the TLS
//! 1.2 session ID or the TLS 1.3 tickets it issues (stateful tickets: the server never issues stateless ones, so
//! a ticket is only good where it is stored). Each data connection gets its own view of the same store: its
//! handshake can resume only a session stored there, so "the handshake resumed"
//! ([`rustls::HandshakeKind::Resumed`]) means "it resumed *this* control connection's session". A data handshake
//! that resumed one stores the one fresh TLS 1.3 ticket it issues (a client such as rustls uses each ticket once,
//! and would run out after the control connection's two); one that did not stores nothing. A third party that
//! connects to the passive port with a TLS session of its own makes a full handshake, and the session's policy
//! ([`TlsReuse`](crate::proto::session::server::TlsReuse)) refuses it with 522. The view also lets one ticket be
//! used by many data connections (OpenSSL clients reuse the one session they hold), which the single-use tickets
//! of a shared cache would refuse after the first.

use super::data::{Landing, Opened};
use super::fs::Upload;
use super::storage::{ReadStream, WriteStream};
use crate::proto::session::server::{Outcome, TlsVerdict};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::StoresServerSessions;
use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// Sessions one control connection keeps (each TLS 1.3 handshake stores a few tickets): room for the control
/// handshake's [`CONTROL_TICKETS`] and the downloads' fresh ones.
const STORE_ENTRIES: usize = 64;

/// TLS 1.3 tickets the control connection's handshake issues (ftpkit's client keeps the newest 32): one per
/// protected upload in a row, since uploads issue none (about 200 bytes each, sent once per session).
const CONTROL_TICKETS: usize = 32;

/// Client certificates (mutual TLS): the CA file whose certificates may sign them, and whether a client without
/// one is refused at the handshake (else it may go on without).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCerts {
    /// PEM file of the CA certificates that sign acceptable client certificates.
    pub ca_file: std::path::PathBuf,
    /// Refuse a handshake without a client certificate.
    pub required: bool,
}

/// Loads a PEM certificate chain and its private key into a TLS server configuration (rustls, `ring`), asking
/// for client certificates as `clients` says (none by default).
///
/// # Errors
/// A file that cannot be read, holds no certificate or key, or a key that does not fit the certificate; a client
/// CA file without a usable certificate.
pub fn load_pem(cert: &Path, key: &Path, clients: Option<&ClientCerts>) -> io::Result<Arc<rustls::ServerConfig>> {
    let bad =
        |what: &str, e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}"));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(&cert.display().to_string(), &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(&cert.display().to_string(), &e))?;
    if certs.is_empty() {
        return Err(bad(&cert.display().to_string(), &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(&key.display().to_string(), &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS versions", &e))?;
    let builder = match clients {
        None => builder.with_no_client_auth(),
        Some(c) => {
            let name = c.ca_file.display().to_string();
            let mut roots = rustls::RootCertStore::empty();
            for der in CertificateDer::pem_file_iter(&c.ca_file).map_err(|e| bad(&name, &e))? {
                roots.add(der.map_err(|e| bad(&name, &e))?).map_err(|e| bad(&name, &e))?;
            }
            if roots.is_empty() {
                return Err(bad(&name, &"no CA certificate in the file"));
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if c.required { verifier } else { verifier.allow_unauthenticated() };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| bad(&name, &e))?)
        }
    };
    let config = builder.with_single_cert(certs, key).map_err(|e| bad("certificate and key", &e))?;
    Ok(Arc::new(config))
}

/// The server's current TLS configuration; [`reload`](Self::reload) swaps it for new connections.
#[derive(Debug)]
pub(crate) struct TlsShared {
    current: RwLock<Arc<rustls::ServerConfig>>,
    /// The client-certificate policy the PEM files were loaded with, kept for reloads.
    clients: Option<ClientCerts>,
}

impl TlsShared {
    pub(crate) fn new(config: Arc<rustls::ServerConfig>, clients: Option<ClientCerts>) -> Self {
        TlsShared { current: RwLock::new(config), clients }
    }

    pub(crate) fn client_certs(&self) -> Option<&ClientCerts> {
        self.clients.as_ref()
    }

    pub(crate) fn reload(&self, config: Arc<rustls::ServerConfig>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = config;
    }

    /// The configurations of one control connection: its own store, and the template of its data connections'.
    pub(crate) fn for_session(&self) -> SessionTls {
        let base = self.current.read().unwrap_or_else(|p| p.into_inner()).clone();
        let entries: Entries = Arc::new(Mutex::new(VecDeque::new()));
        let mut control = (*base).clone();
        control.session_storage = Arc::new(BoundStore { entries: entries.clone(), resumed: None });
        control.ticketer = Arc::new(NoTickets);
        // Tickets for the data connections to come: a client that uses each TLS 1.3 ticket once (rustls) gets
        // this many protected uploads in a row (uploads issue none, see `data`).
        control.send_tls13_tickets = CONTROL_TICKETS;
        let mut data = (*base).clone();
        data.ticketer = Arc::new(NoTickets);
        SessionTls { control: TlsAcceptor::from(Arc::new(control)), data: Arc::new(data), entries }
    }
}

/// The acceptors of one control connection.
#[derive(Clone)]
pub(crate) struct SessionTls {
    pub control: TlsAcceptor,
    /// The data connections' configuration; each gets its own store view ([`SessionTls::data`]).
    data: Arc<rustls::ServerConfig>,
    entries: Entries,
}

impl SessionTls {
    /// The acceptor of one data connection: it resumes this control connection's sessions, and keeps the ticket
    /// it issues only when its own handshake resumed one of them (so every stored session stays this control
    /// connection's: a third party's full handshake stores nothing).
    ///
    /// A download (`upload` false) issues two fresh TLS 1.3 tickets: one replaces the ticket the client used up
    /// (rustls clients use each ticket once; without it a client runs out after the control connection's, and
    /// its next data connection makes a full handshake, refused with 522), the other pays for an upload. An
    /// upload issues none: a client that writes and closes without reading (curl) would leave the ticket unread,
    /// and its kernel would reset the connection instead of closing it, which reads as a cut-off upload (426).
    pub(crate) fn data(&self, upload: bool) -> TlsAcceptor {
        let mut config = (*self.data).clone();
        config.send_tls13_tickets = if upload { 0 } else { 2 };
        config.session_storage =
            Arc::new(BoundStore { entries: self.entries.clone(), resumed: Some(AtomicBool::new(false)) });
        TlsAcceptor::from(Arc::new(config))
    }
}

/// Never issues stateless tickets (every resumption goes through the control connection's store).
#[derive(Debug)]
struct NoTickets;

impl rustls::server::ProducesTickets for NoTickets {
    fn enabled(&self) -> bool {
        false
    }
    fn lifetime(&self) -> u32 {
        0
    }
    fn encrypt(&self, _plain: &[u8]) -> Option<Vec<u8>> {
        None
    }
    fn decrypt(&self, _cipher: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

/// Stored sessions, oldest first: (session ID or ticket, session).
type Entries = Arc<Mutex<VecDeque<(Vec<u8>, Vec<u8>)>>>;

/// One control connection's sessions: written by its control handshake, read by its data handshakes, and
/// written by a data handshake only after it resumed one of them.
#[derive(Debug)]
struct BoundStore {
    entries: Entries,
    /// `None`: the control connection's view (always writable). `Some`: one data connection's, set once its
    /// handshake found a session here.
    resumed: Option<AtomicBool>,
}

impl StoresServerSessions for BoundStore {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        if self.resumed.as_ref().is_some_and(|r| !r.load(Ordering::Relaxed)) {
            return false;
        }
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        e.retain(|(k, _)| *k != key);
        if e.len() >= STORE_ENTRIES {
            e.pop_front();
        }
        e.push_back((key, value));
        true
    }
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let found = e.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        if let (Some(r), Some(_)) = (&self.resumed, &found) {
            r.store(true, Ordering::Relaxed);
        }
        found
    }
    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        // Data connections may resume the control connection's session as often as they come.
        self.get(key)
    }
    fn can_cache(&self) -> bool {
        self.resumed.as_ref().is_none_or(|r| r.load(Ordering::Relaxed))
    }
}

/// The control connection, in clear or under TLS.
pub(crate) type TlsControl = tokio_rustls::server::TlsStream<TcpStream>;

/// After the server's close_notify (CCC): takes the client's TLS records off `tcp` one whole record at a time
/// (peeked, so not a byte past the record is read) until its close_notify. Returns true when the client answered
/// with one, false when the next bytes are not a TLS record (a command in clear: left in the socket).
///
/// # Errors
/// The connection closed, a record rustls refuses, or application data under TLS after CCC.
pub(crate) async fn take_close_notify(tcp: &mut TcpStream, conn: &mut rustls::ServerConnection) -> io::Result<bool> {
    /// TLS record header: content type, version (2), length (2).
    const HEADER: usize = 5;
    /// The largest record TLS allows (2^14 + 2048 of expansion), with its header.
    const MAX_RECORD: usize = HEADER + (1 << 14) + 2048;
    let mut buf = vec![0u8; MAX_RECORD];
    loop {
        let n = tcp.peek(&mut buf).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed during CCC"));
        }
        // A TLS record starts with content type 20..=24 and major version 3; a command starts with a letter.
        if !(20..=24).contains(&buf[0]) || (n >= 2 && buf[1] != 3) {
            return Ok(false);
        }
        // Until the whole record is queued, peek again shortly (bounded by the caller's timeout).
        if n < HEADER {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        let len = HEADER + usize::from(u16::from_be_bytes([buf[3], buf[4]]));
        if len > MAX_RECORD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "CCC: oversized TLS record"));
        }
        if n < len {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        let mut record = vec![0u8; len];
        tcp.read_exact(&mut record).await?;
        conn.read_tls(&mut record.as_slice())?;
        let state = conn.process_new_packets().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if state.plaintext_bytes_to_read() > 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "CCC: data under TLS after CCC"));
        }
        if state.peer_has_closed() {
            return Ok(true);
        }
    }
}

/// Runs the server's side of a TLS handshake on `stream` within `limit`.
pub(crate) async fn accept(acceptor: &TlsAcceptor, stream: TcpStream, limit: Duration) -> io::Result<TlsControl> {
    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")),
    }
}

/// Bytes a protected download or upload moves per read.
const BLOCK: usize = 256 * 1024;

/// One protected transfer: the TLS handshake on the data connection (the server is the TLS server in passive and
/// active mode, RFC 4217 §10), the check that it resumed the control connection's session (`unresumed` is the
/// session's verdict for one that did not), then the data through a read/write loop (no sendfile under TLS).
pub(crate) async fn transfer(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    opened: Opened,
    unresumed: TlsVerdict,
    timeout: Duration,
    pacer: super::pace::Pacer,
) -> (Outcome, Option<Landing>) {
    let peer = stream.peer_addr().ok();
    let mut tls = match accept(&acceptor, stream, timeout).await {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(?peer, error = %e, "TLS handshake on the data connection failed");
            return (Outcome::TlsHandshakeFailed, None);
        }
    };
    let resumed = tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    match (resumed, unresumed) {
        (true, _) | (false, TlsVerdict::Use) => {}
        (false, TlsVerdict::Warn) => {
            tracing::warn!(?peer, "data connection did not resume the control connection's TLS session (served)")
        }
        (false, _) => {
            tracing::warn!(?peer, "data connection refused: it did not resume the control connection's TLS session");
            let _ = tls.shutdown().await;
            return (Outcome::TlsNotResumed, None);
        }
    }
    tracing::debug!(?peer, resumed, "protected data connection");
    if !pacer.is_empty() {
        // A bandwidth limit: the stream path through the pacer (the TLS records of at most a chunk at a time).
        let paced = super::pace::Paced::new(tls, pacer);
        return super::data::transfer_stream(paced, super::pace::as_streams(opened), timeout).await;
    }
    let timed = |d: Duration| {
        move |r: Result<io::Result<()>, tokio::time::error::Elapsed>| match r {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, format!("no progress in {d:?}"))),
        }
    };
    let sent = match opened {
        Opened::Write(WriteStream::File(upload)) => {
            let (outcome, upload) = receive(tls, upload, timeout).await;
            return (outcome, upload.map(Landing::File));
        }
        // A back end's streams: the same async path as in clear, over TLS.
        // A listing, streamed as its entries come (the same path as in clear).
        other @ (Opened::Read(ReadStream::Stream(_)) | Opened::Write(WriteStream::Sink(_)) | Opened::Listing(_)) => {
            return super::data::transfer_stream(tls, other, timeout).await
        }
        Opened::Read(ReadStream::File(file)) => {
            let mut file = tokio::fs::File::from_std(file);
            let mut buf = vec![0u8; BLOCK];
            let mut total = 0u64;
            loop {
                let n = match file.read(&mut buf).await {
                    Ok(0) => break Ok(total),
                    Ok(n) => n,
                    Err(e) => break Err(e),
                };
                if let Err(e) = timed(timeout)(tokio::time::timeout(timeout, tls.write_all(&buf[..n])).await) {
                    break Err(e);
                }
                total += n as u64;
            }
        }
    };
    match sent {
        Ok(bytes) => {
            // close_notify, then the TCP FIN: the client knows the data ended here.
            match tokio::time::timeout(timeout, tls.shutdown()).await {
                Ok(Ok(())) => (Outcome::TransferDone { bytes }, None),
                _ => (Outcome::ConnectionLost, None),
            }
        }
        Err(_) => (Outcome::ConnectionLost, None),
    }
}

async fn receive(mut tls: TlsControl, upload: Upload, timeout: Duration) -> (Outcome, Option<Upload>) {
    let mut upload = Some(upload);
    let mut buf = vec![0u8; BLOCK];
    let mut total = 0u64;
    loop {
        let n = match tokio::time::timeout(timeout, tls.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
            // A client that closes without close_notify (many do after an upload): the TCP end ends the data.
            Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                tracing::debug!("upload ended without TLS close_notify");
                break;
            }
            Ok(Err(_)) | Err(_) => {
                if let Some(up) = upload.take() {
                    let undone = up.abort();
                    tracing::info!(?undone, "protected upload cut off");
                }
                return (Outcome::ConnectionLost, None);
            }
        };
        let Some(mut up) = upload.take() else { return (Outcome::ConnectionLost, None) };
        let chunk = buf[..n].to_vec();
        let joined = tokio::task::spawn_blocking(move || {
            let r = up.file().and_then(|f| std::io::Write::write_all(f, &chunk));
            (up, r)
        })
        .await;
        match joined {
            Ok((up, Ok(()))) => upload = Some(up),
            Ok((up, Err(e))) => {
                let outcome = super::data::outcome_of(&e);
                let _ = up.abort();
                return match outcome {
                    Outcome::NoSpace | Outcome::QuotaExceeded => (outcome, None),
                    _ => (Outcome::Failed(e.to_string()), None),
                };
            }
            Err(e) => return (Outcome::Failed(e.to_string()), None),
        }
        total += n as u64;
    }
    let _ = tls.shutdown().await;
    (Outcome::TransferDone { bytes: total }, upload)
}
