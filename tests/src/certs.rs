//! Test certificates, made on the spot with Debian's `openssl` (installed when missing): a test CA and a server
//! certificate it signed for `127.0.0.1`, `::1` and `localhost` (give [`Certs::ca`] to clients as the CA file), and,
//! for the hostile cases, a second CA and certificate nobody trusts; a client certificate from each CA (mutual TLS).

use crate::install::ensure_openssl;
use crate::process::run_with_timeout;
use crate::servers::ServerTls;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A directory of PEM files: `cert.pem` + `key.pem` (trusted by the tests), `other.pem` + `other-key.pem` (not).
#[derive(Debug)]
pub struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    /// Makes both CAs and certificates (RSA 2048, valid two days, SAN `IP:127.0.0.1, IP:::1, DNS:localhost`).
    pub fn new() -> Result<Certs> {
        let openssl = ensure_openssl()?;
        let dir = tempfile::Builder::new()
            .prefix("ftpkit-certs-")
            .tempdir()
            .map_err(|e| Error::new("certs", format!("temp dir: {e}")))?;
        std::fs::write(
            dir.path().join("leaf.ext"),
            "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|e| Error::new("certs", format!("write leaf.ext: {e}")))?;
        std::fs::write(
            dir.path().join("client.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
        )
        .map_err(|e| Error::new("certs", format!("write client.ext: {e}")))?;
        // Two CAs, each signing one server certificate: the tests trust `ca.pem` only.
        for (ca, cert, key) in [("ca", "cert.pem", "key.pem"), ("other-ca", "other.pem", "other-key.pem")] {
            let steps: [Vec<String>; 3] = [
                format!("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN={ca} -keyout {ca}-key.pem -out {ca}.pem"),
                format!("req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout {key} -out {ca}-leaf.csr"),
                format!(
                    "x509 -req -in {ca}-leaf.csr -CA {ca}.pem -CAkey {ca}-key.pem -CAcreateserial -days 2 \
                     -extfile leaf.ext -out {cert}"
                ),
            ]
            .map(|s| s.split_whitespace().map(str::to_owned).collect());
            for args in steps {
                let mut cmd = Command::new(&openssl);
                cmd.current_dir(dir.path()).args(&args);
                run_with_timeout(&mut cmd, None, Duration::from_secs(60))?.ok()?;
            }
        }
        // A client certificate from each CA (mutual TLS): `client.pem` signed by the trusted CA, `other-client.pem`
        // by the other.
        for (ca, name) in [("ca", "client"), ("other-ca", "other-client")] {
            let steps: [Vec<String>; 2] = [
                format!("req -newkey rsa:2048 -nodes -subj /CN=ftpkit-{name} -keyout {name}-key.pem -out {name}.csr"),
                format!(
                    "x509 -req -in {name}.csr -CA {ca}.pem -CAkey {ca}-key.pem -CAcreateserial -days 2 \
                     -extfile client.ext -out {name}.pem"
                ),
            ]
            .map(|s| s.split_whitespace().map(str::to_owned).collect());
            for args in steps {
                let mut cmd = Command::new(&openssl);
                cmd.current_dir(dir.path()).args(&args);
                run_with_timeout(&mut cmd, None, Duration::from_secs(60))?.ok()?;
            }
        }
        // vsftpd's session processes run as `ftp` after reading the key as root; readable is enough.
        Ok(Certs { dir })
    }

    /// The CA that signed the trusted certificate: the clients' CA file.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The trusted server certificate.
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// The trusted certificate's key.
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// A certificate no test trusts, and its key.
    pub fn untrusted(&self) -> ServerTls {
        ServerTls {
            cert: self.dir.path().join("other.pem"),
            key: self.dir.path().join("other-key.pem"),
            implicit: false,
            client_ca: None,
        }
    }

    /// A client certificate signed by the trusted CA, and its key (mutual TLS).
    pub fn client(&self) -> (PathBuf, PathBuf) {
        (self.dir.path().join("client.pem"), self.dir.path().join("client-key.pem"))
    }

    /// A client certificate signed by the CA nobody trusts, and its key.
    pub fn untrusted_client(&self) -> (PathBuf, PathBuf) {
        (self.dir.path().join("other-client.pem"), self.dir.path().join("other-client-key.pem"))
    }

    /// The trusted pair, for a server.
    pub fn server(&self) -> ServerTls {
        ServerTls { cert: self.cert(), key: self.key(), implicit: false, client_ca: None }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
