"""Every 227/229/257 vector through ftpkit and through ftplib.parse227/parse229/parse257.

Where both accept, the answers must match, except for the few inputs listed in DIFFERENT (and in
docs/python.md) where ftplib's answer is wrong. Inputs ftpkit accepts and ftplib refuses are exactly
ACCEPTED_ONLY_BY_FTPKIT, also listed in docs/python.md. Where ftplib accepts and ftpkit refuses, ftpkit is
stricter on purpose (octets over 255, port 0 or over 65535, control characters in a path, ...): counted, and
every such refusal is a ParseError.
"""

from __future__ import annotations

import ftplib
from typing import Any, Callable

import pytest

import ftpkit
from conftest import ALL_VECTORS, REPO

PEER = ("127.0.0.1", 21)

# ftpkit accepts, ftplib refuses.
ACCEPTED_ONLY_BY_FTPKIT = {
    "229 Entering Extended Passive Mode |||2121|",  # no parentheses: ftplib needs them
    '"/no/code" is cwd',  # reply text without its code
}

# Both accept, with different answers (ftplib's is wrong).
DIFFERENT = {
    # ftplib's regex takes the first six numbers of any line; the tuple is on the final line.
    "227-Passive mode\r\n227-second line 1,2,3,4,5,6\r\n227 Entering Passive Mode (203,0,113,200,8,73)\r\n",
    # ftplib returns the text '192.168.001.010', which is no address for socket.connect on every platform.
    "227 Entering Passive Mode (192,168,001,010,004,001)",
    # ftplib wants ' "' right after the code and gives '' otherwise.
    '257-first line "/multi"\r\n257 end\r\n',
    '257 there is rubbish all over "/this/is/the/path"',
}


def as_ftplib(s: str) -> str:
    # ftplib hands its parsers the reply lines joined with '\n', line ends removed.
    return "\n".join(s.splitlines())


def outcome(f: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", f(*args))
    except (ftplib.Error, ValueError) as e:
        return ("err", e)


def both(kind: str, s: str) -> tuple[tuple[str, Any], tuple[str, Any]]:
    t = as_ftplib(s)
    if kind == "pasv":
        return outcome(ftplib.parse227, t), outcome(lambda x: tuple(ftpkit.parse_pasv(x)), s)
    if kind == "epsv":
        return outcome(ftplib.parse229, t, PEER), outcome(lambda x: (PEER[0], int(ftpkit.parse_epsv(x))), s)
    return outcome(ftplib.parse257, t), outcome(ftpkit.parse_257, s)


CASES = [
    (v.get("as") if v["kind"] == "invalid" else v["kind"], v["input"])
    for v in ALL_VECTORS
    if (v.get("as") if v["kind"] == "invalid" else v["kind"]) in ("pasv", "epsv", "pwd")
]


@pytest.mark.parametrize("kind,s", CASES, ids=[f"{k}:{s[:40]!r}" for k, s in CASES])
def test_against_ftplib(kind: str, s: str) -> None:
    (a, av), (b, bv) = both(kind, s)
    if b == "err":
        assert isinstance(bv, ftpkit.ParseError), bv
    if a == "ok" and b == "ok":
        assert (av == bv) == (s not in DIFFERENT), (s, av, bv)
    if a == "err" and b == "ok":
        assert s in ACCEPTED_ONLY_BY_FTPKIT, (s, bv)


def test_lists_are_exact_and_documented() -> None:
    only, diff = set(), set()
    for kind, s in CASES:
        (a, av), (b, bv) = both(kind, s)
        if a == "err" and b == "ok":
            only.add(s)
        if a == "ok" and b == "ok" and av != bv:
            diff.add(s)
    assert only == ACCEPTED_ONLY_BY_FTPKIT
    assert diff == DIFFERENT
    doc = (REPO / "docs" / "python.md").read_text(encoding="utf-8")
    for s in only | diff:
        shown = s.replace("\r\n", "\\r\\n")
        assert shown in doc, f"docs/python.md does not list {shown!r}"
