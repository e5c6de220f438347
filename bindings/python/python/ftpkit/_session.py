"""The sans-IO server session: bytes in; bytes, requests and events out. You do the IO and the clock."""

from __future__ import annotations

from typing import Any, Optional

from . import _native

__all__ = ["Message", "ServerSession", "ClientSession"]


class Message:
    """A request or an event of a session: a ``name`` and keyword fields, readable as attributes.

    Equal when the kind (request/event), the name and the fields are equal.
    """

    __slots__ = ("kind", "name", "fields")

    def __init__(self, kind: str, name: str, fields: dict[str, Any]) -> None:
        self.kind = kind
        self.name = name
        self.fields = dict(fields)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.fields[key]
        except KeyError:
            raise AttributeError(f"{self.kind} {self.name} has no field {key!r}") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (self.kind, self.name, self.fields) == (other.kind, other.name, other.fields)

    def __hash__(self) -> int:
        return hash((self.kind, self.name, tuple(sorted((k, repr(v)) for k, v in self.fields.items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.fields.items() if k != "detail")
        return f"{self.kind.capitalize()}.{self.name}({args})"


class ServerSession:
    """The core's server session for one control connection between ``client`` and ``server`` (``"ip:port"``).

    Drive it: :meth:`handle_input` with the bytes you read, then drain :meth:`poll_transmit` (write those
    bytes), :meth:`poll_request` (do the work and answer with :meth:`complete`) and :meth:`poll_event` until
    each returns ``None``; arm the timer :meth:`poll_timeout` names and call :meth:`handle_timeout` when it fires.
    """

    def __init__(
        self,
        client: str,
        server: str,
        *,
        anonymous: bool = False,
        greeting: Optional[str] = None,
        passive_ports: Optional[tuple[int, int]] = None,
    ) -> None:
        self._s = _native.ServerSession(client, server, anonymous, greeting, passive_ports)

    def handle_input(self, data: bytes) -> None:
        """Feeds bytes read from the control connection."""
        self._s.handle_input(bytes(data))

    def poll_transmit(self) -> Optional[bytes]:
        """The next bytes to write, or None."""
        b = self._s.poll_transmit()
        return None if b is None else bytes(b)

    def poll_request(self) -> Optional[Message]:
        """The next request (``Authenticate``, ``Stat``, ``OpenRead``, ...; ``.id`` names it), or None."""
        r = self._s.poll_request()
        return None if r is None else Message("request", _camel(r[0]), r[1])

    def poll_event(self) -> Optional[Message]:
        """The next event (``LoggedIn``, ``CloseData``, ``Cancel``, ``Close``), or None."""
        e = self._s.poll_event()
        return None if e is None else Message("event", e[0], e[1])

    def complete(self, id: int, outcome: str, value: Any = None) -> None:
        """Answers request ``id`` (``"ok"``, ``"logged_in"``, ``"denied"``, ``"size"``, ``"not_found"``, ...)."""
        self._s.complete(id, outcome, value)

    def handle_data_accepted(self, peer: str) -> bool:
        """A passive data connection from ``peer``: True to keep it, False to close it."""
        return bool(self._s.handle_data_accepted(peer))

    def poll_timeout(self) -> Optional[tuple[str, float]]:
        """The timer to arm: ``(kind, seconds)``."""
        t = self._s.poll_timeout()
        return None if t is None else (str(t[0]), float(t[1]))

    def handle_timeout(self, kind: str) -> None:
        """The timer ``kind`` (``idle`` or ``data_connect``) fired."""
        self._s.handle_timeout(kind)

    @property
    def is_closed(self) -> bool:
        return bool(self._s.is_closed)

    @property
    def cwd(self) -> str:
        return str(self._s.cwd)

    @property
    def user(self) -> Optional[tuple[str, str]]:
        u = self._s.user
        return None if u is None else (str(u[0]), str(u[1]))


class ClientSession:
    """The core's client session for a control connection to ``peer`` (``"ip:port"``): you do the IO.

    Queue work with :meth:`request` (``login``, ``cwd``, ``pwd``, ``command``, ...) and :meth:`transfer`; feed
    the bytes you read with :meth:`handle_input`; drain :meth:`poll_transmit` (write those bytes) and
    :meth:`poll_event` until each returns ``None``. Events are :class:`Message` values: ``Greeting``,
    ``LoggedIn``, ``Path``, ``ConnectData`` (open a data connection to ``addr`` and call
    ``handle_data(id, "connected")``), ``DataReady`` (move the data; then ``handle_data(id, "eof")``),
    ``TransferComplete``, ``Failed``, ``Closed``, ... Replies are ``(code, text lines)``.
    """

    def __init__(self, peer: str, *, epsv_all: bool = False) -> None:
        self._s = _native.ClientSession(peer, epsv_all)

    def handle_input(self, data: bytes) -> None:
        """Feeds bytes read from the control connection."""
        self._s.handle_input(bytes(data))

    def handle_close(self) -> None:
        """The control connection closed."""
        self._s.handle_close()

    def handle_data(self, id: int, event: str, value: Optional[str] = None) -> None:
        """A data-connection event: ``connected``, ``accepted`` (value: peer "ip:port"), ``eof``, ``closed``,
        ``failed`` (value: why)."""
        self._s.handle_data(id, event, value)

    def poll_transmit(self) -> Optional[bytes]:
        """The next bytes to write, or None."""
        b = self._s.poll_transmit()
        return None if b is None else bytes(b)

    def poll_event(self) -> Optional[Message]:
        """The next event, or None."""
        e = self._s.poll_event()
        return None if e is None else Message("event", e[0], e[1])

    def request(self, op: str, a: Optional[str] = None, b: Optional[str] = None) -> int:
        """Queues a request (``login`` user password, ``cwd`` path, ``pwd``, ``command`` line, ...); its id."""
        return int(self._s.request(op, a, b))

    def transfer(
        self,
        kind: str,
        path: Optional[str] = None,
        *,
        mode: str = "passive",
        listen: Optional[str] = None,
        rest: Optional[int] = None,
    ) -> int:
        """Queues a transfer (``retr``, ``stor``, ``appe``, ``stou``, ``list``, ``nlst``, ``mlsd``) in ``mode``
        ``passive``/``pasv``/``epsv``/``active`` (``listen="ip:port"``); its id."""
        return int(self._s.transfer(kind, path, mode, listen, rest))

    @property
    def is_closed(self) -> bool:
        return bool(self._s.is_closed)

    @property
    def is_logged_in(self) -> bool:
        return bool(self._s.is_logged_in)

    @property
    def state(self) -> str:
        return str(self._s.state)


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))
