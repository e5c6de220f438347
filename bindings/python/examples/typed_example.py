"""A typed script using ftpkit the way a user would; `mypy --strict` checks it against the stubs (tests/test_typing.py).

Run it: python examples/typed_example.py  (it starts its own server in a temporary folder)."""

from __future__ import annotations

import ftplib
import io
import shutil
import socket
import ssl
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import ftpkit


def fetch(ftp: ftpkit.FTP, name: str) -> bytes:
    out = bytearray()
    reply: str = ftp.retrbinary(f"RETR {name}", out.extend)
    assert reply.startswith("226")
    return bytes(out)


def size_or_none(ftp: ftpkit.FTP, name: str) -> Optional[int]:
    try:
        return ftp.size(name)
    except ftplib.error_perm:  # ftpkit's error_perm is a subclass: existing clauses keep working
        return None


def fetch_tls(host: str, port: int, context: ssl.SSLContext, name: str) -> bytes:
    """FTPS: AUTH TLS at login, then protected data connections that resume the control connection's session."""
    out = bytearray()
    with ftpkit.FTP_TLS(context=context, timeout=10) as ftps:
        ftps.connect(host, port)
        login: str = ftps.login("me", "secret")
        prot: str = ftps.prot_p()
        ftps.retrbinary(f"RETR {name}", out.extend)
        try:
            ftps.transfercmd(f"RETR {name}")  # an ssl.SSLSocket in ftplib; not under PROT P in ftpkit
        except ftpkit.Unsupported as e:
            print("transfercmd:", e)
        print(login, prot)
    return bytes(out)


def tls_round(root: str) -> None:
    """A server with a self-signed certificate made by openssl (when it is installed), and FTP_TLS against it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return
    cert, key = Path(root, "cert.pem"), Path(root, "key.pem")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    # A self-signed test certificate: verification off, said through the context as with ftplib.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with ftpkit.Server(root, users={"me": "secret"}, tls_cert=cert, tls_key=key, tls_required=True) as server:
        assert fetch_tls("127.0.0.1", server.port, context, "hello.txt") == b"hello, world\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        Path(root, "hello.txt").write_bytes(b"hello, world\n")
        with ftpkit.Server(root, users={"me": "secret"}, write=True) as server:
            with ftpkit.FTP() as ftp:
                welcome: str = ftp.connect("127.0.0.1", server.port)
                ftp.login("me", "secret")
                names: list[str] = ftp.nlst()
                data = fetch(ftp, "hello.txt")
                ftp.storbinary("STOR copy.txt", io.BytesIO(data))
                missing = size_or_none(ftp, "missing.txt")
                facts: dict[str, dict[str, str]] = dict(ftp.mlsd())
                # ftplib's lower level: the data connection as a socket, then the transfer's reply.
                conn: socket.socket = ftp.transfercmd("RETR copy.txt")
                with conn:
                    copied = b"".join(iter(lambda: conn.recv(1 << 16), b""))
                done: str = ftp.voidresp()
                syst: str = ftp.sendcmd("SYST")
                assert copied == data and done.startswith("226"), (copied, done, syst)
                print(welcome, names, data, missing, sorted(facts))
        tls_round(root)
    hp: ftpkit.HostPort = ftpkit.parse_pasv("227 Entering Passive Mode (127,0,0,1,4,1)")
    ip: str = hp.ip
    port: int = int(ftpkit.parse_epsv("229 Entering Extended Passive Mode (|||6446|)"))
    entry: Optional[ftpkit.Entry] = ftpkit.parse_list_line("-rw-r--r-- 1 a b 5 Jan 01 2024 x.txt")
    try:
        ftpkit.parse_port("1,2,3,4,5,256")
    except ftpkit.ParseError as e:
        field: Optional[str] = e.field
        print(field, e)
    tl: ftpkit.Timeline = ftpkit.timeline("---> PASV\n227 Entering Passive Mode (10,0,0,1,4,1)\n---> LIST\n226 ok\n")
    print(ip, port, entry, len(tl.connections))


if __name__ == "__main__":
    main()
