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


class HostPort(tuple):  # type: ignore[type-arg]
    """``(ip, port)``, with ``span``: where the tuple stood in the input (``input[span[0]:span[1]]``).

    Compares equal to the plain ``(ip, port)`` tuple. ``af`` (EPRT 1/2, LPRT 4/6) and ``delimiter`` (EPRT) are
    set when the form has them.
    """

    span: tuple[int, int]
    af: Optional[int]
    delimiter: Optional[str]

    def __new__(
        cls, ip: str, port: int, span: tuple[int, int], af: Optional[int] = None, delimiter: Optional[str] = None
    ) -> "HostPort":
        self = super().__new__(cls, (ip, port))
        self.span = span
        self.af = af
        self.delimiter = delimiter
        return self

    @property
    def ip(self) -> str:
        return str(self[0])

    @property
    def port(self) -> int:
        return int(self[1])


class Port(int):
    """A 229 port, with ``span`` (where ``|||port|`` stood in the reply) and the ``delimiter`` used."""

    span: tuple[int, int]
    delimiter: str

    def __new__(cls, port: int, span: tuple[int, int], delimiter: str = "|") -> "Port":
        self = super().__new__(cls, port)
        self.span = span
        self.delimiter = delimiter
        return self


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


def parse_pasv(text: _Text, *, strict: bool = False) -> HostPort:
    """The address of a 227 reply, ``(ip, port)``: the literal address, even 0.0.0.0 or a private one.

    Tolerant (the default) finds the six numbers wherever they stand (RFC 1123 §4.1.2.6); ``strict`` wants them
    in parentheses. A multi-line 227 is read on its final line.
    """
    ip, port, span = _native.pasv(_bytes(text), strict)
    return HostPort(ip, port, span)


def parse_epsv(text: _Text) -> Port:
    """The port of a 229 reply (``(|||port|)``, any one printable non-digit delimiter)."""
    port, delim, span = _native.epsv(_bytes(text))
    return Port(port, span, delim)


def parse_port(arg: str, *, strict: bool = False) -> HostPort:
    """A PORT argument ``h1,h2,h3,h4,p1,p2``."""
    ip, port, span = _native.port_arg(arg, strict)
    return HostPort(ip, port, span)


def parse_eprt(arg: str) -> HostPort:
    """An EPRT argument ``|af|address|port|`` (``af`` and ``delimiter`` set on the result)."""
    af, ip, port, delim, span = _native.eprt_arg(arg)
    return HostPort(ip, port, span, af, delim)


def parse_lprt(arg: str) -> HostPort:
    """An LPRT argument (RFC 1639)."""
    af, ip, port, span = _native.lprt_arg(arg)
    return HostPort(ip, port, span, af)


def parse_lpsv(text: _Text, *, strict: bool = False) -> HostPort:
    """The address of a 228 reply (RFC 1639)."""
    af, ip, port, span = _native.lpsv(_bytes(text), strict)
    return HostPort(ip, port, span, af)


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


def parse_257(text: str) -> str:
    """The path of a 257 reply (``""`` un-doubled). Control characters in the path are refused."""
    return str(_native.parse_257(text))


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
