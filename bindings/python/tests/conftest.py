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
    """pyftpdlib 2 on 127.0.0.1, a free port, serving ``root`` read-write to USER, read-only to anonymous."""

    def __init__(self, root: Path) -> None:
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
