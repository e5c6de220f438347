"""``FTP(encoding=...)`` chooses the core's encoding of names: against pyftpdlib serving Latin-1 names,
``ftpkit.FTP(encoding='latin-1')`` and ``ftplib.FTP(encoding='latin-1')`` list, download, create and rename the
same names (the server finds them only when their bytes on the wire are Latin-1) and raise the same classes."""

from __future__ import annotations

import ftplib
import hashlib
import ssl
from pathlib import Path
from typing import Any

import pytest

import ftpkit
from conftest import PASSWORD, USER, Certs, fill, run_pyftpdlib, run_pyftpdlib_tls

NAME = "café-año.bin"
DIR = "dossier-ñ"
CONTENT = bytes(range(256)) * 64 + "é".encode("latin-1")


def latin1_tree(root: Path) -> None:
    fill(root)
    (root / NAME).write_bytes(CONTENT)
    (root / DIR).mkdir()
    (root / DIR / "niño.txt").write_bytes(b"ni\xf1o\n")


def session(ftp: Any, host: str, port: int, tag: str) -> list[Any]:
    """A session with Latin-1 names; returns what each step gives."""
    out: list[Any] = []
    out.append(ftp.connect(host, port, timeout=20)[:3])
    ftp.login(USER, PASSWORD)
    out.append(sorted(ftp.nlst()))
    out.append(sorted((n, f["type"], f.get("size")) for n, f in ftp.mlsd()))
    blob = bytearray()
    out.append(ftp.retrbinary("RETR " + NAME, blob.extend))
    out.append(hashlib.sha256(bytes(blob)).hexdigest())
    out.append(ftp.size(NAME))
    out.append(ftp.cwd(DIR))
    out.append(ftp.pwd())
    out.append(ftp.nlst())
    lines: list[str] = []
    ftp.retrlines("LIST", lines.append)
    out.append([line.split()[-1] for line in lines])
    out.append(ftp.cwd(".."))
    out.append(ftp.mkd("nuevo-" + tag + "-ñ"))
    out.append(ftp.rename("nuevo-" + tag + "-ñ", "señal-" + tag))
    out.append(ftp.rmd("señal-" + tag))
    out.append(ftp.quit())
    return out


def test_latin1_names_as_ftplib(tmp_path: Path) -> None:
    latin1_tree(tmp_path)
    with run_pyftpdlib(tmp_path, encoding="latin1") as srv:
        theirs = session(ftplib.FTP(encoding="latin-1"), srv.host, srv.port, "x")
        ours = session(ftpkit.FTP(encoding="latin-1"), srv.host, srv.port, "x")
    assert ours == theirs
    # What the server saw: the names decoded from Latin-1 bytes are the names given (a UTF-8 é would be 'Ã©').
    assert ours[1] == sorted(["blob.bin", "folder", "readme.txt", "upload", NAME, DIR])
    assert ours[4] == hashlib.sha256(CONTENT).hexdigest()
    assert ours[8] == ["niño.txt"]
    assert ours[11] == "/nuevo-x-ñ"
    assert not (tmp_path / "señal-x").exists()


def test_ftp_tls_latin1_names_as_ftplib(tmp_path: Path, certs: Certs) -> None:
    latin1_tree(tmp_path)
    results = []
    with run_pyftpdlib_tls(tmp_path, certs, encoding="latin1") as srv:
        for cls in (ftplib.FTP_TLS, ftpkit.FTP_TLS):
            ctx = ssl.create_default_context(cafile=str(certs.ca))
            ftp: Any = cls(context=ctx, timeout=20, encoding="latin-1")
            ftp.connect(srv.host, srv.port)
            ftp.login(USER, PASSWORD)
            ftp.prot_p()
            blob = bytearray()
            ftp.retrbinary("RETR " + NAME, blob.extend)
            results.append((sorted(ftp.nlst()), bytes(blob), ftp.cwd(DIR), ftp.nlst()))
            with pytest.raises(UnicodeEncodeError):
                ftp.cwd("€")
            ftp.quit()
    assert results[0] == results[1]
    assert NAME in results[1][0] and results[1][1] == CONTENT and results[1][3] == ["niño.txt"]


@pytest.mark.parametrize("name", ["iso-8859-1", "ISO8859-1", "latin1", "L1"])
def test_every_name_of_latin1_is_latin1(tmp_path: Path, name: str) -> None:
    latin1_tree(tmp_path)
    with run_pyftpdlib(tmp_path, encoding="latin1") as srv:
        ftp = ftpkit.FTP(encoding=name)
        ftp.connect(srv.host, srv.port, timeout=20)
        ftp.login(USER, PASSWORD)
        assert NAME in ftp.nlst()
        ftp.quit()


def test_encoding_attribute_set_before_connect(tmp_path: Path) -> None:
    latin1_tree(tmp_path)
    with run_pyftpdlib(tmp_path, encoding="latin1") as srv:
        ftp = ftpkit.FTP()
        ftp.encoding = "latin-1"
        ftp.connect(srv.host, srv.port, timeout=20)
        ftp.login(USER, PASSWORD)
        assert ftp.size(NAME) == len(CONTENT)
        ftp.quit()


def test_unencodable_name_raises_as_ftplib_and_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin1_tree(tmp_path)
    with run_pyftpdlib(tmp_path, encoding="latin1") as srv:
        raised: dict[str, list[type[BaseException]]] = {}
        for cls in (ftplib.FTP, ftpkit.FTP):
            ftp = cls(encoding="latin-1")
            ftp.connect(srv.host, srv.port, timeout=20)
            ftp.login(USER, PASSWORD)
            ftp.set_debuglevel(1)
            capsys.readouterr()
            classes: list[type[BaseException]] = []
            for call in (
                lambda: ftp.cwd("€"),
                lambda: ftp.mkd("prix-€"),
                lambda: ftp.rename("€", NAME),
                lambda: ftp.retrbinary("RETR €.bin", lambda b: None),
                lambda: ftp.nlst("€"),
            ):
                with pytest.raises(UnicodeEncodeError) as e:
                    call()
                assert e.value.encoding == "latin-1"
                classes.append(type(e.value))
            raised[cls.__name__] = classes
            trace = capsys.readouterr().out
            if cls is ftpkit.FTP:
                # Nothing was sent (ftplib opens the data connection, PASV, before it encodes RETR or NLST, so
                # only ftpkit's trace is checked), and the connection goes on.
                assert "---> " not in trace
            ftp.set_debuglevel(0)
            assert ftp.pwd() == "/"
            ftp.quit()
    assert raised["FTP"] == [UnicodeEncodeError] * 5


def test_utf8_client_on_latin1_names_raises_unicodedecodeerror_as_ftplib(tmp_path: Path) -> None:
    latin1_tree(tmp_path)
    with run_pyftpdlib(tmp_path, encoding="latin1") as srv:
        for cls in (ftplib.FTP, ftpkit.FTP):
            ftp = cls()
            ftp.connect(srv.host, srv.port, timeout=20)
            ftp.login(USER, PASSWORD)
            with pytest.raises(UnicodeDecodeError) as e:
                ftp.nlst()
            assert e.value.encoding == "utf-8"
            ftp.close()


@pytest.mark.parametrize("name", ["cp1252", "utf-16", "ascii", "no-such-codec"])
def test_other_encodings_raise_valueerror(name: str) -> None:
    for cls in (ftpkit.FTP, ftpkit.FTP_TLS):
        with pytest.raises(ValueError, match="'utf-8' or 'latin-1'"):
            cls(encoding=name)


def test_unsupported_encoding_attribute_raises_on_connect(pyftpdlib_server: Any) -> None:
    ftp = ftpkit.FTP()
    ftp.encoding = "cp1252"
    with pytest.raises(ValueError, match="'utf-8' or 'latin-1'"):
        ftp.connect(pyftpdlib_server.host, pyftpdlib_server.port, timeout=20)
    assert ftp._client is None


def test_utf8_default_sends_opts_utf8_on_and_keeps_utf8_names(
    pyftpdlib_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "naïve-€.txt").write_bytes(b"x")
    ftp = ftpkit.FTP()
    assert ftp.encoding == "utf-8"
    ftp.set_debuglevel(1)
    ftp.connect(pyftpdlib_server.host, pyftpdlib_server.port, timeout=20)
    ftp.login(USER, PASSWORD)
    trace = capsys.readouterr().out
    assert " UTF8" in trace  # pyftpdlib's FEAT lists it
    assert "---> OPTS UTF8 ON" in trace
    ours = sorted(ftp.nlst())
    ftp.quit()
    with ftplib.FTP() as theirs_ftp:
        theirs_ftp.connect(pyftpdlib_server.host, pyftpdlib_server.port, timeout=20)
        theirs_ftp.login(USER, PASSWORD)
        theirs = sorted(theirs_ftp.nlst())
    assert ours == theirs and "naïve-€.txt" in ours


def test_latin1_client_sends_no_opts_utf8(pyftpdlib_server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ftp = ftpkit.FTP(encoding="latin-1")
    ftp.set_debuglevel(1)
    ftp.connect(pyftpdlib_server.host, pyftpdlib_server.port, timeout=20)
    ftp.login(USER, PASSWORD)
    trace = capsys.readouterr().out
    assert " UTF8" in trace and "---> FEAT" in trace
    assert "OPTS UTF8" not in trace
    ftp.quit()
