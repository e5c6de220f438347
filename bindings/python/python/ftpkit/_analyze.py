"""Transcripts, explanations, data-connection timelines and firewall rules, from the core."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from . import _native

__all__ = [
    "TranscriptItem", "Timeline", "DataConnection",
    "decode_transcript", "explain", "timeline", "render_timeline",
    "firewall_rules", "render_firewall", "explain_firewall",
]


@dataclass(frozen=True)
class TranscriptItem:
    """One item of an ``ftp -d`` transcript: a command (``verb``/``arg``), a reply (``code``/``text``/``path``),
    or a line that could not be decoded (``error``). ``endpoint`` is the data address a PORT/EPRT/227/229 names
    (``{"ip", "port", "form", "active", "span"}``); ``explanation`` is the core's one-line explanation."""

    kind: str
    line: int
    input: str
    explanation: str
    verb: Optional[str] = None
    arg: Optional[str] = None
    code: Optional[int] = None
    text: list[str] = field(default_factory=list)
    path: Optional[str] = None
    endpoint: Optional[dict[str, Any]] = None
    error: Optional[str] = None
    error_kind: Optional[str] = None


def decode_transcript(text: str) -> list[TranscriptItem]:
    """Every command and reply of a transcript (``---> `` marks commands, as ``ftp -d`` prints them)."""
    return [TranscriptItem(**d) for d in _native.transcript_decode(text)]


def explain(text: str) -> str:
    """Each item of a transcript with the core's explanation, one ``line N: input`` / ``    explanation`` pair
    an item."""
    out = []
    for item in decode_transcript(text):
        out.append(f"line {item.line}: {item.input}")
        out.append(f"    {item.explanation}")
    return "\n".join(out) + ("\n" if out else "")


@dataclass(frozen=True)
class DataConnection:
    """One data connection of a transcript and the seed's four numbered steps (``(number, from, to, what)``)."""

    index: int
    mode: str
    endpoint: dict[str, Any]
    announced_at: int
    command: Optional[str]
    command_at: Optional[int]
    outcome: Optional[int]
    steps: list[tuple[int, str, str, str]]
    warnings: list[tuple[int, str]]


@dataclass(frozen=True)
class Timeline:
    """The data connections of a transcript, the warnings (line, text), and the core's text rendering."""

    connections: list[DataConnection]
    warnings: list[tuple[int, str]]
    text: str

    def __str__(self) -> str:
        return self.text


def timeline(
    text: str, *, client: Optional[str] = None, server: Optional[str] = None, control_port: Optional[int] = None
) -> Timeline:
    """The data connections of a transcript, step by step; addresses filled in where given."""
    rendered, conns, warnings = _native.timeline_build(text, client, server, control_port)
    return Timeline([DataConnection(**c) for c in conns], list(warnings), rendered)


def render_timeline(text: str, **context: Any) -> str:
    """``timeline(text, ...).text``."""
    return timeline(text, **context).text


_Ports = Union[int, str, tuple[int, int], None]


def _ports(v: _Ports) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, tuple):
        return f"{v[0]}-{v[1]}"
    return str(v)


def render_firewall(
    mode: str,
    side: str,
    format: str = "text",
    *,
    control: _Ports = None,
    active_source: _Ports = None,
    passive: _Ports = None,
    client: _Ports = None,
    server_host: Optional[str] = None,
    client_host: Optional[str] = None,
) -> str:
    """The firewall rules FTP needs in ``mode`` (``active``, ``passive`` or ``both``) at ``side`` (``server`` or
    ``client``), rendered as ``text``, ``json``, ``nft`` or ``iptables``. Ports are a number, ``"lo-hi"`` or a
    ``(lo, hi)`` tuple."""
    return str(
        _native.firewall_rules(
            mode, side, format, _ports(control), _ports(active_source), _ports(passive), _ports(client),
            server_host, client_host,
        )
    )


def firewall_rules(mode: str, side: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The rules as dicts (``side``, ``direction``, ``from``, ``to``, ``purpose``, ``initiator``, ``reply``,
    ``description``); the arguments are :func:`render_firewall`'s."""
    rules: list[dict[str, Any]] = json.loads(render_firewall(mode, side, "json", **kwargs))
    return rules


def explain_firewall(mode: str, side: str) -> dict[str, Any]:
    """Which firewall must accept the data connection in ``mode`` from ``side``'s view, and how NAT interferes."""
    return dict(_native.firewall_explain(mode, side))
