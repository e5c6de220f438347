"""Shared fixtures: the test vectors, an ftpkit.Server and a pyftpdlib server over the same files."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

import ftpkit

REPO = Path(__file__).resolve().parents[3]
VECTORS = REPO / "crates" / "proto" / "testdata" / "vectors"
TRANSCRIPTS = REPO / "crates" / "proto" / "testdata"

USER, PASSWORD = "user", "12345"


def load_vectors() -> list[dict[str, Any]]:
    out = []
    files = sorted(VECTORS.glob("*.jsonl"))
    assert files, f"no vectors in {VECTORS}"
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                v = json.loads(line)
                v["at"] = f"{path.name}:{n}"
                out.append(v)
    return out


ALL_VECTORS = load_vectors()


def vectors(kind: str) -> list[dict[str, Any]]:
    return [v for v in ALL_VECTORS if v["kind"] == kind]


def invalid(parser: str) -> list[dict[str, Any]]:
    return [v for v in ALL_VECTORS if v["kind"] == "invalid" and v.get("as") == parser]


def wire(v: dict[str, Any], s: str) -> bytes:
    return s.encode("latin-1") if v.get("encoding") == "latin-1" else s.encode("utf-8")


def ids(vs: list[dict[str, Any]]) -> list[str]:
    return [v["at"] for v in vs]


def fill(root: Path) -> None:
    """The same files for every server: a text file, a binary file, a folder with a file."""
    (root / "readme.txt").write_bytes(b"line one\nline two\nline three\n")
    (root / "blob.bin").write_bytes(bytes(range(256)) * 4096 + b"tail")
    (root / "folder").mkdir()
    (root / "folder" / "inner.txt").write_bytes(b"inner\n")
    (root / "upload").mkdir()


@pytest.fixture
def ftpkit_server(tmp_path: Path) -> Iterator[ftpkit.Server]:
    fill(tmp_path)
    with ftpkit.Server(tmp_path, users={USER: PASSWORD}, write=True, anonymous=True) as srv:
        yield srv


@pytest.fixture
def pyftpdlib_server(tmp_path: Path) -> Iterator[Any]:
    fill(tmp_path)
    with run_pyftpdlib(tmp_path) as srv:
        yield srv


class _Pyftpd:
    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self.server, self.thread = server, thread
        self.host, self.port = server.address[0], server.address[1]


class run_pyftpdlib:
    """pyftpdlib 2 on 127.0.0.1, a free port, serving ``root`` read-write to USER, read-only to anonymous; names
    in ``encoding`` on the wire (``'latin1'``: a server of Latin-1 names, whose FEAT lists no UTF8)."""

    def __init__(self, root: Path, encoding: str = "utf8") -> None:
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import FTPServer

        auth = DummyAuthorizer()
        auth.add_user(USER, PASSWORD, os.fspath(root), perm="elradfmwMT")
        auth.add_anonymous(os.fspath(root))

        class Handler(FTPHandler):
            pass

        Handler.authorizer = auth
        Handler.banner = "pyftpdlib ready"
        Handler.encoding = encoding
        Handler.permit_foreign_addresses = False
        Handler.log_prefix = ""
        import logging

        logging.getLogger("pyftpdlib").setLevel(logging.ERROR)
        self.server = FTPServer(("127.0.0.1", 0), Handler)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        # pyftpdlib's loop is not thread-safe: poll it here and close it from this same thread.
        while not self.stop.is_set():
            self.server.serve_forever(timeout=0.01, blocking=False, handle_exit=False)
        self.server.close_all()

    def __enter__(self) -> _Pyftpd:
        self.thread.start()
        return _Pyftpd(self.server, self.thread)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


# -- FTPS: certificates, pyftpdlib's TLS handler, vsftpd requiring session reuse -------------------------------


class Certs:
    """A test CA and a server certificate it signed, for 127.0.0.1 and localhost (PEM files in ``dir``); a client
    certificate it signed (``client``, ``client_key``); and a second CA that signed nothing the servers use (for
    the refused-certificate cases)."""

    def __init__(self, dir: Path) -> None:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.timezone.utc)

        def name(cn: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        def ca(cn: str) -> tuple[Any, Any]:
            key = ec.generate_private_key(ec.SECP256R1())
            cert = (
                x509.CertificateBuilder()
                .subject_name(name(cn))
                .issuer_name(name(cn))
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(
                    x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
                )
                .sign(key, hashes.SHA256())
            )
            return key, cert

        def pem(cert: Any) -> bytes:
            return bytes(cert.public_bytes(serialization.Encoding.PEM))

        ca_key, ca_cert = ca("ftpkit test CA")
        _, other_cert = ca("another CA")

        def leaf(cn: str, sans: list[Any], usage: Any) -> tuple[Any, Any]:
            key = ec.generate_private_key(ec.SECP256R1())
            cert = (
                x509.CertificateBuilder()
                .subject_name(name(cn))
                .issuer_name(ca_cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .sign(ca_key, hashes.SHA256())
            )
            return key, cert

        def key_pem(key: Any) -> bytes:
            return bytes(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )

        usage = x509.oid.ExtendedKeyUsageOID
        key, cert = leaf(
            "localhost",
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
            usage.SERVER_AUTH,
        )
        client_key, client_cert = leaf("ftpkit test client", [x509.DNSName("client.test")], usage.CLIENT_AUTH)
        self.ca = dir / "ca.pem"
        self.other_ca = dir / "other-ca.pem"
        self.cert = dir / "server.pem"
        self.key = dir / "server.key"
        self.client = dir / "client.pem"
        self.client_key = dir / "client.key"
        self.ca.write_bytes(pem(ca_cert))
        self.other_ca.write_bytes(pem(other_cert))
        self.cert.write_bytes(pem(cert))
        self.key.write_bytes(key_pem(key))
        self.client.write_bytes(pem(client_cert))
        self.client_key.write_bytes(key_pem(client_key))
        for p in (self.ca, self.other_ca, self.cert, self.key, self.client, self.client_key):
            p.chmod(0o644)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


class run_pyftpdlib_tls(run_pyftpdlib):
    """pyftpdlib's TLS_FTPHandler (pyOpenSSL): TLS required for login. It never checks reuse."""

    def __init__(self, root: Path, certs: Certs, client_certs: bool = False, encoding: str = "utf8") -> None:
        super().__init__(root)
        from pyftpdlib.handlers import TLS_FTPHandler

        handler = self.server.handler

        class Handler(TLS_FTPHandler):  # type: ignore[misc]
            pass

        Handler.authorizer = handler.authorizer
        Handler.banner = "pyftpdlib TLS ready"
        Handler.encoding = encoding
        Handler.permit_foreign_addresses = False
        Handler.certfile = os.fspath(certs.cert)
        Handler.keyfile = os.fspath(certs.key)
        Handler.tls_control_required = True
        Handler.tls_data_required = False  # PROT C after PROT P must work (the scripted session does it)
        if client_certs:
            # Only clients with a certificate the test CA signed get through the handshake.
            from OpenSSL import SSL

            ctx = SSL.Context(SSL.TLS_METHOD)
            ctx.use_certificate_chain_file(os.fspath(certs.cert))
            ctx.use_privatekey_file(os.fspath(certs.key))
            ctx.load_verify_locations(os.fspath(certs.ca))
            ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda conn, cert, err, depth, ok: bool(ok))
            # OpenSSL resumes no session of a context that verifies clients without a session ID context (the
            # handshake fails: "session id context uninitialized"); vsftpd sets one too.
            ctx.set_session_id(b"ftpkit-tests")
            Handler.ssl_context = ctx
        self.server.handler = Handler


def ensure_vsftpd() -> str:
    """vsftpd, installed with apt-get when missing (as the interop harness does); the tests need root."""
    import shutil
    import subprocess

    for p in (shutil.which("vsftpd"), "/usr/sbin/vsftpd"):
        if p and os.path.exists(p):
            return p
    if os.geteuid() != 0:
        pytest.fail("vsftpd is missing and the tests are not root (apt-get install vsftpd)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-qq", "vsftpd"], check=True, env=env, timeout=600)
    return "/usr/sbin/vsftpd"


class run_vsftpd_tls:
    """vsftpd 3.0.3 on 127.0.0.1 with the interop harness's FTPS settings (tests/src/servers.rs): anonymous
    login, TLS required for login and data, ``require_ssl_reuse=YES``, uploads into ``upload/``."""

    def __init__(self, dir: Path, certs: Certs) -> None:
        import pwd
        import socket
        import subprocess

        self.bin = ensure_vsftpd()
        self.root = dir / "root"
        self.root.mkdir()
        fill(self.root)
        ftp = pwd.getpwnam("ftp")
        os.chown(self.root / "upload", ftp.pw_uid, ftp.pw_gid)
        os.chmod(self.root, 0o755)
        (dir / "empty").mkdir()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        lo = 30000 + (self.port % 2000) * 10
        conf = dir / "vsftpd.conf"
        conf.write_text(
            f"listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\npasv_address=127.0.0.1\n"
            f"listen_port={self.port}\nbackground=NO\n"
            "anonymous_enable=YES\nlocal_enable=NO\nno_anon_password=YES\nftp_username=ftp\n"
            f"anon_root={self.root}\nwrite_enable=YES\nanon_upload_enable=YES\nanon_mkdir_write_enable=YES\n"
            "anon_other_write_enable=YES\nanon_umask=022\n"
            f"pasv_enable=YES\npasv_min_port={lo}\npasv_max_port={lo + 9}\n"
            "port_enable=YES\nconnect_from_port_20=NO\n"
            f"seccomp_sandbox=NO\nisolate=NO\nisolate_network=NO\nsecure_chroot_dir={dir / 'empty'}\n"
            f"log_ftp_protocol=YES\nvsftpd_log_file={dir / 'vsftpd.log'}\nsyslog_enable=NO\n"
            f"ssl_enable=YES\nrsa_cert_file={certs.cert}\nrsa_private_key_file={certs.key}\nallow_anon_ssl=YES\n"
            "force_anon_logins_ssl=YES\nforce_anon_data_ssl=YES\nrequire_ssl_reuse=YES\n"
            "ssl_sslv2=NO\nssl_sslv3=NO\nssl_ciphers=HIGH\n"
        )
        conf.chmod(0o600)
        self.proc = subprocess.Popen([self.bin, str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        import time

        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"220"):
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stdout.read() if self.proc.stdout else b""
                self.close()
                raise RuntimeError(f"vsftpd did not start: {err!r}")
            time.sleep(0.05)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> "run_vsftpd_tls":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
