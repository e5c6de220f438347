"""``ftpkit.FTP_TLS``: ``ftplib.FTP_TLS``'s interface on ftpkit's Rust FTPS client (rustls).

Change ``from ftplib import FTP_TLS`` to ``from ftpkit import FTP_TLS``. Every TLS step runs in Rust
(``ftpkit::blocking::Client`` with the core's client driver in its step-by-step FTPS mode); this module only
maps ftplib's arguments onto it.
"""

from __future__ import annotations

import os
import socket
import ssl

from typing import Any, Optional, Union

from ._errors import Unsupported
from ._ftp import FTP

__all__ = ["FTP_TLS"]

_PathLike = Union[str, "os.PathLike[str]"]


class FTP_TLS(FTP):
    """An FTPS client (explicit TLS, RFC 4217) with ``ftplib.FTP_TLS``'s interface, on ftpkit's Rust client.

    ``FTP_TLS(host='', user='', passwd='', acct='', keyfile=None, certfile=None, context=None, timeout=None,
    source_address=None, *, encoding='utf-8', cafile=None)``: as ``ftplib.FTP_TLS``. ``login()`` sends
    ``AUTH TLS`` first (``secure=False``: it does not); ``prot_p()`` protects the data connections
    (``PBSZ 0`` + ``PROT P``), ``prot_c()`` clears them again, ``ccc()`` ends TLS on the control connection
    (the data connections keep the protection ``PROT`` set), ``auth()`` is ``AUTH TLS`` alone. ``encoding`` is
    ``FTP``'s: ``'utf-8'`` or ``'latin-1'`` (another codec raises ``ValueError``; a name that does not fit,
    ``UnicodeEncodeError``, as ftplib's).

    **Every protected data connection resumes the control connection's TLS session** (TLS 1.2 session or
    TLS 1.3 ticket, kept per control connection), so servers that require it (vsftpd with
    ``require_ssl_reuse=YES``, FileZilla Server, ftpkit's own server) accept it. ``ftplib.FTP_TLS`` does not
    resume, and such servers refuse its data connections with ``522``.

    Certificates — where ftpkit differs on purpose, and what of ``context`` is used:

    - **The server's certificate is verified by default**, against the name given as ``host``
      (``ftplib.FTP_TLS`` without ``context`` verifies nothing). Without ``context`` and ``cafile`` the roots
      are Mozilla's, compiled into ftpkit.
    - ``cafile=PATH`` (ftpkit's own argument): trust only the CA certificates in this PEM file.
    - ``context`` (an ``ssl.SSLContext``) is read, not used to run TLS (rustls does): ``verify_mode ==
      CERT_NONE`` accepts any certificate; ``check_hostname = False`` verifies the chain but not the name;
      the CA certificates loaded into it (``load_verify_locations(cafile=...)``, or the system's store file
      that ``create_default_context()`` loads) are the roots, as ``get_ca_certs(binary_form=True)`` lists
      them (certificates of a ``capath`` folder, which OpenSSL loads only on demand, are not seen: use
      ``cafile``); ``maximum_version = TLSVersion.TLSv1_2`` means TLS 1.2 only. Not mapped: its client
      certificate (``load_cert_chain`` cannot be read back: pass ``certfile``/``keyfile``), cipher lists,
      ``options``, ALPN, ``minimum_version = TLSv1_3`` (raises ``ValueError``), SNI callbacks.
    - ``certfile`` (and ``keyfile``, when the key is in another PEM file): a client certificate, sent when
      the server asks for one. As in ftplib, not together with ``context``.

    ``transfercmd``/``ntransfercmd`` under ``PROT P`` raise :class:`ftpkit.Unsupported` (a
    ``NotImplementedError``) before anything is sent: ftplib returns an ``ssl.SSLSocket`` there, but the
    data connection's TLS runs in rustls, resuming a session Python's ``ssl`` module never saw, and a
    look-alike object would break callers that use the ``SSLSocket`` API (``unwrap()``, ``session``,
    ``getpeercert()``) or its ``fileno()``. Use ``retrbinary``/``retrlines``/``storbinary``/``storlines``
    (or ``prot_c()`` first). Under ``PROT C`` they return a plain socket, as ftplib's.

    TLS errors are Python's own classes: ``ssl.SSLCertVerificationError`` for a certificate that fails
    verification, ``ssl.SSLError`` for another TLS failure (both ``OSError``, in ``all_errors``).
    """

    def __init__(
        self,
        host: str = "",
        user: str = "",
        passwd: str = "",
        acct: str = "",
        keyfile: Optional[_PathLike] = None,
        certfile: Optional[_PathLike] = None,
        context: Optional[ssl.SSLContext] = None,
        timeout: Optional[float] = None,
        source_address: Optional[tuple[str, int]] = None,
        *,
        encoding: str = "utf-8",
        cafile: Optional[_PathLike] = None,
    ) -> None:
        if context is not None and (keyfile is not None or certfile is not None):
            raise ValueError("context and keyfile/certfile arguments are mutually exclusive")
        if keyfile is not None and certfile is None:
            raise ValueError("keyfile needs certfile")
        self.keyfile = keyfile
        self.certfile = certfile
        self.context = context
        self.cafile = cafile
        # Checked now, so that a context that cannot be mapped fails before any connection is made.
        _context_settings(context)
        super().__init__(host, user, passwd, acct, timeout, source_address, encoding=encoding)

    def _tls_settings(self) -> Optional[dict[str, Any]]:
        settings = _context_settings(self.context)
        settings["server_name"] = self.host or None
        settings["ca_file"] = os.fspath(self.cafile) if self.cafile is not None else None
        if self.certfile is not None:
            cert = os.fspath(self.certfile)
            settings["client_cert"] = (cert, os.fspath(self.keyfile) if self.keyfile is not None else cert)
        return settings

    def login(self, user: str = "", passwd: str = "", acct: str = "", secure: bool = True) -> str:
        """``AUTH TLS`` (unless TLS already runs, or ``secure=False``), then the login as :meth:`FTP.login`;
        returns the final login reply."""
        if secure and not self._c().control_protected:
            self.auth()
        return super().login(user, passwd, acct)

    def auth(self) -> str:
        """``AUTH TLS`` and the TLS handshake on the control connection; returns the ``234`` reply. Raises
        ``ValueError`` when TLS already runs, as ftplib's."""
        if self._c().control_protected:
            raise ValueError("Already using TLS")
        _, replies = self._call("auth")
        return _reply(replies)

    def ccc(self) -> str:
        """``CCC``: TLS on the control connection ends (the data connections keep their protection); returns
        the reply. Raises ``ValueError`` without TLS, as ftplib's."""
        if not self._c().control_protected:
            raise ValueError("not using TLS")
        _, replies = self._call("ccc")
        # CCC's own reply: the clear NOOP the client sends right after it (to resync a firewall's FTP helper) is
        # answered too.
        return _reply([r for r in replies if r[0] == "CCC"])

    def prot_p(self) -> str:
        """``PBSZ 0`` then ``PROT P``: the data connections from now on under TLS, each resuming the control
        connection's session. Returns the ``PROT`` reply."""
        self._call("pbsz")
        _, replies = self._call("prot", "P")
        return _reply(replies)

    def prot_c(self) -> str:
        """``PROT C``: the data connections from now on in clear. Returns the reply."""
        _, replies = self._call("prot", "C")
        return _reply(replies)

    def ntransfercmd(self, cmd: str, rest: Optional[int] = None) -> tuple[socket.socket, Optional[int]]:
        """As :meth:`FTP.ntransfercmd` under ``PROT C``. Under ``PROT P`` raises :class:`ftpkit.Unsupported`
        before anything is sent (see the class documentation)."""
        if self._c().data_protected:
            raise Unsupported(
                "transfercmd/ntransfercmd under PROT P: the protected data connection runs in ftpkit's Rust TLS "
                "and cannot be handed over as an ssl.SSLSocket; use retrbinary, retrlines, storbinary or "
                "storlines, or prot_c() first"
            )
        return super().ntransfercmd(cmd, rest)


def _reply(replies: list[tuple[str, int, str]]) -> str:
    return replies[-1][2] if replies else ""


def _context_settings(context: Optional[ssl.SSLContext]) -> dict[str, Any]:
    """The fields of ``ssl.SSLContext`` that map onto ftpkit's TLS configuration (see :class:`FTP_TLS`)."""
    settings: dict[str, Any] = {
        "server_name": None,
        "ca_file": None,
        "ca_certs": [],
        "client_cert": None,
        "verify": True,
        "check_hostname": True,
        "tls12_only": False,
    }
    if context is None:
        return settings
    if not isinstance(context, ssl.SSLContext):
        raise TypeError(f"context must be an ssl.SSLContext, not {type(context).__name__}")
    settings["verify"] = context.verify_mode != ssl.CERT_NONE
    settings["check_hostname"] = bool(context.check_hostname)
    settings["ca_certs"] = [bytes(c) for c in context.get_ca_certs(binary_form=True)]
    top, bottom = context.maximum_version, context.minimum_version
    if top not in (ssl.TLSVersion.MAXIMUM_SUPPORTED, ssl.TLSVersion.TLSv1_3):
        if top != ssl.TLSVersion.TLSv1_2:
            raise ValueError(f"context.maximum_version {top!r}: ftpkit speaks TLS 1.2 and 1.3 only")
        settings["tls12_only"] = True
    if bottom == ssl.TLSVersion.TLSv1_3 or bottom == ssl.TLSVersion.MAXIMUM_SUPPORTED:
        raise ValueError("context.minimum_version TLSv1_3 cannot be mapped: ftpkit offers TLS 1.2 and 1.3")
    return settings
