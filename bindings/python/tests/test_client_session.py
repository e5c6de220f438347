"""The sans-IO ClientSession: scripted replies, then driven by asyncio against ftpkit.Server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import ftpkit
from conftest import PASSWORD, USER


def drain(s: ftpkit.ClientSession) -> tuple[bytes, list[ftpkit.Message]]:
    out, events = b"", []
    while (b := s.poll_transmit()) is not None:
        out += b
    while (e := s.poll_event()) is not None:
        events.append(e)
    return out, events


def test_scripted_login_and_passive_retrieve() -> None:
    s = ftpkit.ClientSession("192.0.2.1:21")
    s.handle_input(b"220 hello\r\n")
    assert drain(s)[1] == [ftpkit.Message("event", "Greeting", {"reply": (220, ["hello"])})]
    login = s.request("login", "alice", "secret")
    assert drain(s)[0] == b"USER alice\r\n"
    s.handle_input(b"331 password\r\n")
    assert drain(s)[0] == b"PASS secret\r\n"
    s.handle_input(b"230 ok\r\n")
    _, ev = drain(s)
    assert ev == [ftpkit.Message("event", "LoggedIn", {"id": login, "reply": (230, ["ok"])})] and s.is_logged_in
    t = s.transfer("retr", "file.bin")
    assert drain(s)[0] == b"EPSV\r\n"
    s.handle_input(b"229 Entering Extended Passive Mode (|||5000|)\r\n")
    _, ev = drain(s)
    assert ev[0].name == "ConnectData" and ev[0].addr == "192.0.2.1:5000" and ev[0].id == t
    s.handle_data(t, "connected")
    assert drain(s)[0] == b"RETR file.bin\r\n"
    s.handle_input(b"150 here it comes\r\n")
    names = [e.name for e in drain(s)[1]]
    assert "DataReady" in names
    s.handle_data(t, "eof")
    s.handle_input(b"226 done\r\n")
    _, ev = drain(s)
    assert ev[-1] == ftpkit.Message("event", "TransferComplete", {"id": t, "reply": (226, ["done"])})


def test_misuse_and_bad_peer_input_raise_ftpkit_error() -> None:
    s = ftpkit.ClientSession("192.0.2.1:21")
    with pytest.raises(ftpkit.Error):
        s.request("command", "RETR a\r\nDELE b")
    with pytest.raises(ftpkit.Error):
        s.transfer("retr")  # no path
    with pytest.raises(ValueError):
        ftpkit.ClientSession("not an address")


async def retrieve(port: int, name: str) -> bytes:
    """A minimal asyncio adapter: the session decides, asyncio moves the bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    s = ftpkit.ClientSession(f"127.0.0.1:{port}")
    data = b""
    pending = [("login", USER, PASSWORD)]
    transfer_id = None
    done = False
    for _ in range(200):  # bounded
        while (b := s.poll_transmit()) is not None:
            writer.write(b)
        await writer.drain()
        while (e := s.poll_event()) is not None:
            if e.name == "Greeting":
                s.request(*pending.pop())
            elif e.name == "LoggedIn":
                transfer_id = s.transfer("retr", name)
            elif e.name == "ConnectData":
                host, p = e.addr.rsplit(":", 1)
                dr, dw = await asyncio.open_connection(host, int(p))
                s.handle_data(e.id, "connected")
            elif e.name == "DataReady":
                data = await dr.read()
                dw.close()
                s.handle_data(e.id, "eof")
            elif e.name == "TransferComplete":
                assert e.id == transfer_id
                s.request("quit")
            elif e.name == "Closed":
                done = True
            elif e.name in ("Failed", "TransferFailed", "LoginFailed"):
                raise AssertionError(e)
        if done:
            break
        while (b := s.poll_transmit()) is not None:
            writer.write(b)
        await writer.drain()
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        if chunk:
            s.handle_input(chunk)
        else:
            s.handle_close()
    writer.close()
    assert done
    return data


def test_asyncio_adapter_against_ftpkit_server(ftpkit_server: ftpkit.Server, tmp_path: Path) -> None:
    want = (tmp_path / "blob.bin").read_bytes()
    assert asyncio.run(retrieve(ftpkit_server.port, "blob.bin")) == want
