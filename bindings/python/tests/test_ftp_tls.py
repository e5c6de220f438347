"""ftpkit.FTP_TLS against ftplib.FTP_TLS: the same scripted FTPS sessions against ftpkit.Server (TLS), pyftpdlib's
TLS_FTPHandler and vsftpd with ``require_ssl_reuse=YES``, all on 127.0.0.1 with certificates made here.

Both clients get the same ``ssl.SSLContext`` (verifying against the test CA, with the host name): for ftplib it
runs the TLS, for ftpkit it is mapped onto rustls' configuration.
"""

from __future__ import annotations

import ftplib
import hashlib
import io
import socket
import ssl
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Union

import pytest

import ftpkit
from conftest import PASSWORD, USER, Certs, fill, run_pyftpdlib_tls, run_vsftpd_tls

Client = Union[ftpkit.FTP_TLS, ftplib.FTP_TLS]
Maker = Callable[..., Any]

BLOB = bytes(range(256)) * 4096 + b"tail"
UPLOAD = bytes((i * 7 + 3) % 256 for i in range(300_000))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def context(certs: Certs) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca))


def connect(cls: Maker, host: str, port: int, certs: Certs, passive: bool = True, tls12: bool = False) -> Client:
    ctx = context(certs)
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    f: Client = cls(context=ctx, timeout=20)
    f.connect(host, port)
    f.set_pasv(passive)
    return f


def session(f: Client, user: str, passwd: str, upload_dir: str = "upload") -> list[Any]:
    """The scripted session: every value each call returns, in order (sha256 for payloads)."""
    out: list[Any] = [f.getwelcome(), f.login(user, passwd), f.prot_p()]
    got = bytearray()
    out.append(f.retrbinary("RETR blob.bin", got.extend))
    out.append(sha(bytes(got)))
    lines: list[str] = []
    out.append(f.retrlines("RETR readme.txt", lines.append))
    out.append(lines)
    out.append(sorted(f.nlst("folder")))
    out.append(f.storbinary(f"STOR {upload_dir}/up.bin", io.BytesIO(UPLOAD)))
    back = bytearray()
    f.retrbinary(f"RETR {upload_dir}/up.bin", back.extend)
    out.append(sha(bytes(back)) == sha(UPLOAD))
    with pytest.raises(ftplib.error_perm) as e:
        f.retrbinary("RETR missing.bin", got.extend)
    out.append(str(e.value)[:3])
    # PROT C after PROT P: the next transfers in clear.
    out.append(f.prot_c())
    clear = bytearray()
    out.append(f.retrbinary("RETR blob.bin", clear.extend))
    out.append(sha(bytes(clear)))
    out.append(f.quit())
    return out


def protected(cls: Maker, srv: ftpkit.Server, certs: Certs, passive: bool = True, tls12: bool = False) -> Client:
    """A client of class ``cls`` connected to ``srv``, logged in (AUTH TLS first), data protected (PROT P)."""
    f = connect(cls, srv.host, srv.port, certs, passive, tls12)
    f.login(USER, PASSWORD)
    f.prot_p()
    return f


def protected_downloads(f: Client, n: int) -> str:
    """PROT P (again: harmless), downloads blob.bin ``n`` times (each a data connection resuming the control
    session), quits; the sha256 of the last download."""
    f.prot_p()
    got = bytearray()
    for _ in range(n):
        got.clear()
        f.retrbinary("RETR blob.bin", got.extend)
    f.quit()
    return sha(bytes(got))


# -- (a) ftpkit.Server with TLS ---------------------------------------------------------------------------------


@pytest.fixture
def tls_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    fill(root)
    return root


def tls_server(root: Path, certs: Certs, reuse: str, required: bool = True, **kw: Any) -> ftpkit.Server:
    return ftpkit.Server(
        root, users={USER: PASSWORD}, write=True, tls_cert=certs.cert, tls_key=certs.key, tls_required=required,
        tls_reuse=reuse, **kw,
    )


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_same_session_as_ftplib_against_ftpkit_server(tls_root: Path, certs: Certs, passive: bool) -> None:
    # reuse "warn": the server serves data connections that did not resume, so ftplib's session runs too; TLS not
    # required, for the PROT C part.
    with tls_server(tls_root, certs, "warn", required=False) as srv:
        ours = session(connect(ftpkit.FTP_TLS, srv.host, srv.port, certs, passive), USER, PASSWORD)
        theirs = session(connect(ftplib.FTP_TLS, srv.host, srv.port, certs, passive), USER, PASSWORD)
    assert ours == theirs
    assert ours[4] == sha(BLOB) and ours[-2] == sha(BLOB)
    assert ours[1].startswith("230") and ours[2].startswith("200")


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_the_server_requiring_reuse_refuses_ftplib_and_serves_ftpkit(
    tls_root: Path, certs: Certs, passive: bool
) -> None:
    with tls_server(tls_root, certs, "require", required=False) as srv:
        f = protected(ftplib.FTP_TLS, srv, certs, passive)
        with pytest.raises(ftplib.error_perm, match="^522"):
            f.retrbinary("RETR blob.bin", lambda b: None)
        f.close()
        # ftpkit's data connections resume the control session: every transfer goes through, many in a row
        # (rustls uses each TLS 1.3 ticket once; ftpkit's server issues 32 on the control connection, 2 on each
        # download, none on uploads: 7 uploads in a row here, then listings and uploads alternating; a run of uploads
        # alone longer than the tickets held still runs dry, see docs/SECURITY.md).
        ours = connect(ftpkit.FTP_TLS, srv.host, srv.port, certs, passive)
        assert session(ours, USER, PASSWORD)[4] == sha(BLOB)
        ours = protected(ftpkit.FTP_TLS, srv, certs, passive)
        for i in range(7):
            assert ours.storbinary(f"STOR upload/run{i}.bin", io.BytesIO(UPLOAD[:100])).startswith("226")
        for i in range(20):
            assert f"n{i}.bin" not in ours.nlst("upload")
            assert ours.storbinary(f"STOR upload/n{i}.bin", io.BytesIO(UPLOAD[: 1000 + i])).startswith("226")
        want = [f"n{i}.bin" for i in range(20)] + [f"run{i}.bin" for i in range(7)] + ["up.bin"]
        assert sorted(ours.nlst("upload")) == sorted(want)
        ours.quit()
    for i in range(20):
        assert (tls_root / "upload" / f"n{i}.bin").read_bytes() == UPLOAD[: 1000 + i]


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_ccc_clears_the_control_connection_and_data_stays_protected(
    tls_root: Path, certs: Certs, passive: bool
) -> None:
    # The server requires every data connection to resume the control connection's session: after CCC the
    # control connection is clear, and ftpkit's data connections still resume that session.
    with tls_server(tls_root, certs, "require", allow_ccc=True) as srv:
        f = protected(ftpkit.FTP_TLS, srv, certs, passive)
        assert f.ccc().startswith("200")
        with pytest.raises(ValueError):
            f.ccc()  # in clear now: ValueError, as ftplib's
        assert f.pwd() == "/"
        for _ in range(3):
            got = bytearray()
            assert f.retrbinary("RETR blob.bin", got.extend).startswith("226") and bytes(got) == BLOB
        assert f.storbinary("STOR upload/after-ccc.bin", io.BytesIO(UPLOAD)).startswith("226")
        assert f.quit().startswith("221")
    assert (tls_root / "upload" / "after-ccc.bin").read_bytes() == UPLOAD


def test_ccc_against_ftplib_with_a_server_not_requiring_reuse(tls_root: Path, certs: Certs) -> None:
    results = []
    with tls_server(tls_root, certs, "warn", allow_ccc=True) as srv:
        for cls in (ftpkit.FTP_TLS, ftplib.FTP_TLS):
            f = protected(cls, srv, certs)
            got = bytearray()
            results.append([f.ccc(), f.pwd(), f.retrbinary("RETR blob.bin", got.extend), sha(bytes(got)), f.quit()])
    assert results[0] == results[1]
    assert results[0][3] == sha(BLOB)


def test_ccc_refused_by_the_server_raises_the_same_class(tls_root: Path, certs: Certs) -> None:
    # ftpkit's server without allow_ccc answers 534; the session goes on under TLS.
    with tls_server(tls_root, certs, "warn") as srv:
        for cls in (ftpkit.FTP_TLS, ftplib.FTP_TLS):
            f = connect(cls, srv.host, srv.port, certs)
            with pytest.raises(ValueError):
                f.ccc()  # without TLS: ValueError before anything is sent, as ftplib's
            f.login(USER, PASSWORD)
            with pytest.raises(ftplib.error_perm, match="^534"):
                f.ccc()
            f.prot_p()
            got = bytearray()
            assert f.retrbinary("RETR blob.bin", got.extend).startswith("226") and bytes(got) == BLOB
            f.quit()


def test_login_secure_false_stays_in_clear_and_a_server_requiring_tls_refuses(tls_root: Path, certs: Certs) -> None:
    with tls_server(tls_root, certs, "require") as srv:
        for cls in (ftpkit.FTP_TLS, ftplib.FTP_TLS):
            f = connect(cls, srv.host, srv.port, certs)
            with pytest.raises(ftplib.error_perm, match="^530"):
                f.login(USER, PASSWORD, secure=False)
            f.close()
            f = connect(cls, srv.host, srv.port, certs)
            assert f.auth().startswith("234")
            with pytest.raises(ValueError):
                f.auth()  # already under TLS, as ftplib's
            assert f.login(USER, PASSWORD).startswith("230"), "login does no second AUTH"
            f.quit()


def test_certificates_are_verified_and_errors_are_pythons_ssl_classes(tls_root: Path, certs: Certs) -> None:
    wrong = ssl.create_default_context(cafile=str(certs.other_ca))
    with tls_server(tls_root, certs, "require") as srv:
        for cls in (ftpkit.FTP_TLS, ftplib.FTP_TLS):
            f = cls(context=wrong, timeout=10)
            f.connect(srv.host, srv.port)
            with pytest.raises(ssl.SSLCertVerificationError):
                f.login(USER, PASSWORD)
            f.close()
        # ftpkit verifies without a context too (Mozilla's roots do not know the test CA); cafile= trusts it.
        f = ftpkit.FTP_TLS(timeout=10)
        f.connect(srv.host, srv.port)
        with pytest.raises(ssl.SSLCertVerificationError):
            f.login(USER, PASSWORD)
        f = ftpkit.FTP_TLS(timeout=10, cafile=certs.ca)
        f.connect(srv.host, srv.port)
        assert f.login(USER, PASSWORD).startswith("230")
        f.quit()
        # "localhost" is in the certificate as a name: it verifies.
        f = ftpkit.FTP_TLS(timeout=10, cafile=certs.ca)
        f.connect("localhost", srv.port)
        assert f.login(USER, PASSWORD).startswith("230")
        f.quit()
    # 127.0.0.2 is not in the certificate: refused by name unless check_hostname is off (the chain is still
    # checked: another CA is refused), or verification is off altogether.
    noname = context(certs)
    noname.check_hostname = False
    wrong_noname = ssl.create_default_context(cafile=str(certs.other_ca))
    wrong_noname.check_hostname = False
    with tls_server(tls_root, certs, "require", host="127.0.0.2") as srv:
        for ctx, ok in ((context(certs), False), (noname, True), (wrong_noname, False), (unverified(), True)):
            for cls in (ftpkit.FTP_TLS, ftplib.FTP_TLS):
                f = cls(context=ctx, timeout=10)
                f.connect("127.0.0.2", srv.port)
                if ok:
                    assert f.login(USER, PASSWORD).startswith("230")
                    f.quit()
                else:
                    with pytest.raises(ssl.SSLCertVerificationError):
                        f.login(USER, PASSWORD)
                    f.close()


def unverified() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_transfercmd_under_prot_p_raises_before_sending_and_works_under_prot_c(
    tls_root: Path, certs: Certs
) -> None:
    with tls_server(tls_root, certs, "require") as srv:
        f = protected(ftpkit.FTP_TLS, srv, certs)
        with pytest.raises(ftpkit.Unsupported) as e:
            f.transfercmd("RETR blob.bin")
        assert isinstance(e.value, NotImplementedError) and "retrbinary" in str(e.value)
        assert f.pwd() == "/", "nothing was sent: the session goes on"
        f.quit()
    # Under PROT C (a server not requiring protected data) transfercmd gives a plain socket, as ftplib's.
    with ftpkit.Server(tls_root, users={USER: PASSWORD}, tls_cert=certs.cert, tls_key=certs.key) as srv:
        f = protected(ftpkit.FTP_TLS, srv, certs)
        f.prot_c()
        conn = f.transfercmd("RETR blob.bin")
        got = bytearray()
        while chunk := conn.recv(65536):
            got += chunk
        conn.close()
        assert f.voidresp().startswith("226")
        assert bytes(got) == BLOB
        f.quit()


def test_context_values_that_cannot_be_mapped_are_refused_up_front(certs: Certs) -> None:
    ctx = context(certs)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises(ValueError, match="minimum_version"):
        ftpkit.FTP_TLS(context=ctx)
    with pytest.raises(ValueError, match="mutually exclusive"):
        ftpkit.FTP_TLS(context=context(certs), certfile=certs.cert)


def test_tls12_only_context(tls_root: Path, certs: Certs) -> None:
    with tls_server(tls_root, certs, "require") as srv:
        assert protected_downloads(protected(ftpkit.FTP_TLS, srv, certs, tls12=True), 5) == sha(BLOB)


# -- (b) pyftpdlib's TLS_FTPHandler -----------------------------------------------------------------------------


@pytest.fixture
def pyftpdlib_tls(tmp_path: Path, certs: Certs) -> Iterator[Any]:
    fill(tmp_path)
    with run_pyftpdlib_tls(tmp_path, certs) as srv:
        yield srv


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_same_session_as_ftplib_against_pyftpdlib_tls(pyftpdlib_tls: Any, certs: Certs, passive: bool) -> None:
    srv = pyftpdlib_tls
    ours = session(connect(ftpkit.FTP_TLS, srv.host, srv.port, certs, passive), USER, PASSWORD)
    theirs = session(connect(ftplib.FTP_TLS, srv.host, srv.port, certs, passive), USER, PASSWORD)
    assert ours == theirs
    assert ours[4] == sha(BLOB)


def test_client_certificates_with_certfile_and_keyfile(tmp_path: Path, certs: Certs) -> None:
    """pyftpdlib asking for a client certificate signed by the test CA: given as certfile/keyfile (ftplib's
    arguments), both clients get in and transfer; without one, both fail with an OSError (the server's TLS
    alert: after the handshake under TLS 1.3, so on the next read)."""
    fill(tmp_path)
    with_cert = context(certs)
    with_cert.load_cert_chain(str(certs.client), str(certs.client_key))  # ftplib 3.12 takes it from the context
    clients: list[tuple[Callable[[], Client], Callable[[], Client]]] = [
        (
            lambda: ftpkit.FTP_TLS(certfile=certs.client, keyfile=certs.client_key, cafile=certs.ca, timeout=10),
            lambda: ftpkit.FTP_TLS(cafile=certs.ca, timeout=10),
        ),
        (lambda: ftplib.FTP_TLS(context=with_cert, timeout=10), lambda: ftplib.FTP_TLS(context=context(certs))),
    ]
    with run_pyftpdlib_tls(tmp_path, certs, client_certs=True) as srv:
        for make, make_without in clients:
            f = make()
            f.connect(srv.host, srv.port)
            assert f.login(USER, PASSWORD).startswith("230")
            assert protected_downloads(f, 3) == sha(BLOB)
            f = make_without()
            f.connect(srv.host, srv.port)
            with pytest.raises(OSError):
                f.login(USER, PASSWORD)
                f.pwd()
            f.close()


def test_pyftpdlib_has_no_ccc_and_both_clients_raise_the_same_class(pyftpdlib_tls: Any, certs: Certs) -> None:
    srv = pyftpdlib_tls
    for cls in (ftpkit.FTP_TLS, ftplib.FTP_TLS):
        f = connect(cls, srv.host, srv.port, certs)
        f.login(USER, PASSWORD)
        with pytest.raises(ftplib.error_perm):
            f.ccc()
        f.quit()


# -- (c) vsftpd with require_ssl_reuse=YES ----------------------------------------------------------------------


@pytest.fixture
def vsftpd_tls(tmp_path: Path, certs: Certs) -> Iterator[run_vsftpd_tls]:
    with run_vsftpd_tls(tmp_path, certs) as srv:
        yield srv


@pytest.mark.parametrize("tls12", [False, True], ids=["tls13", "tls12"])
@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_vsftpd_requiring_reuse_refuses_ftplib_with_522_and_serves_ftpkit(
    vsftpd_tls: run_vsftpd_tls, certs: Certs, passive: bool, tls12: bool
) -> None:
    # Both clients get the same context; with tls12 its maximum_version is TLS 1.2 (ftpkit maps it).
    srv = vsftpd_tls
    f = connect(ftplib.FTP_TLS, "127.0.0.1", srv.port, certs, passive, tls12)
    f.login()
    f.prot_p()
    with pytest.raises(ftplib.error_perm, match="^522"):
        f.retrbinary("RETR blob.bin", lambda b: None)
    f.close()

    ours = connect(ftpkit.FTP_TLS, "127.0.0.1", srv.port, certs, passive, tls12)
    assert ours.login().startswith("230")
    ours.prot_p()
    got = bytearray()
    assert ours.retrbinary("RETR blob.bin", got.extend).startswith("226")
    assert bytes(got) == BLOB
    for i in range(12):
        assert ours.storbinary(f"STOR upload/v{i}.bin", io.BytesIO(UPLOAD[: 5000 + i])).startswith("226")
    back = bytearray()
    ours.retrbinary("RETR upload/v11.bin", back.extend)
    assert bytes(back) == UPLOAD[:5011]
    assert sorted(ours.nlst("upload"))[-1].endswith("v9.bin")
    ours.quit()
    for i in range(12):
        assert (srv.root / "upload" / f"v{i}.bin").read_bytes() == UPLOAD[: 5000 + i]


# -- threads: the GIL is released during TLS transfers too -------------------------------------------------------


def test_two_threads_download_over_tls_at_once(tls_root: Path, certs: Certs) -> None:
    with tls_server(tls_root, certs, "require") as srv:
        digests: list[str] = []

        def work() -> None:
            digests.append(protected_downloads(protected(ftpkit.FTP_TLS, srv, certs), 3))

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert digests == [sha(BLOB)] * 2


def test_debug_trace_shows_each_handshake_and_that_data_connections_resumed(
    tls_root: Path, certs: Certs, capsys: pytest.CaptureFixture[str]
) -> None:
    with tls_server(tls_root, certs, "require", allow_ccc=True) as srv:
        f = connect(ftpkit.FTP_TLS, srv.host, srv.port, certs)
        f.set_debuglevel(1)
        f.login(USER, PASSWORD)
        f.prot_p()
        f.nlst()
        f.ccc()
        f.nlst()
        f.quit()
    out = capsys.readouterr().out
    assert "---> AUTH TLS" in out
    assert "TLS control connection: TLSv1_3" in out and "resumed: no" in out
    assert out.count("TLS data connection: TLSv1_3") == 2
    assert out.count("resumed: yes") == 2, out
    assert "TLS control connection: closed (CCC)" in out
