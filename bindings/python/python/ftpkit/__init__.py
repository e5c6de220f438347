"""ftpkit: the FTP protocol for Python, on ftpkit's Rust core.

- ``ftpkit.FTP``: ``ftplib.FTP``'s interface (change one import), the protocol run in Rust with the GIL released.
- ``ftpkit.FTP_TLS``: ``ftplib.FTP_TLS``'s, FTPS on rustls, each data connection resuming the control
  connection's TLS session (which servers requiring reuse insist on, and ftplib does not do).
- ``ftpkit.Server``: an FTP server on a background thread, for test suites (a pytest fixture in place of
  pyftpdlib).
- Parsers and formatters: ``parse_pasv``, ``parse_epsv``, ``parse_port``, ``parse_eprt``, ``parse_257``,
  ``parse_reply``, ``parse_command``, ``parse_feat``, ``parse_mlsd_line``, ``parse_list_line`` and the matching
  ``format_*``; bad input raises ``ftpkit.ParseError`` (a ``ValueError``) naming the field and why.
- ``decode_transcript``, ``explain``, ``timeline``, ``firewall_rules``: the core's analysis of FTP sessions.
- ``ClientSession`` and ``ServerSession``: the sans-IO sessions, for asyncio/trio users who do their own IO.
"""

from __future__ import annotations

from ._analyze import (
    DataConnection,
    Timeline,
    TranscriptItem,
    decode_transcript,
    explain,
    explain_firewall,
    firewall_rules,
    render_firewall,
    render_timeline,
    timeline,
)
from ._errors import Error, ParseError, Unsupported, all_errors, error_perm, error_proto, error_reply, error_temp
from ._ftp import B_CRLF, CRLF, FTP, FTP_PORT, MSG_OOB, HashResult
from ._native import __version__
from ._parse import (
    Command,
    Entry,
    HostPort,
    Port,
    Reply,
    format_257,
    format_command,
    format_eprt,
    format_epsv,
    format_feat,
    format_list_line,
    format_lprt,
    format_mlsd_line,
    format_pasv,
    format_port,
    format_reply,
    parse_257,
    parse_command,
    parse_eprt,
    parse_epsv,
    parse_feat,
    parse_list_line,
    parse_lprt,
    parse_lpsv,
    parse_mlsd_line,
    parse_pasv,
    parse_port,
    parse_reply,
)
from ._server import Server
from ._tls import FTP_TLS
from ._session import ClientSession, Message, ServerSession

__all__ = [
    "__version__",
    "FTP", "FTP_TLS", "FTP_PORT", "MSG_OOB", "CRLF", "B_CRLF", "HashResult",
    "Server", "ServerSession", "ClientSession", "Message",
    "Error", "ParseError", "error_reply", "error_temp", "error_perm", "error_proto", "Unsupported", "all_errors",
    "Reply", "Command", "HostPort", "Port", "Entry",
    "parse_reply", "format_reply", "parse_command", "format_command",
    "parse_pasv", "parse_epsv", "parse_port", "parse_eprt", "parse_lprt", "parse_lpsv",
    "format_pasv", "format_epsv", "format_port", "format_eprt", "format_lprt",
    "parse_257", "format_257", "parse_feat", "format_feat",
    "parse_mlsd_line", "format_mlsd_line", "parse_list_line", "format_list_line",
    "TranscriptItem", "Timeline", "DataConnection",
    "decode_transcript", "explain", "timeline", "render_timeline",
    "firewall_rules", "render_firewall", "explain_firewall",
]
