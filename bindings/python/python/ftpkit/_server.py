"""``ftpkit.Server``: ftpkit's tokio FTP server on a background thread, for tests and small jobs."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Mapping, Optional, Union

from . import _native

__all__ = ["Server"]


class Server:
    """An FTP server serving the folder ``root``, started at once on ``host`` (default 127.0.0.1), on a free
    port unless ``port`` is given.

    ``users`` maps user names to passwords; ``write`` lets them change files (read-only otherwise);
    ``anonymous`` allows ``anonymous``/``ftp`` logins with any password, read-only. ``passive_ports`` is a
    ``(low, high)`` range for passive data connections; ``masquerade`` an IPv4 address to announce in 227
    replies (a server behind NAT). Use it as a context manager, or call :meth:`stop`.

    FTPS with ``tls_cert`` and ``tls_key`` (PEM files): ``AUTH TLS`` is accepted and FEAT lists it;
    ``tls_required`` refuses a login (530) and transfers (521) without TLS; ``tls_reuse`` says what a protected
    data connection that did not resume *this* control connection's TLS session gets: ``"require"`` (the
    default: ``522``, as vsftpd's ``require_ssl_reuse=YES``), ``"warn"`` (served, logged) or ``"off"``;
    ``allow_ccc`` lets clients clear the control connection after login (``CCC``; 534 otherwise: the data
    connections stay protected as ``PROT`` set them); ``implicit_port`` opens a second listener where TLS starts
    at the first byte (0: any free port; see :attr:`implicit_port`).

    As a pytest fixture in place of a pyftpdlib server::

        @pytest.fixture
        def ftp_server(tmp_path):
            with ftpkit.Server(tmp_path, users={"user": "12345"}, write=True) as srv:
                yield srv          # srv.port, srv.url
    """

    def __init__(
        self,
        root: Union[str, "os.PathLike[str]"],
        users: Optional[Mapping[str, str]] = None,
        *,
        anonymous: bool = False,
        write: bool = False,
        passive_ports: Optional[tuple[int, int]] = None,
        masquerade: Optional[str] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        greeting: Optional[str] = None,
        tls_cert: Optional[Union[str, "os.PathLike[str]"]] = None,
        tls_key: Optional[Union[str, "os.PathLike[str]"]] = None,
        tls_required: bool = False,
        tls_reuse: str = "require",
        allow_ccc: bool = False,
        implicit_port: Optional[int] = None,
    ) -> None:
        self.root = os.fspath(root)
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        tls = None if tls_cert is None or tls_key is None else (os.fspath(tls_cert), os.fspath(tls_key))
        self._native = _native.Server(
            self.root, sorted((users or {}).items()), anonymous, write, host, port, passive_ports, masquerade,
            greeting, tls, tls_required, tls_reuse, allow_ccc, implicit_port,
        )

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return str(self._native.address[0])

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._native.address[1])

    @property
    def implicit_port(self) -> Optional[int]:
        """The implicit-FTPS listener's port (``implicit_port`` given), else ``None``."""
        a = self._native.implicit_address
        return None if a is None else int(a[1])

    @property
    def url(self) -> str:
        """``ftp://host:port/``."""
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"ftp://{host}:{self.port}/"

    @property
    def sessions(self) -> int:
        """Sessions now open."""
        return int(self._native.sessions)

    @property
    def running(self) -> bool:
        """True until :meth:`stop`."""
        return bool(self._native.running)

    def stop(self) -> None:
        """Stops accepting, ends the sessions (idle ones at once, with 421) and stops the server's threads.
        Idempotent."""
        self._native.stop()

    def __enter__(self) -> "Server":
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ftpkit.Server {self.url} root={self.root!r} {state}>"
