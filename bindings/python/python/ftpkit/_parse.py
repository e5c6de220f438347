"""Parsers and formatters: thin maps of the core (``ftpkit-proto``) functions."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Optional, Union

from . import _native

__all__ = [
    "Reply", "Command", "HostPort", "Port", "Entry",
    "parse_reply", "format_reply", "parse_command", "format_command",
    "parse_pasv", "parse_epsv", "parse_port", "parse_eprt", "parse_lprt", "parse_lpsv",
    "format_pasv", "format_epsv", "format_port", "format_eprt", "format_lprt",
    "parse_257", "format_257", "parse_feat", "format_feat",
    "parse_mlsd_line", "format_mlsd_line", "parse_list_line", "format_list_line",
]

_Text = Union[str, bytes]


def _bytes(data: _Text) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


@dataclass(frozen=True)
class Reply:
    """A server reply: its code, its raw lines and its text lines (the ``NNN-``/``NNN `` prefixes removed)."""

    code: int
    lines: list[str]
    text: list[str]
    consumed: int = 0

    def __str__(self) -> str:
        """The reply as ftplib shows it: the raw lines joined with ``\\n``."""
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Command:
    """A command line: the verb, upper-cased, and the argument as sent (``None`` when there is none)."""

    verb: str
    arg: Optional[str] = None


#: ``(ip, port)`` and where the tuple stood (``span``); see ``help(ftpkit.HostPort)``. Native, for speed.
HostPort = _native.HostPort
#: A 229 port with ``span`` and ``delimiter``; behaves as an ``int``. Native, for speed.
Port = _native.Port


def parse_reply(
    data: _Text,
    *,
    strict: bool = True,
    encoding: str = "utf-8",
    max_line: Optional[int] = None,
    max_reply_lines: Optional[int] = None,
    max_reply_bytes: Optional[int] = None,
) -> Reply:
    """The first whole reply in ``data`` (``\\r\\n`` or bare ``\\n`` line ends; Telnet commands stripped).

    ``strict`` (RFC 959): only ``NNN<SP>`` with the opening code closes a multi-line reply; otherwise any
    ``NNN<SP>`` line does (curl's rule). The limits default to the core's (8192-byte lines, as ftplib; 16384
    lines; 1 MiB). Raises ParseError for a malformed, oversized or incomplete reply.
    """
    code, lines, text, consumed = _native.reply_decode(
        _bytes(data), strict, max_line, max_reply_lines, max_reply_bytes
    )

    def dec(b: bytes) -> str:
        return b.decode(encoding, "surrogateescape")

    return Reply(code, [dec(x) for x in lines], [dec(x) for x in text], consumed)


def format_reply(code: int, text: Union[str, list[str]]) -> bytes:
    """``NNN text\\r\\n`` (several lines: ``NNN-`` before all but the last). CR, LF or NUL in the text is refused."""
    lines = text.split("\n") if isinstance(text, str) else list(text)
    return bytes(_native.reply_format(code, lines))


def parse_command(line: _Text) -> Command:
    """A command line (one trailing line end allowed). Raises ParseError for an empty line, a bad verb, a CR,
    LF or NUL inside, a line that is not UTF-8."""
    verb, arg = _native.command_decode(_bytes(line))
    return Command(verb, arg)


def format_command(verb: str, arg: Optional[str] = None) -> bytes:
    """``VERB[ arg]\\r\\n``; CR, LF or NUL anywhere raises ParseError (command injection)."""
    return bytes(_native.command_format(verb, arg))


# The host-port parsers and parse_257 are the native functions themselves: no Python layer in the hot path
# (parsing 227 replies is what ftplib users call most often, once per transfer).
parse_pasv = _native.parse_pasv
parse_epsv = _native.parse_epsv
parse_port = _native.parse_port
parse_eprt = _native.parse_eprt
parse_lprt = _native.parse_lprt
parse_lpsv = _native.parse_lpsv
parse_257 = _native.parse_257


def format_port(ip: str, port: int) -> str:
    """The PORT argument for an IPv4 address."""
    return str(_native.format_port(ip, port))


def format_pasv(ip: str, port: int) -> str:
    """A 227 reply line (without line end) for an IPv4 address."""
    return str(_native.format_pasv(ip, port))


def format_eprt(ip: str, port: int) -> str:
    """The EPRT argument ``|1|a.b.c.d|port|`` or ``|2|v6|port|``."""
    return str(_native.format_eprt(ip, port))


def format_epsv(port: int) -> str:
    """A 229 reply line (without line end)."""
    return str(_native.format_epsv(port))


def format_lprt(ip: str, port: int) -> str:
    """The LPRT argument."""
    return str(_native.format_lprt(ip, port))


def format_257(path: str, text: str = "") -> str:
    """``257 "path" text`` with quotes doubled."""
    return str(_native.format_257(path, text))


def parse_feat(text: str) -> dict[str, str]:
    """The features of a FEAT reply's text (its lines without the codes, first and last line included, as
    ``Reply.text`` joined with ``\n``): ``{NAME: params}``."""
    return dict(_native.feat_parse(text))


def format_feat(features: dict[str, str]) -> str:
    """The text lines of a FEAT reply for these features."""
    return str(_native.feat_format(list(features.items())))


def _time(t: Optional[tuple[int, int]]) -> Optional[_dt.datetime]:
    if t is None:
        return None
    secs, nanos = t
    return _dt.datetime.fromtimestamp(secs, tz=_dt.timezone.utc).replace(microsecond=nanos // 1000)


@dataclass(frozen=True)
class Entry:
    """One listing entry (MLSD, Unix ``ls -l`` or DOS). Fields a form does not carry are ``None``.

    ``modified``/``created`` are aware datetimes labelled UTC: exact for MLSD; for LIST lines they carry the
    server's local clock time.
    """

    name: str
    kind: str
    format: str
    raw: str
    size: Optional[int] = None
    modified: Optional[_dt.datetime] = None
    created: Optional[_dt.datetime] = None
    link_target: Optional[str] = None
    permissions: Optional[str] = None
    unix_mode: Optional[int] = None
    links: Optional[int] = None
    owner: Optional[str] = None
    group: Optional[str] = None
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def is_dir(self) -> bool:
        return self.kind in ("dir", "cdir", "pdir")


def _entry(d: dict) -> Entry:  # type: ignore[type-arg]
    d = dict(d)
    d["modified"] = _time(d["modified"])
    d["created"] = _time(d["created"])
    d["facts"] = dict(d["facts"])
    return Entry(**d)


def parse_mlsd_line(line: str) -> Entry:
    """An MLSD/MLST entry ``facts; name``; fact names lower-cased."""
    return _entry(_native.mlsd_line(line))


def _ymd(d: Optional[_dt.date]) -> tuple[int, int, int]:
    d = d or _dt.date.today()
    return (d.year, d.month, d.day)


def parse_list_line(line: str, reference_date: Optional[_dt.date] = None) -> Optional[Entry]:
    """A LIST line (Unix or DOS), or ``None`` for a line that is no entry (``total 20``, garbage).

    ``reference_date`` (default today) decides the year of ``Mon DD HH:MM`` dates.
    """
    d = _native.list_line(line, _ymd(reference_date))
    return None if d is None else _entry(d)


def format_mlsd_line(facts: dict[str, str], name: str) -> str:
    """``fact=value;...; name``; refuses what would read back differently."""
    return str(_native.mlsd_format(list(facts.items()), name))


def format_list_line(entry: Entry, reference_date: Optional[_dt.date] = None) -> str:
    """An ``ls -l`` line for an entry (the date form depends on ``reference_date``, default today)."""
    mod = None
    if entry.modified is not None:
        m = entry.modified
        if m.tzinfo is None:
            m = m.replace(tzinfo=_dt.timezone.utc)
        mod = (int(m.timestamp()), m.microsecond * 1000)
    return str(
        _native.list_format(
            entry.name, entry.kind, _ymd(reference_date), entry.size, mod, entry.permissions, entry.links,
            entry.owner, entry.group, entry.link_target,
        )
    )
