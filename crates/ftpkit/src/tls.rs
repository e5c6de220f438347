//! FTPS (RFC 4217) with rustls, shared by the blocking and the tokio clients: certificates, the per-control-
//! connection session store, and the TLS facts the driver traces. Every protocol rule (when to start TLS, which
//! data connections are protected, what a refusal means) is the driver's; this module only builds TLS.
//!
//! # Session reuse that cannot run dry
//!
//! Servers such as vsftpd (`require_ssl_reuse=YES`) refuse a protected data connection whose handshake did not
//! resume the control connection's TLS session. Each control connection therefore gets its own
//! [`ClientSessionStore`] ([`SessionStore`]), and its data connections use the same store and the same server
//! name, so they resume that session, never another connection's. TLS 1.2 sessions are kept and reused as often
//! as needed; TLS 1.3 tickets are single-use (rustls takes each once), so the store keeps the newest few, and a
//! data connection that took the last one waits (bounded) for the server's replacement ticket before moving data
//! ([`Tls::wants_ticket`]): uploads, which never read, would otherwise leave the store empty.

use crate::proto::driver::TlsInfo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionStore, Resumption, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, HandshakeKind, NamedGroup, SignatureScheme};
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The longest a data connection that took the last TLS 1.3 ticket waits for the server's new one.
pub const TICKET_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How many TLS 1.3 tickets a control connection's store keeps (the newest).
pub const TICKETS_KEPT: usize = 32;

/// The certificate side of FTPS, for [`Options::tls_config`](crate::client::Options::tls_config).
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// The name the server's certificate must carry (default: the address connected to, as an IP name). The CLI
    /// sets the URL's host.
    pub server_name: Option<String>,
    /// Trust only the certificates in this PEM file (default: Mozilla's roots, compiled in).
    pub ca_file: Option<PathBuf>,
    /// Trust these certificates (DER) too; with `ca_file` unset, only these (default: none, Mozilla's roots). For
    /// callers holding certificates in memory (Python's `SSLContext.get_ca_certs(binary_form=True)`).
    pub ca_certs: Vec<Vec<u8>>,
    /// A client certificate chain and its key (PEM), for servers that ask for one.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Accept any server certificate. Only for self-signed test servers: anyone in the path can read and
    /// change everything.
    pub insecure_skip_verify: bool,
    /// Verify the server's certificate chain but not that it names the server (Python's
    /// `SSLContext.check_hostname = False` with verification on): any certificate the roots vouch for is taken,
    /// whichever host it was issued to.
    pub skip_hostname_check: bool,
    /// TLS 1.2 only (default: 1.3 and 1.2).
    pub tls12_only: bool,
}

/// Why TLS could not be set up before any handshake (a bad CA file, a bad key, a bad name).
#[derive(Debug, thiserror::Error)]
#[error("TLS configuration: {0}")]
pub struct ConfigError(String);

/// One control connection's TLS: its client configuration (with its own session store) and server name; the data
/// connections use the same, so they resume the control connection's session.
#[derive(Debug, Clone)]
pub struct Tls {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    store: Arc<SessionStore>,
}

impl Tls {
    /// TLS for a new control connection to `peer`, with a fresh session store.
    ///
    /// # Errors
    /// A CA file or client certificate that cannot be read, or a server name that is no DNS name or IP.
    pub fn new(cfg: &TlsConfig, peer: SocketAddr) -> Result<Tls, ConfigError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] =
            if cfg.tls12_only { &[&rustls::version::TLS12] } else { rustls::DEFAULT_VERSIONS };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| ConfigError(e.to_string()))?;
        let mut roots = rustls::RootCertStore::empty();
        for der in &cfg.ca_certs {
            roots.add(CertificateDer::from(der.clone())).map_err(|e| ConfigError(format!("CA certificate: {e}")))?;
        }
        match &cfg.ca_file {
            Some(path) => {
                let certs =
                    CertificateDer::pem_file_iter(path).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
                for cert in certs {
                    let cert = cert.map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
                    roots.add(cert).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
                }
                if roots.is_empty() {
                    return Err(ConfigError(format!("{}: no certificate in it", path.display())));
                }
            }
            None if cfg.ca_certs.is_empty() => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            None => {}
        }
        let roots = Arc::new(roots);
        let builder = builder.with_root_certificates(roots.clone());
        let mut config = match &cfg.client_cert {
            Some((chain, key)) => {
                let certs = CertificateDer::pem_file_iter(chain)
                    .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| ConfigError(format!("{}: {e}", chain.display())))?;
                let key =
                    PrivateKeyDer::from_pem_file(key).map_err(|e| ConfigError(format!("{}: {e}", key.display())))?;
                builder.with_client_auth_cert(certs, key).map_err(|e| ConfigError(e.to_string()))?
            }
            None => builder.with_no_client_auth(),
        };
        if cfg.insecure_skip_verify {
            config.dangerous().set_certificate_verifier(Arc::new(Lenient { provider, chain: None }));
        } else if cfg.skip_hostname_check {
            let chain = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| ConfigError(e.to_string()))?;
            config.dangerous().set_certificate_verifier(Arc::new(Lenient { provider, chain: Some(chain) }));
        }
        let store = Arc::new(SessionStore::default());
        config.resumption = Resumption::store(store.clone());
        let name = match &cfg.server_name {
            Some(n) => ServerName::try_from(n.clone()).map_err(|e| ConfigError(format!("server name {n:?}: {e}")))?,
            None => ServerName::IpAddress(peer.ip().into()),
        };
        Ok(Tls { config: Arc::new(config), name, store })
    }

    /// A client connection (control or data) on this control connection's configuration and store.
    ///
    /// # Errors
    /// rustls refusing to start one (it does not for a valid configuration).
    pub fn connection(&self) -> io::Result<ClientConnection> {
        ClientConnection::new(self.config.clone(), self.name.clone()).map_err(io::Error::other)
    }

    /// The configuration and name, for `tokio-rustls`.
    pub fn parts(&self) -> (Arc<ClientConfig>, ServerName<'static>) {
        (self.config.clone(), self.name.clone())
    }

    /// True when `conn` (a finished data-connection handshake) resumed with the store's last TLS 1.3 ticket and
    /// has not received a new one: read from it until [`has_new_ticket`] before moving data, or the next data
    /// connection finds no ticket and makes a full handshake (which vsftpd refuses with `522`). A handshake that
    /// did not resume says the server does not resume data connections (pure-ftpd): no replacement ticket is
    /// coming, and waiting for one would cost every transfer [`TICKET_WAIT`].
    pub fn wants_ticket(&self, conn: &ClientConnection) -> bool {
        conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
            && conn.handshake_kind() == Some(HandshakeKind::Resumed)
            && conn.tls13_tickets_received() == 0
            && self.store.tickets() == 0
    }

    /// TLS 1.3 tickets held for the next data connections.
    pub fn tickets(&self) -> usize {
        self.store.tickets()
    }
}

/// True once `conn` has received a TLS 1.3 ticket.
pub fn has_new_ticket(conn: &ClientConnection) -> bool {
    conn.tls13_tickets_received() > 0
}

/// Reads TLS records for `conn` from `io` (as much as `conn` takes: no byte is read that it cannot keep) and
/// processes them; plaintext stays in `conn` for the next read. `Ok(false)`: nothing more can come now (the peer
/// closed, or `conn` holds as much plaintext as it buffers).
///
/// # Errors
/// The socket's error, or a TLS error from the peer's records.
pub fn read_records(conn: &mut ClientConnection, io: &mut dyn io::Read) -> io::Result<bool> {
    if !conn.wants_read() {
        return Ok(false);
    }
    let n = conn.read_tls(io)?;
    conn.process_new_packets().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(n > 0)
}

/// What a finished handshake was, for the driver's trace.
pub fn info(conn: &ClientConnection) -> TlsInfo {
    TlsInfo {
        version: conn.protocol_version().map_or_else(|| "?".into(), |v| format!("{v:?}")),
        cipher: conn.negotiated_cipher_suite().map_or_else(|| "?".into(), |c| format!("{:?}", c.suite())),
        resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
    }
}

/// A failed handshake's reason, with what to do where the cause is a common set-up mistake: a self-signed
/// certificate made as a CA (`openssl req -x509` marks it `CA:TRUE` by default), which WebPKI refuses as a
/// server's certificate even when it is in the CA file.
pub fn failure_reason(e: &io::Error) -> String {
    let reason = e.to_string();
    if reason.contains("CaUsedAsEndEntity") {
        format!(
            "{reason} (the server's certificate is a CA certificate: make a self-signed server certificate with \
             `-addext basicConstraints=critical,CA:FALSE`, or sign it with a CA and trust the CA)"
        )
    } else {
        reason
    }
}

/// True when a handshake error is the server's certificate failing verification.
pub fn is_certificate_error(e: &io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented))
}

// ---------------------------------------------------------------------------------------------------------------
// The per-control-connection session store
// ---------------------------------------------------------------------------------------------------------------

/// The session store of one control connection (and its data connections): the TLS 1.2 session and the newest
/// [`TICKETS_KEPT`] TLS 1.3 tickets, for its one server name.
#[derive(Debug, Default)]
pub struct SessionStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    kx: Option<(ServerName<'static>, NamedGroup)>,
    tls12: Option<(ServerName<'static>, Tls12ClientSessionValue)>,
    tls13: VecDeque<(ServerName<'static>, Tls13ClientSessionValue)>,
}

impl SessionStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves plain data behind; go on with it.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// TLS 1.3 tickets held.
    pub fn tickets(&self) -> usize {
        self.lock().tls13.len()
    }
}

impl ClientSessionStore for SessionStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.lock().kx = Some((server_name, group));
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.lock().kx.as_ref().filter(|(n, _)| n == server_name).map(|(_, g)| *g)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.lock().tls12 = Some((server_name, value));
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.lock().tls12.as_ref().filter(|(n, _)| n == server_name).map(|(_, v)| v.clone())
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        let mut inner = self.lock();
        if inner.tls12.as_ref().is_some_and(|(n, _)| n == server_name) {
            inner.tls12 = None;
        }
    }

    fn insert_tls13_ticket(&self, server_name: ServerName<'static>, value: Tls13ClientSessionValue) {
        let mut inner = self.lock();
        if inner.tls13.len() >= TICKETS_KEPT {
            inner.tls13.pop_front();
        }
        inner.tls13.push_back((server_name, value));
    }

    fn take_tls13_ticket(&self, server_name: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        let mut inner = self.lock();
        // The newest ticket first: the likeliest to be valid.
        let at = inner.tls13.iter().rposition(|(n, _)| n == server_name)?;
        inner.tls13.remove(at).map(|(_, v)| v)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// insecure_skip_verify, skip_hostname_check
// ---------------------------------------------------------------------------------------------------------------

/// A lenient certificate check (signatures are still checked, so the handshake is well-formed): with `chain`,
/// rustls' own verification except that a certificate valid for another name is taken (webpki checks the chain
/// — issuer, validity, usage — before the name, so `NotValidForName` means the chain itself was good); without,
/// any certificate.
#[derive(Debug)]
struct Lenient {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<rustls::client::WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
