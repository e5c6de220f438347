"""ftpkit.FTP against ftplib.FTP: the same scripted session, against pyftpdlib and against ftpkit.Server, in
passive and active mode, must give the same values and raise the same exception classes (with the same text)."""

from __future__ import annotations

import ftplib
import hashlib
import io
import threading
from typing import Any, Callable

import pytest

import ftpkit
from conftest import PASSWORD, USER

ERROR_CLASSES = (ftplib.error_perm, ftplib.error_temp, ftplib.error_reply, ftplib.error_proto, EOFError, OSError)


def attempt(f: Callable[[], Any]) -> Any:
    """The value, or ('raised', the ftplib class it is an instance of, its text)."""
    try:
        return f()
    except ftplib.all_errors as e:
        cls = next(c for c in ERROR_CLASSES if isinstance(e, c))
        return ("raised", cls.__name__, str(e))


def script(ftp: Any, host: str, port: int, passive: bool) -> list[Any]:
    out: list[Any] = []
    rec = lambda f: out.append(attempt(f))  # noqa: E731
    rec(lambda: ftp.connect(host, port, timeout=20))
    ftp.set_pasv(passive)
    rec(lambda: ftp.login(USER, PASSWORD))
    rec(ftp.pwd)
    rec(lambda: sorted(ftp.nlst()))
    blob = bytearray()
    rec(lambda: ftp.retrbinary("RETR blob.bin", blob.extend))
    out.append(hashlib.sha256(bytes(blob)).hexdigest())
    lines: list[str] = []
    rec(lambda: ftp.retrlines("RETR readme.txt", lines.append))
    out.append(lines)
    listing: list[str] = []
    rec(lambda: ftp.dir(listing.append))
    out.append(sorted(line.split()[-1] for line in listing))
    rec(lambda: ftp.size("readme.txt"))  # after an ASCII transfer: servers differ, clients must not
    rec(lambda: ftp.voidcmd("TYPE I"))
    rec(lambda: ftp.size("blob.bin"))
    rec(lambda: ftp.mkd("newdir"))
    rec(lambda: ftp.cwd("newdir"))
    rec(ftp.pwd)
    data = bytes(range(256)) * 1000 + b"end"
    rec(lambda: ftp.storbinary("STOR up.bin", io.BytesIO(data)))
    rec(lambda: ftp.size("up.bin"))
    back = bytearray()
    rec(lambda: ftp.retrbinary("RETR up.bin", back.extend, blocksize=1000))
    out.append(bytes(back) == data)
    rec(lambda: ftp.retrbinary("RETR up.bin", back.extend, rest=1000))
    out.append(len(back))
    rec(lambda: ftp.storlines("STOR lines.txt", io.BytesIO(b"a\nb\r\nc")))
    text = bytearray()
    rec(lambda: ftp.retrbinary("RETR lines.txt", text.extend))
    out.append(bytes(text))
    rec(lambda: ftp.rename("up.bin", "up2.bin"))
    rec(lambda: sorted(ftp.nlst()))
    rec(lambda: ftp.delete("up2.bin"))
    rec(lambda: ftp.delete("lines.txt"))
    rec(lambda: ftp.cwd("/"))
    rec(lambda: ftp.rmd("newdir"))
    # Refusals.
    rec(lambda: ftp.cwd("/no/such/dir"))
    rec(lambda: ftp.retrbinary("RETR missing.bin", blob.extend))
    rec(lambda: ftp.delete("missing.bin"))
    rec(lambda: ftp.rmd("missing"))
    rec(lambda: sorted(name for name, facts in ftp.mlsd("/") if facts.get("type") in ("file", "dir")))
    rec(lambda: ftp.sendcmd("NOOP"))
    extra(ftp, rec, out)
    rec(ftp.quit)
    return out


def extra(ftp: Any, rec: Callable[[Callable[[], Any]], None], out: list[Any]) -> None:
    """Raw commands, the data-connection hand-off and transfers of any command."""
    rec(lambda: ftp.voidcmd("TYPE I"))

    def download(cmd: str) -> Any:
        conn = ftp.transfercmd(cmd)
        chunks = []
        while True:
            b = conn.recv(7000)
            if not b:
                break
            chunks.append(b)
        conn.close()
        return b"".join(chunks), ftp.voidresp()

    rec(lambda: download("RETR blob.bin")[0] == bytes(range(256)) * 4096 + b"tail")
    rec(lambda: sorted(download("NLST")[0].split()))
    data = b"direct upload " * 5000

    def upload(cmd: str) -> Any:
        conn, size = ftp.ntransfercmd(cmd)
        conn.sendall(data)
        conn.close()
        return size, ftp.voidresp()

    rec(lambda: upload("STOR direct.bin"))
    rec(lambda: ftp.size("direct.bin"))
    rec(lambda: upload("APPE direct.bin"))
    rec(lambda: ftp.size("direct.bin"))
    rec(lambda: ftp.transfercmd("RETR missing.bin"))
    lines: list[str] = []
    rec(lambda: ftp.retrlines("LIST", lines.append))
    out.append(sorted(line.split()[-1] for line in lines))
    names: list[str] = []
    rec(lambda: ftp.retrlines("NLST", names.append))
    out.append(sorted(names))
    facts: list[str] = []
    rec(lambda: ftp.retrlines("MLSD", facts.append))
    out.append(sorted(line.split(" ", 1)[-1] for line in facts))
    raw = bytearray()
    rec(lambda: ftp.retrbinary("NLST", raw.extend))
    out.append(sorted(bytes(raw).split()))
    # direct.bin was written by this script a moment ago: its modify fact is the second each run wrote it (the two
    # runs compared may straddle a second), so it is left out for that file only.
    rec(lambda: sorted((n, sorted((k, v) for k, v in f.items() if (n, k) != ("direct.bin", "modify")))
                       for n, f in ftp.mlsd("/", facts=["type", "size"]) if f.get("type") in ("file", "dir")))
    rec(lambda: sorted((n, sorted(f)) for n, f in ftp.mlsd("/", facts=["type"]) if f.get("type") == "file"))
    rec(lambda: ftp.storlines("APPE direct.bin", io.BytesIO(b"x\ny\n")))
    rec(lambda: ftp.size("direct.bin"))
    rec(lambda: ftp.delete("direct.bin"))
    for cmd in ("SYST", "NOOP", "HELP", "HELP RETR", "XYZZY", "SITE NOPE", "MDTM missing.bin", "RNTO x",
                "CWD /no/such"):
        rec(lambda: ftp.sendcmd(cmd))
        rec(lambda: ftp.voidcmd(cmd))
    # STAT's text names the connection's ports: the code and class only.
    stat = attempt(lambda: ftp.sendcmd("STAT"))
    out.append(stat[:3] if isinstance(stat, str) else stat[:2])
    # A command the core refuses (MKD needs an argument): ftplib gets the server's 501, ftpkit does not send it.
    missing = attempt(lambda: ftp.sendcmd("MKD"))
    out.append(missing[:2])
    rec(lambda: ftp.sendcmd("RNFR readme.txt"))  # 350: sendcmd returns it, voidcmd would raise
    rec(lambda: ftp.voidcmd("RNTO readme2.txt"))
    rec(lambda: ftp.voidcmd("RNFR readme2.txt"))
    rec(lambda: ftp.sendcmd("RNTO readme.txt"))


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
@pytest.mark.parametrize("server", ["pyftpdlib_server", "ftpkit_server"])
def test_same_session_as_ftplib(server: str, passive: bool, request: pytest.FixtureRequest) -> None:
    srv = request.getfixturevalue(server)
    want = script(ftplib.FTP(), "127.0.0.1", srv.port, passive)
    got = script(ftpkit.FTP(), "127.0.0.1", srv.port, passive)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"step {i}: ftpkit {g!r} != ftplib {w!r}"
    # The script exercised refusals, not only successes.
    assert sum(1 for w in want if isinstance(w, tuple) and w[:1] == ("raised",)) >= 4


def test_login_refused_is_error_perm(ftpkit_server: ftpkit.Server) -> None:
    with ftpkit.FTP() as ftp:
        ftp.connect("127.0.0.1", ftpkit_server.port)
        with pytest.raises(ftplib.error_perm) as e:
            ftp.login(USER, "wrong")
        assert isinstance(e.value, ftpkit.error_perm) and isinstance(e.value, ftpkit.Error)
        assert str(e.value).startswith("530")


def test_newline_in_command_raises_before_sending(ftpkit_server: ftpkit.Server) -> None:
    ftp = ftpkit.FTP("127.0.0.1", timeout=10) if False else ftpkit.FTP()
    ftp.connect("127.0.0.1", ftpkit_server.port)
    ftp.login(USER, PASSWORD)
    ftp.set_debuglevel(1)
    for bad in ("x\r\nDELE readme.txt", "x\nDELE readme.txt"):
        with pytest.raises(ValueError):
            ftp.cwd(bad)
        with pytest.raises(ValueError):
            ftp.sendcmd("CWD " + bad)
        with pytest.raises(ValueError):
            ftp.retrbinary("RETR " + bad, print)
    # Nothing reached the server: the file is still there, and the session still works.
    assert "readme.txt" in ftp.nlst()
    ftp.quit()


def test_debug_trace_is_ftp_d_form_with_steps(ftpkit_server: ftpkit.Server, capsys: pytest.CaptureFixture[str]) -> None:
    with ftpkit.FTP() as ftp:
        ftp.connect("127.0.0.1", ftpkit_server.port)
        ftp.login(USER, PASSWORD)
        ftp.set_debuglevel(1)
        ftp.set_pasv(False)
        ftp.retrbinary("RETR readme.txt", lambda b: None)
    out = capsys.readouterr().out
    assert "---> PORT 127,0,0,1," in out and "---> RETR readme.txt" in out and "\n226 " in out
    assert "PASS" not in out  # login was before debugging started
    assert "data connection 1 (active)" in out
    for n in (1, 2, 3, 4):
        assert f"  {n}. " in out
    # The listener's real port is in the steps.
    port_line = next(l for l in out.splitlines() if l.startswith("---> PORT"))
    h = port_line.split()[-1].split(",")
    assert f":{int(h[4]) * 256 + int(h[5])}" in out


def test_debug_hides_password(ftpkit_server: ftpkit.Server, capsys: pytest.CaptureFixture[str]) -> None:
    ftp = ftpkit.FTP()
    ftp.set_debuglevel(1)
    ftp.connect("127.0.0.1", ftpkit_server.port)
    ftp.login(USER, PASSWORD)
    ftp.quit()
    out = capsys.readouterr().out
    assert "---> PASS XXXX" in out and PASSWORD not in out


def test_two_threads_transfer_at_once(ftpkit_server: ftpkit.Server, tmp_path: Any) -> None:
    """Two downloads in two threads are in flight at the same time (each waits at its first block until the other
    has one too), and both arrive byte-exact."""
    big = bytes(range(256)) * (32 << 10)  # 8 MiB
    (tmp_path / "big.bin").write_bytes(big)
    barrier = threading.Barrier(2, timeout=20)
    results: dict[str, bytes] = {}

    def fetch(name: str) -> None:
        with ftpkit.FTP() as ftp:
            ftp.connect("127.0.0.1", ftpkit_server.port)
            ftp.login(USER, PASSWORD)
            got = bytearray()

            def cb(block: bytes) -> None:
                if not got:
                    barrier.wait()  # both transfers are open before either goes on
                got.extend(block)

            ftp.retrbinary("RETR big.bin", cb, blocksize=1 << 20)
            results[name] = bytes(got)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {"a": big, "b": big}


def test_gil_released_while_waiting() -> None:
    """The client waits for a greeting that a Python thread sends 0.3 s later: that thread (and a counting one)
    can only run if the GIL is released during the wait; otherwise connect would time out."""
    import socket
    import time

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]

    def slow_server() -> None:
        conn, _ = lsock.accept()
        time.sleep(0.3)
        conn.sendall(b"220 late hello\r\n")
        conn.recv(100)
        conn.close()

    ticks = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks[0] += 1

    server = threading.Thread(target=slow_server)
    counter = threading.Thread(target=spin)
    server.start()
    counter.start()
    try:
        ftp = ftpkit.FTP()
        t0 = time.monotonic()
        before = ticks[0]
        assert ftp.connect("127.0.0.1", port, timeout=5) == "220 late hello"
        during = ticks[0] - before
        assert time.monotonic() - t0 < 3
        assert during > 1000
        ftp.close()
    finally:
        stop.set()
        counter.join()
        server.join(5)
        lsock.close()


def test_callback_exception_propagates_and_session_survives(ftpkit_server: ftpkit.Server) -> None:
    class Stop(Exception):
        pass

    def cb(_: bytes) -> None:
        raise Stop()

    with ftpkit.FTP() as ftp:
        ftp.connect("127.0.0.1", ftpkit_server.port)
        ftp.login(USER, PASSWORD)
        with pytest.raises(Stop):
            ftp.retrbinary("RETR blob.bin", cb)
        assert ftp.pwd() == "/"


def test_constructor_connects_and_logs_in(ftpkit_server: ftpkit.Server) -> None:
    # ftplib's FTP(host, user, passwd) on port 21 cannot reach a test port: connect() then login() as ftplib.
    ftp = ftpkit.FTP()
    assert ftp.connect("127.0.0.1", ftpkit_server.port).startswith("220")
    assert ftp.getwelcome() == ftp.welcome
    assert ftp.login().startswith("230")  # anonymous
    with pytest.raises(ftplib.error_perm):
        ftp.storbinary("STOR x.bin", io.BytesIO(b"no"))  # anonymous is read-only
    ftp.close()
    with pytest.raises(ftpkit.all_errors):
        ftp.pwd()


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
@pytest.mark.parametrize("server", ["pyftpdlib_server", "ftpkit_server"])
def test_abort_mid_retr_then_session_goes_on(server: str, passive: bool, request: pytest.FixtureRequest,
                                             tmp_path: Any) -> None:
    srv = request.getfixturevalue(server)
    # Larger than the loopback buffers, so the transfer is still in flight when ABOR goes.
    (tmp_path / "big.bin").write_bytes(b"z" * (48 << 20))

    def run(ftp: Any) -> Any:
        ftp.connect("127.0.0.1", srv.port, timeout=20)
        ftp.set_pasv(passive)
        ftp.login(USER, PASSWORD)
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("RETR big.bin")
        first = conn.recv(1000)
        r1 = ftp.abort()
        conn.close()
        r2 = ftp.voidresp() if r1[:3] == "426" else None
        text: list[str] = []
        after = (ftp.pwd(), ftp.retrlines("RETR readme.txt", text.append), text, ftp.voidcmd("NOOP"))
        ftp.quit()
        return len(first) > 0, r1[:3], r2 and r2[:3], after

    want = run(ftplib.FTP())
    got = run(ftpkit.FTP())
    assert got == want
    assert got[1] in ("426", "225", "226")


@pytest.mark.parametrize("server", ["pyftpdlib_server", "ftpkit_server"])
def test_abort_without_transfer(server: str, request: pytest.FixtureRequest) -> None:
    port = request.getfixturevalue(server).port
    got = []
    for ftp in (ftplib.FTP(), ftpkit.FTP()):
        ftp.connect("127.0.0.1", port, timeout=20)
        ftp.login(USER, PASSWORD)
        got.append((attempt(ftp.abort), ftp.pwd()))
        ftp.quit()
    assert got[0] == got[1]


def test_voidresp_without_transfer_raises(ftpkit_server: ftpkit.Server) -> None:
    with ftpkit.FTP() as ftp:
        ftp.connect("127.0.0.1", ftpkit_server.port)
        ftp.login(USER, PASSWORD)
        with pytest.raises(ftplib.error_proto):
            ftp.voidresp()
        with pytest.raises(ftplib.error_reply):
            ftp.transfercmd("NOOP")  # not a transfer command: refused before anything is sent
        with pytest.raises(ValueError):
            ftp.retrbinary("STOR x", print)  # an upload: the wrong method, refused before anything is sent
        with pytest.raises(ValueError):
            ftp.storbinary("RETR readme.txt", io.BytesIO(b""))
        assert ftp.voidcmd("NOOP").startswith("200")


def scripted_server(replies: dict[str, str]) -> tuple[int, threading.Thread, list[str]]:
    """A one-connection server answering each verb from ``replies`` (502 otherwise), recording the commands."""
    import socket

    lsock = socket.create_server(("127.0.0.1", 0))
    seen: list[str] = []

    def serve() -> None:
        for _ in range(2):  # ftplib's session, then ftpkit's
            conn, _ = lsock.accept()
            with conn, conn.makefile("rb") as f:
                conn.sendall(b"220 scripted\r\n")
                for _ in range(50):
                    line = f.readline()
                    if not line:
                        break
                    cmd = line.decode().rstrip("\r\n")
                    seen.append(cmd)
                    verb = cmd.split(" ")[0].upper()
                    conn.sendall((replies.get(verb, "502 not here") + "\r\n").encode())
                    if verb == "QUIT":
                        break
        lsock.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return lsock.getsockname()[1], t, seen


def test_login_with_acct_when_the_server_asks() -> None:
    port, t, seen = scripted_server(
        {"USER": "331 password", "PASS": "332 account please", "ACCT": "230 account ok", "QUIT": "221 bye",
         "TYPE": "200 ok", "FEAT": "211 no features"}
    )
    results = []
    for ftp in (ftplib.FTP(), ftpkit.FTP()):
        ftp.connect("127.0.0.1", port, timeout=10)
        results.append(ftp.login("u", "p", acct="acc"))
        ftp.quit()
    t.join(10)
    assert results[0] == results[1] == "230 account ok"
    assert seen.count("ACCT acc") == 2


@pytest.mark.parametrize("server", ["pyftpdlib_server", "ftpkit_server"])
def test_stou_upload(server: str, request: pytest.FixtureRequest, tmp_path: Any) -> None:
    port = request.getfixturevalue(server).port
    got = []
    for i, ftp in enumerate((ftplib.FTP(), ftpkit.FTP())):
        before = set(p.name for p in tmp_path.iterdir())
        ftp.connect("127.0.0.1", port, timeout=20)
        ftp.login(USER, PASSWORD)
        resp = ftp.storbinary("STOU", io.BytesIO(b"unique %d" % i))
        ftp.quit()
        new = [p for p in tmp_path.iterdir() if p.name not in before]
        assert [p.read_bytes() for p in new] == [b"unique %d" % i]
        got.append(resp[:3])
    assert got[0] == got[1] == "226"


def test_hash_and_select_hash(ftpkit_server: ftpkit.Server) -> None:
    data = bytes(range(256)) * 4096 + b"tail"  # conftest's blob.bin
    with ftpkit.FTP() as ftp:
        ftp.connect("127.0.0.1", ftpkit_server.port)
        ftp.login(USER, PASSWORD)
        got = ftp.hash("blob.bin")
        assert got == ftpkit.HashResult("SHA-256", 0, len(data), hashlib.sha256(data).hexdigest(), "blob.bin")
        assert ftp.select_hash("md5") == "200 MD5"
        assert ftp.hash("blob.bin").digest == hashlib.md5(data).hexdigest()
        assert ftp.select_hash("SHA-1") == "200 SHA-1"
        assert ftp.hash("folder/inner.txt")[:4] == ("SHA-1", 0, 6, hashlib.sha1(b"inner\n").hexdigest())
        with pytest.raises(ValueError):
            ftp.select_hash("CRC32")  # refused before anything is sent
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.hash("nothing-here")
        assert ftp.hash("readme.txt").algorithm == "SHA-1"  # the session went on, with its algorithm


def test_hash_on_a_server_without_it_is_error_perm(pyftpdlib_server: Any) -> None:
    with ftpkit.FTP() as ftp:
        ftp.connect(pyftpdlib_server.host, pyftpdlib_server.port)
        ftp.login(USER, PASSWORD)
        with pytest.raises(ftplib.error_perm, match="^50"):
            ftp.hash("blob.bin")
