"""The sans-IO ServerSession driven from Python the way an asyncio/trio adapter would, over a fake file tree;
the project's server vectors (ftpkit-server.jsonl) give the exact reply codes per state."""

from __future__ import annotations

from typing import Any, Optional

import pytest

import ftpkit
from conftest import ids, vectors

CLIENT, SERVER = "192.0.2.7:50000", "192.0.2.1:21"
FILES = {"/readme.txt": 48, "/hello world.txt": 30, "/subdir/nested.txt": 5}
DIRS = {"/", "/subdir", "/upload"}


def answer(r: ftpkit.Message) -> tuple[str, Any]:
    n = r.name
    path = r.fields.get("path")
    if n == "Authenticate":
        return ("denied", None) if r.password == "bad" else ("logged_in", True)
    if n in ("Stat", "OpenRead"):
        if path in DIRS:
            return ("dir", None)
        if path in FILES:
            return ("file", None) if n == "Stat" else ("ok", None)
        return ("not_found", None)
    if n == "OpenWrite":
        if r.mode == "unique":
            return ("unique_name", "ftpkit.1")
        return ("ok", None) if path.startswith("/upload/") else ("permission_denied", None)
    if n == "List":
        return ("ok", None) if path in DIRS or path in FILES else ("not_found", None)
    if n == "Delete":
        return ("ok", None) if path in FILES else ("not_found", None)
    if n == "Mkdir":
        return ("exists", None) if path in DIRS else ("ok", None)
    if n == "Rmdir":
        return ("ok", None) if path in DIRS else ("not_found", None)
    if n == "Rename":
        return ("exists", None) if r.to in FILES else ("ok", None)
    if n == "Size":
        return ("dir", None) if path in DIRS else (("size", FILES[path]) if path in FILES else ("not_found", None))
    if n == "Mtime":
        return ("time", 1678806566) if path in FILES else ("not_found", None)
    if n == "ListenPassive":
        return ("bound", f"{SERVER.split(':')[0]}:{r.ports[0]}")
    if n == "ConnectActive":
        return ("ok", None)
    if n == "Transfer":
        return ("transfer_done", 48)
    if n == "ListLines":
        line = f"-rw-r--r-- 1 0 0 {FILES.get(path, 0)} Mar 14  2023 {path.rsplit('/', 1)[-1]}"
        return ("lines", [line]) if path in FILES else ("not_found", None)
    if n == "Hash":
        return ("hash", (FILES[path], bytes(range(32)))) if path in FILES else ("not_found", None)
    if n in ("SetMtime", "Chmod"):
        return ("ok", None) if path in FILES else ("not_found", None)
    return ("failed", "unknown request")


class Harness:
    def __init__(self, anonymous: bool = False) -> None:
        self.s = ftpkit.ServerSession(CLIENT, SERVER, anonymous=anonymous)
        self.wire = b""
        self.events: list[ftpkit.Message] = []
        self.log: list[ftpkit.Message] = []
        self.drive()

    def drive(self) -> None:
        for _ in range(1000):  # bounded
            while (b := self.s.poll_transmit()) is not None:
                self.wire += b
            while (e := self.s.poll_event()) is not None:
                self.events.append(e)
            r = self.s.poll_request()
            if r is not None:
                self.log.append(r)
                outcome, value = answer(r)
                self.s.complete(r.id, outcome, value)
                continue
            t = self.s.poll_timeout()
            if t is not None and t[0] == "data_connect" and not (self.log and self.log[-1].name == "ConnectActive"):
                if self.s.handle_data_accepted(f"{CLIENT.split(':')[0]}:40000"):
                    continue
            return
        raise AssertionError("session did not settle")

    def codes(self) -> list[int]:
        out = [int(line[:3]) for line in self.wire.decode().split("\r\n") if line[3:4] == " "]
        self.wire = b""
        return out

    def send(self, line: str) -> list[int]:
        self.s.handle_input(line.encode() + b"\r\n")
        self.drive()
        return self.codes()


def state(name: str) -> Harness:
    h = Harness(anonymous=name == "anonymous")
    assert h.codes() == [220]
    setup = {
        "fresh": [],
        "user": ["USER alice"],
        "anonymous": ["USER anonymous", "PASS x"],
        "logged_in": ["USER alice", "PASS secret"],
        "passive": ["USER alice", "PASS secret", "PASV"],
        "epsv_all": ["USER alice", "PASS secret", "EPSV ALL"],
        "rnfr": ["USER alice", "PASS secret", "RNFR readme.txt"],
    }[name]
    for line in setup:
        h.send(line)
    return h


@pytest.mark.parametrize("v", vectors("server"), ids=ids(vectors("server")))
def test_server_vectors(v: dict[str, Any]) -> None:
    h = state(v["expect"]["state"])
    h.s.handle_input(v["input"].encode())
    h.drive()
    assert h.codes() == v["expect"]["codes"]


def test_requests_and_events_are_values() -> None:
    h = Harness()
    h.codes()
    assert h.send("USER alice") == [331]
    assert h.send("PASS secret") == [230]
    auth = h.log[-1]
    assert auth == ftpkit.Message("request", "Authenticate", {"id": auth.id, "user": "alice", "password": "secret"})
    assert repr(auth) == f"Request.Authenticate(id={auth.id}, user='alice', password='secret')"
    assert ftpkit.Message("event", "LoggedIn", {"user": "alice", "access": "read_write", "anonymous": False}) in h.events
    assert h.s.user == ("alice", "read_write") and h.s.cwd == "/"
    assert h.send("CWD subdir") == [250] and h.s.cwd == "/subdir"
    assert h.send("QUIT") == [221]
    assert h.events[-1] == ftpkit.Message("event", "Close", {}) and h.s.is_closed


def test_wrong_answer_and_unknown_id_raise_ftpkit_error() -> None:
    h = Harness()
    with pytest.raises(ftpkit.Error):
        h.s.complete(12345, "ok")
    with pytest.raises(ftpkit.Error):
        h.s.handle_timeout("never")


def test_split_input_gives_the_same_replies() -> None:
    data = b"USER alice\r\nPASS secret\r\nPWD\r\nSIZE readme.txt\r\nQUIT\r\n"
    whole = Harness()
    whole.s.handle_input(data)
    whole.drive()
    want = whole.wire
    for at in range(len(data) + 1):
        h = Harness()
        h.s.handle_input(data[:at])
        h.drive()
        if data[at:]:
            h.s.handle_input(data[at:])
            h.drive()
        assert h.wire == want, at


def test_stat_hash_mfmt_and_site_chmod_are_requests_with_values() -> None:
    h = state("logged_in")
    h.send("NOOP")
    h.s.handle_input(b"STAT readme.txt\r\nHASH readme.txt\r\n")
    h.drive()
    digest = bytes(range(32)).hex()
    assert h.wire.decode() == (
        "213-Status of /readme.txt:\r\n-rw-r--r-- 1 0 0 48 Mar 14  2023 readme.txt\r\n213 End of status.\r\n"
        f"213 SHA-256 0-48 {digest} readme.txt\r\n"
    )
    assert h.log[-1].name == "Hash" and h.log[-1].algorithm == "SHA-256"
    h.wire = b""
    assert h.send("MFMT 20230314150926 readme.txt") == [213]
    assert h.log[-1].name == "SetMtime" and h.log[-1].unix_seconds == 1678806566
    assert h.send("SITE CHMOD 600 readme.txt") == [200]
    assert h.log[-1].name == "Chmod" and h.log[-1].mode == 0o600
    assert h.send("HASH nothing") == [550]
