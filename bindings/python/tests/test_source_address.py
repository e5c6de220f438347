"""``source_address``: ftpkit.FTP and ftplib.FTP from 127.0.0.2, against pyftpdlib, which reports the peer of each
control connection (``on_connect``) and refuses data connections from another address than the control
connection's (passive) or to another one (active, PORT/EPRT), as configured in conftest."""

from __future__ import annotations

import ftplib
from typing import Any

import pytest

import ftpkit
from conftest import PASSWORD, USER


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_control_and_data_connections_come_from_the_source_address(pyftpdlib_server: Any, passive: bool) -> None:
    peers: list[str] = []
    handler = pyftpdlib_server.server.handler
    handler.on_connect = lambda self: peers.append(self.remote_ip)
    results = []
    for cls in (ftpkit.FTP, ftplib.FTP):
        f = cls(timeout=10, source_address=("127.0.0.2", 0))
        f.connect(pyftpdlib_server.host, pyftpdlib_server.port)
        f.set_pasv(passive)
        f.login(USER, PASSWORD)
        got = bytearray()
        results.append([f.retrbinary("RETR blob.bin", got.extend), len(got), sorted(f.nlst("folder")), f.quit()])
    assert peers == ["127.0.0.2", "127.0.0.2"]
    assert results[0] == results[1]
    assert results[0][1] == 256 * 4096 + 4


def test_a_source_address_the_machine_does_not_have_raises_oserror_before_sending(pyftpdlib_server: Any) -> None:
    for cls in (ftpkit.FTP, ftplib.FTP):
        f = cls(timeout=5, source_address=("192.0.2.1", 0))
        with pytest.raises(OSError):
            f.connect(pyftpdlib_server.host, pyftpdlib_server.port)


def test_source_address_given_to_connect(ftpkit_server: ftpkit.Server) -> None:
    f = ftpkit.FTP(timeout=10)
    f.connect(ftpkit_server.host, ftpkit_server.port, source_address=("127.0.0.2", 0))
    f.login(USER, PASSWORD)
    f.set_pasv(False)
    assert "readme.txt" in f.nlst()
    f.quit()
