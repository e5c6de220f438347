"""One-run ratios for ftpkit's Python module against the Python peers, measured here and now.

    python bench/bench.py            # full: 100k parses each, 256 MiB retrieval, 3 s of sessions per server
    python bench/bench.py --quick    # smoke: small sizes, same code paths (CI)

Prints each figure and the ratio (ftpkit vs peer; > 1 means ftpkit is faster). Targets from issue 14:
parsing >= 10x ftplib, retrbinary >= 1.3x ftplib, ftpkit.Server >= 2x pyftpdlib's sessions/s. Exits 0
whatever the figures are: they are reported, not gated.
"""

from __future__ import annotations

import argparse
import ftplib
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable

import ftpkit
from ftpkit import _native


def per_call(f: Callable[[], object], n: int) -> float:
    """Seconds per call: n calls in 50 batches, the fastest batch (timeit's rule: the minimum is the cost without
    the interruptions a shared machine adds; both sides are measured the same way)."""
    batch = max(n // 50, 1)
    best = float("inf")
    for _ in range(50):
        t0 = time.perf_counter()
        for _ in range(batch):
            f()
        best = min(best, (time.perf_counter() - t0) / batch)
    return best


def ratio_line(name: str, ours: float, theirs: float, unit: str, target: float, higher_is_better: bool = False) -> None:
    r = (ours / theirs) if higher_is_better else (theirs / ours)
    mark = "meets" if r >= target else "BELOW"
    print(f"{name:<44} ftpkit {ours:>12.3f} {unit:<8} peer {theirs:>12.3f} {unit:<8} ratio {r:6.2f}x  (target {target}x: {mark})")


def bench_parsers(n: int) -> None:
    print(f"\n== parsing, {n} calls each (fastest of 50 batches), CPython {sys.version.split()[0]}")
    r227 = "227 Entering Passive Mode (192,168,150,90,195,149)."
    r229 = "229 Entering Extended Passive Mode (|||6446|)"
    r257 = '257 "/home/user/public_html" is the current directory'
    peer = ("127.0.0.1", 21)
    assert tuple(ftpkit.parse_pasv(r227)) == ftplib.parse227(r227)
    assert ("127.0.0.1", ftpkit.parse_epsv(r229)) == ftplib.parse229(r229, peer)
    assert ftpkit.parse_257(r257) == ftplib.parse257(r257)
    cases = [
        ("227: parse_pasv vs ftplib.parse227", lambda: ftpkit.parse_pasv(r227), lambda: ftplib.parse227(r227)),
        ("229: parse_epsv vs ftplib.parse229", lambda: ftpkit.parse_epsv(r229), lambda: ftplib.parse229(r229, peer)),
        ("257: parse_257 vs ftplib.parse257", lambda: ftpkit.parse_257(r257), lambda: ftplib.parse257(r257)),
    ]
    for name, ours, theirs in cases:
        ratio_line(name, per_call(ours, n) * 1e9, per_call(theirs, n) * 1e9, "ns/call", 10)
    # The floors: calling a do-nothing builtin through a lambda, as the loops above do, and a do-nothing function
    # of ftpkit's native module (pyo3's call: the least any ftpkit parse can cost here, before it parses or
    # returns an object). 10x ftplib needs the whole parse under a tenth of ftplib's figure.
    floor = per_call(lambda: len(r227), n) * 1e9
    print(f"{'(loop + lambda + builtin call floor)':<44} {floor:.0f} ns/call")
    native = per_call(lambda: _native._noop(r227), n) * 1e9
    print(f"{'(loop + lambda + ftpkit no-op call floor)':<44} {native:.0f} ns/call")


SERVER_SCRIPT = textwrap.dedent(
    """
    import sys, time, os
    kind, root, port_file = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == "ftpkit":
        import ftpkit
        srv = ftpkit.Server(root, users={"u": "p"}, write=True, passive_ports=(40000, 44999))
        open(port_file, "w").write(str(srv.port))
        while True:
            time.sleep(3600)
    else:
        import logging
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import FTPServer
        logging.basicConfig(level=logging.ERROR)
        auth = DummyAuthorizer(); auth.add_user("u", "p", root, perm="elradfmw")
        FTPHandler.authorizer = auth
        FTPHandler.passive_ports = range(45000, 49999)
        s = FTPServer(("127.0.0.1", 0), FTPHandler)
        s.max_cons = 4096
        open(port_file, "w").write(str(s.address[1]))
        s.serve_forever(timeout=0.5, handle_exit=True)
    """
)


class ServerProcess:
    """A server in its own process (so it does not share the GIL with the client loop)."""

    def __init__(self, kind: str, root: str) -> None:
        self.port_file = tempfile.mktemp()
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, kind, root, self.port_file])
        for _ in range(500):
            if os.path.exists(self.port_file) and os.path.getsize(self.port_file) > 0:
                break
            time.sleep(0.01)
        self.port = int(Path(self.port_file).read_text())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        os.unlink(self.port_file)


def retr_rate(client: Callable[[], ftplib.FTP], port: int, name: str, size: int) -> float:
    """MB/s of retrbinary(default block size) of one file, best of 3."""
    best = float("inf")
    for _ in range(3):
        ftp = client()
        ftp.connect("127.0.0.1", port)
        ftp.login("u", "p")
        got = [0]

        def cb(b: bytes) -> None:
            got[0] += len(b)

        t0 = time.perf_counter()
        ftp.retrbinary(f"RETR {name}", cb)
        best = min(best, time.perf_counter() - t0)
        assert got[0] == size, got[0]
        ftp.quit()
    return size / best / 1e6


def bench_retrieval(root: str, size: int) -> None:
    print(f"\n== retrbinary of {size >> 20} MiB from one local server (ftpkit.Server, own process), default block size")
    name = "big.bin"
    with open(os.path.join(root, name), "wb") as f:
        f.write(os.urandom(1 << 20) * (size >> 20))
    srv = ServerProcess("ftpkit", root)
    try:
        ours = retr_rate(ftpkit.FTP, srv.port, name, size)  # type: ignore[arg-type]
        theirs = retr_rate(ftplib.FTP, srv.port, name, size)
        ratio_line("retrbinary: ftpkit.FTP vs ftplib.FTP", ours, theirs, "MB/s", 1.3, higher_is_better=True)
    finally:
        srv.stop()


CLIENT_LOOP = textwrap.dedent(
    """
    import sys, time, ftpkit
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    n = 0
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        ftp = ftpkit.FTP()
        ftp.connect("127.0.0.1", port, timeout=30)
        ftp.login("u", "p")
        ftp.retrlines("LIST", lambda line: None)
        ftp.quit()
        n += 1
    print(n)
    """
)


def sessions(port: int, seconds: float, procs: int) -> float:
    """Short sessions/s (connect, login, EPSV, LIST, QUIT) from `procs` client processes, each one loop."""
    t0 = time.perf_counter()
    ps = [
        subprocess.Popen([sys.executable, "-c", CLIENT_LOOP, str(port), str(seconds)], stdout=subprocess.PIPE, text=True)
        for _ in range(procs)
    ]
    total = sum(int((p.communicate(timeout=seconds + 60)[0] or "0").strip() or 0) for p in ps)
    return total / (time.perf_counter() - t0)


def transfer(port: int, name: str, size: int, rounds: int) -> float:
    """MB/s of `rounds` downloads of one file with ftpkit.FTP (a large block size: the server is measured)."""
    ftp = ftpkit.FTP()
    ftp.connect("127.0.0.1", port)
    ftp.login("u", "p")
    total = [0]

    def cb(b: bytes) -> None:
        total[0] += len(b)

    t0 = time.perf_counter()
    for _ in range(rounds):
        ftp.retrbinary(f"RETR {name}", cb, blocksize=1 << 20)
    dt = time.perf_counter() - t0
    ftp.quit()
    assert total[0] == size * rounds
    return total[0] / dt / 1e6


def bench_servers(root: str, seconds: float, size: int) -> None:
    print("\n== ftpkit.Server vs pyftpdlib (each in its own process), the same ftpkit.FTP client loop")
    for i in range(20):
        Path(root, f"file{i:02}.txt").write_bytes(b"x" * 1000)
    with open(os.path.join(root, "server.bin"), "wb") as f:
        f.write(os.urandom(1 << 20) * (size >> 20))
    results: dict[str, list[float]] = {}
    for kind in ("ftpkit", "pyftpdlib"):
        srv = ServerProcess(kind, root)
        try:
            results[kind] = [sessions(srv.port, seconds, 1), sessions(srv.port, seconds, 2), transfer(srv.port, "server.bin", size, 2)]
        finally:
            srv.stop()
    a, b = results["ftpkit"], results["pyftpdlib"]
    ratio_line("sessions/s, 1 client process", a[0], b[0], "sess/s", 2, higher_is_better=True)
    ratio_line("sessions/s, 2 client processes", a[1], b[1], "sess/s", 2, higher_is_better=True)
    ratio_line(f"RETR {size >> 20} MiB x2, MB/s", a[2], b[2], "MB/s", 1, higher_is_better=True)
    print(f"({os.cpu_count()} CPUs here, shared with the client processes)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (CI smoke)")
    args = ap.parse_args()
    n, size, seconds, srv_size = (10_000, 16 << 20, 0.5, 16 << 20) if args.quick else (100_000, 256 << 20, 3.0, 256 << 20)
    bench_parsers(n)
    with tempfile.TemporaryDirectory() as root:
        bench_retrieval(root, size)
        bench_servers(root, seconds, srv_size)


if __name__ == "__main__":
    main()
