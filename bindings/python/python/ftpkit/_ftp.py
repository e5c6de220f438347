"""``ftpkit.FTP``: ``ftplib.FTP``'s interface on ftpkit's Rust client.

Change ``from ftplib import FTP`` to ``from ftpkit import FTP``. The protocol runs in Rust
(``ftpkit::blocking::Client`` over the core's client session) with the GIL released while it waits, so other
Python threads keep running during a transfer.
"""

from __future__ import annotations

import codecs
import io
import socket

from types import TracebackType
from typing import Any, BinaryIO, Callable, Iterator, NamedTuple, Optional, TypeVar

from . import _native
from ._errors import ParseError, error_proto, error_reply
from ._parse import Command, parse_command, parse_mlsd_line

__all__ = ["FTP", "FTP_PORT", "MSG_OOB", "CRLF", "B_CRLF"]

FTP_PORT = 21
MSG_OOB = 0x1
CRLF = "\r\n"
B_CRLF = b"\r\n"

_Replies = list[tuple[str, int, str]]
_Self = TypeVar("_Self", bound="FTP")


def print_line(line: str) -> None:
    """The default ``retrlines`` callback (as ftplib's)."""
    print(line)


def _check_line(text: str) -> None:
    # As ftplib's putline: a CR or LF in a command is refused before anything is sent.
    if "\r" in text or "\n" in text:
        raise ValueError("an illegal newline character should not be contained")


#: ``codecs.lookup(name).name`` of the encodings the core speaks, and the core's name for each.
_ENCODINGS = {"utf-8": "utf8", "iso8859-1": "latin1"}


def _driver_encoding(name: str) -> str:
    """The core's name (``utf8``/``latin1``) of the codec ``name``; any other codec raises ``ValueError``."""
    try:
        canonical = codecs.lookup(name).name
    except (LookupError, TypeError) as e:
        raise ValueError(f"unknown encoding {name!r}: ftpkit speaks 'utf-8' or 'latin-1'") from e
    core = _ENCODINGS.get(canonical)
    if core is None:
        raise ValueError(
            f"encoding {name!r} ({canonical}) is not supported: ftpkit speaks 'utf-8' or 'latin-1' (ISO-8859-1)"
        )
    return core


def _void(resp: str) -> str:
    # As ftplib's voidresp: a reply other than 2xx is an error_reply.
    if resp[:1] != "2":
        raise error_reply(resp)
    return resp


class HashResult(NamedTuple):
    """A file's hash as the server computed it (``FTP.hash``: HASH, draft-bryan-ftpext-hash)."""

    algorithm: str
    """``'SHA-256'``, ``'SHA-1'`` or ``'MD5'``."""
    start: int
    """The first byte hashed."""
    end: int
    """The end of the range hashed, as the server wrote it (the file's size for a whole file)."""
    digest: str
    """The digest, lower-case hex."""
    path: str
    """The path as the server repeated it."""


def _last(replies: _Replies, verbs: Optional[tuple[str, ...]] = None) -> str:
    for verb, _code, text in reversed(replies):
        if verbs is None or verb in verbs:
            return text
    return ""


class FTP:
    """An FTP client with ``ftplib.FTP``'s interface, on ftpkit's Rust client.

    ``FTP(host='', user='', passwd='', acct='', timeout=None, source_address=None, *, encoding='utf-8')``:
    when ``host`` is given, connect; when ``user`` is given too, log in. Use it as a context manager (``QUIT``
    on exit) as ftplib's.

    Return values and exceptions are ftplib's: the reply text (``'250 ...'``), ``'/sub'`` from ``mkd``, an
    ``int`` from ``size``; ``error_temp``/``error_perm``/``error_reply``/``error_proto`` (subclasses of
    ftplib's own classes) for 4xx/5xx/unexpected replies/protocol errors; ``OSError``, ``TimeoutError``,
    ``EOFError`` for the connection. ``ftpkit.all_errors`` catches them all.

    Where ftpkit differs on purpose:

    - passive mode asks EPSV first and falls back to PASV (ftplib: PASV on IPv4);
    - a 227 naming another address than the server's is not trusted: ftpkit connects to the control
      connection's address (as ftplib since 3.9.13 / CVE-2021-4189), always;
    - ``timeout=None`` waits at most 60 s for each reply and each data-connection step (ftplib would wait
      forever);
    - ``login`` also asks the server's features (FEAT) and sets binary type, as the Rust client does;
    - ``set_debuglevel(1)`` prints the ``ftp -d`` trace (``---> CMD`` and the reply lines) and, for every data
      connection, the four numbered steps of the seed text with the real addresses and ports;
    - transfer commands (``retrbinary``, ``retrlines``, ``storbinary``, ``storlines``, ``transfercmd``) are
      parsed by the core before anything is sent: RETR, LIST, NLST, MLSD download; STOR, APPE, STOU upload;
      another command raises ``error_reply`` without being sent;
    - ``ntransfercmd`` returns ``None`` as the size (ftplib reads it from a ``(N bytes)`` 150 reply);
    - ``source_address=(host, port)`` binds the control connection to that address, and the data connections
      to its host with any port (ftplib binds passive data connections to the whole address, which fails with
      a non-zero port while the control connection holds it); active mode listens on the control
      connection's local address, so on ``host`` (ftplib listens on every address and announces that one);
    - ``encoding`` is ``'utf-8'`` (the default) or ``'latin-1'`` (any of its names: ``'iso-8859-1'``, ...), the
      two the core speaks (ftplib takes any codec); another raises ``ValueError``, in ``FTP(...)`` or, for the
      ``encoding`` attribute set later, in ``connect``. Names go to the server and come back in it, byte for byte
      as ftplib's; in UTF-8, ``OPTS UTF8 ON`` is sent after FEAT when FEAT lists ``UTF8``. A name that does not
      fit (``'€'`` in Latin-1) raises ``UnicodeEncodeError`` before anything is sent, as ftplib's ``.encode``
      does; a listing whose bytes are not UTF-8 in UTF-8 raises ``UnicodeDecodeError``, as ftplib's decode.
    """

    host: str = ""
    port: int = FTP_PORT
    maxline: int = 8192
    welcome: Optional[str] = None
    passiveserver: bool = True
    debugging: int = 0
    trust_server_pasv_ipv4_address: bool = False

    def __init__(
        self,
        host: str = "",
        user: str = "",
        passwd: str = "",
        acct: str = "",
        timeout: Optional[float] = None,
        source_address: Optional[tuple[str, int]] = None,
        *,
        encoding: str = "utf-8",
    ) -> None:
        _driver_encoding(encoding)
        self.encoding = encoding
        self.source_address = source_address
        self.timeout = timeout
        self._client: Optional[_native.Client] = None
        self._type: Optional[str] = None
        if host:
            self.connect(host)
            if user:
                self.login(user, passwd, acct)

    # -- connection ------------------------------------------------------------------------------------------

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        if self._client is not None:
            try:
                self.quit()
            except (OSError, EOFError):
                pass
            finally:
                if self._client is not None:
                    self.close()

    def connect(
        self, host: str = "", port: int = 0, timeout: Optional[float] = -999, source_address: Optional[tuple[str, int]] = None
    ) -> str:
        """Connects to ``host:port`` (default 21) and returns the greeting."""
        if host:
            self.host = host
        if port > 0:
            self.port = port
        if timeout != -999:
            self.timeout = timeout
        if source_address is not None:
            self.source_address = source_address
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        encoding = _driver_encoding(self.encoding)
        self.close()  # as ftplib, a new connect replaces the old connection
        self._client = _native.Client(
            self.host, self.port, self.timeout, self.passiveserver, self.debugging, self.source_address,
            self._tls_settings(), encoding,
        )
        self._type = None
        self.welcome = self._client.welcome
        return self.welcome

    def _tls_settings(self) -> Optional[dict[str, Any]]:
        # Plain FTP; FTP_TLS gives its TLS settings.
        return None

    def getwelcome(self) -> Optional[str]:
        """The greeting the server sent."""
        return self.welcome

    def set_debuglevel(self, level: int) -> None:
        """0: silent; 1 or more: print the ``ftp -d`` trace with each data connection's numbered steps."""
        self.debugging = level
        if self._client is not None:
            self._client.set_debuglevel(level)

    debug = set_debuglevel

    def set_pasv(self, val: bool) -> None:
        """Passive (true, the default: EPSV then PASV) or active (PORT/EPRT) data connections."""
        self.passiveserver = bool(val)
        if self._client is not None:
            self._client.set_passive(self.passiveserver)

    def _c(self) -> _native.Client:
        if self._client is None:
            raise error_proto("not connected")
        return self._client

    def _call(
        self, op: str, a: Optional[str] = None, b: Optional[str] = None, c: Optional[str] = None
    ) -> tuple[Any, _Replies]:
        for text in (a, b, c):
            if text is not None:
                _check_line(text)
        value, replies = self._c().call(op, a, b, c)
        return value, replies

    # -- commands --------------------------------------------------------------------------------------------

    def login(self, user: str = "", passwd: str = "", acct: str = "") -> str:
        """Logs in (``anonymous`` when no user, as ftplib) and returns the server's final login reply. ``acct``
        is sent (ACCT) when the server asks for an account (332)."""
        if not user:
            user = "anonymous"
        if user == "anonymous" and passwd in {"", "-"}:
            passwd = passwd + "anonymous@"
        _, replies = self._call("login", user, passwd, acct or None)
        self._type = "I"
        return _last(replies, ("ACCT", "PASS", "USER"))

    def _settype(self, t: str) -> None:
        if self._type != t:
            self._call("type", t)
            self._type = t

    def sendcmd(self, cmd: str) -> str:
        """Sends a command and returns its final reply's text; a 4xx raises ``error_temp``, a 5xx
        ``error_perm``, as ftplib's (a line the core's parser refuses is not sent and raises ``error_perm``).
        ``TYPE`` goes through the client so that it knows the type in force; open
        transfers with the transfer methods."""
        _check_line(cmd)
        try:
            c: Optional[Command] = parse_command(cmd)
        except ParseError:
            c = None  # the client refuses it with error_perm, as the server's 501 would be for ftplib
        if c is not None and c.verb == "TYPE" and c.arg:
            t = c.arg.split(" ")[0].upper()
            _, replies = self._call("type", t)
            self._type = t
            return _last(replies)
        return self._c().quote(cmd)

    def voidcmd(self, cmd: str) -> str:
        """As :meth:`sendcmd`, but a reply other than 2xx raises ``error_reply``."""
        return _void(self.sendcmd(cmd))

    def getresp(self) -> str:
        """The next reply: the end of the transfer :meth:`transfercmd` opened (call it once the socket is read
        to its end, or written and closed), or a reply :meth:`abort` left. Raises by code class."""
        return self._c().getresp()

    def voidresp(self) -> str:
        """As :meth:`getresp`, but a reply other than 2xx raises ``error_reply``."""
        return _void(self.getresp())

    def transfercmd(self, cmd: str, rest: Optional[int] = None) -> socket.socket:
        """Opens the transfer ``cmd`` (``RETR x``, ``LIST``, ``STOR x``, ...; from byte ``rest``) and returns its
        data connection as a socket. Read it to its end (or write and close it), close it, then call
        :meth:`voidresp`."""
        return self.ntransfercmd(cmd, rest)[0]

    def ntransfercmd(self, cmd: str, rest: Optional[int] = None) -> tuple[socket.socket, Optional[int]]:
        """As :meth:`transfercmd`, with the size the server announced: always ``None`` in ftpkit."""
        _check_line(cmd)
        fd = self._c().open_transfer(cmd, None if rest is None else int(rest))
        conn = socket.socket(fileno=fd)
        if self.timeout is not None:
            conn.settimeout(self.timeout)
        return conn, None

    def abort(self) -> str:
        """Aborts the transfer in progress (ABOR; the data connection is reset). Returns the first reply
        (``426``, or ``225``/``226``); a second one (the ``226`` after a ``426``) is left for :meth:`voidresp`,
        as in ftplib."""
        resp = self._c().abort()
        if resp[:3] not in {"426", "225", "226"}:
            raise error_proto(resp)
        return resp

    def retrbinary(
        self, cmd: str, callback: Callable[[bytes], object], blocksize: int = 8192, rest: Optional[int] = None
    ) -> str:
        """A download (``RETR path``, ``LIST``, ``NLST``, ``MLSD``) in binary mode: ``callback(block)`` for
        every block of at most ``blocksize`` bytes, from byte ``rest`` when given. Returns the final reply
        (``'226 ...'``)."""
        _check_line(cmd)
        self._settype("I")
        return self._c().download(cmd, callback, blocksize, None if rest is None else int(rest))

    def retrlines(self, cmd: str, callback: Optional[Callable[[str], object]] = None) -> str:
        """A download (``RETR``, ``LIST``, ``NLST``, ``MLSD``) in ASCII mode: ``callback(line)`` for every line,
        line end removed (default: print it). Returns the final reply."""
        _check_line(cmd)
        cb = callback or print_line
        self._settype("A")
        buf = io.BytesIO()
        resp = self._c().download(cmd, buf.write, 1 << 20, None)
        data = buf.getvalue()
        for raw in data.split(b"\n")[: -1 if data.endswith(b"\n") else None]:
            cb(raw.removesuffix(b"\r").decode(self.encoding))
        return resp

    def storbinary(
        self,
        cmd: str,
        fp: BinaryIO,
        blocksize: int = 8192,
        callback: Optional[Callable[[bytes], object]] = None,
        rest: Optional[int] = None,
    ) -> str:
        """An upload (``STOR path``, ``APPE path``, ``STOU``) in binary mode from ``fp.read(blocksize)``;
        ``callback(block)`` after each block, from byte ``rest`` when given. Returns the final reply."""
        _check_line(cmd)
        self._settype("I")
        return self._c().upload(cmd, fp, blocksize, callback, None if rest is None else int(rest))

    def storlines(self, cmd: str, fp: BinaryIO, callback: Optional[Callable[[bytes], object]] = None) -> str:
        """An upload in ASCII mode: each line of ``fp`` sent with a CRLF end. Returns the final reply."""
        _check_line(cmd)
        self._settype("A")
        return self._c().upload(cmd, _Lines(fp, self.maxline, callback), 1 << 16, None, None)

    def nlst(self, *args: str) -> list[str]:
        """The names in a directory (NLST)."""
        arg = " ".join(args) if args else None
        names, _ = self._call("nlst", arg)
        return list(names)

    def dir(self, *args: Any) -> None:
        """Lists a directory (LIST), each line to the callback given as last argument (default: print)."""
        cb: Optional[Callable[[str], object]] = None
        if args and not isinstance(args[-1], str):
            cb = args[-1]
            args = args[:-1]
        cmd = "LIST" + "".join(" " + a for a in args if a)
        self.retrlines(cmd, cb)

    def mlsd(self, path: str = "", facts: Optional[list[str]] = None) -> Iterator[tuple[str, dict[str, str]]]:
        """``(name, facts)`` for each entry of an MLSD listing, fact names lower-cased."""
        if facts:
            self.sendcmd("OPTS MLST " + ";".join(facts) + ";")
        if not self._c().has_feature("MLST"):
            # The server did not announce MLST: send MLSD anyway, as ftplib does (its refusal raises); each line
            # read by the core's MLSD parser.
            lines: list[str] = []
            self.retrlines("MLSD" + (" " + path if path else ""), lines.append)
            for line in lines:
                e = parse_mlsd_line(line)
                yield e.name, dict(e.facts)
            return
        entries, _ = self._call("mlsd", path or None)
        for name, fl in entries:
            yield name, dict(fl)

    def rename(self, fromname: str, toname: str) -> str:
        """RNFR + RNTO; returns the RNTO reply."""
        _, replies = self._call("rename", fromname, toname)
        return _last(replies)

    def delete(self, filename: str) -> str:
        """DELE; returns the reply."""
        _, replies = self._call("dele", filename)
        resp = _last(replies)
        if resp[:3] not in {"250", "200"}:
            raise error_reply(resp)
        return resp

    def cwd(self, dirname: str) -> str:
        """CWD (``''`` means ``'.'``); returns the reply."""
        _, replies = self._call("cwd", dirname or ".")
        return _last(replies)

    def size(self, filename: str) -> Optional[int]:
        """The size of a file (SIZE)."""
        n, _ = self._call("size", filename)
        return None if n is None else int(n)

    def hash(self, filename: str) -> HashResult:
        """The server's hash of a file (HASH; not in ftplib). The algorithm is the server's current one (FEAT marks
        it; ``select_hash`` changes it). A server without HASH answers 500/502: ``error_perm``."""
        value, _ = self._call("hash", filename)
        algorithm, start, end, digest, path = value
        return HashResult(str(algorithm), int(start), int(end), str(digest), str(path))

    def select_hash(self, algorithm: str) -> str:
        """OPTS HASH: the algorithm later ``hash`` calls use (``'SHA-256'``, ``'SHA-1'``, ``'MD5'``; any case);
        returns the reply. ``ValueError`` for another name, before anything is sent."""
        _, replies = self._call("select_hash", algorithm)
        return _last(replies)

    def mkd(self, dirname: str) -> str:
        """MKD; returns the new directory's path as the 257 reply names it (``''`` when it names none)."""
        path, _ = self._call("mkd", dirname)
        return "" if path is None else str(path)

    def rmd(self, dirname: str) -> str:
        """RMD; returns the reply."""
        _, replies = self._call("rmd", dirname)
        return _last(replies)

    def pwd(self) -> str:
        """The working directory (PWD)."""
        path, _ = self._call("pwd")
        return str(path)

    def quit(self) -> str:
        """QUIT, then close; returns the reply."""
        _, replies = self._call("quit")
        self.close()
        return _last(replies)

    def close(self) -> None:
        """Closes the connection without QUIT."""
        c, self._client = self._client, None
        if c is not None:
            c.close()


class _Lines:
    """``fp`` as ``read(n)`` giving whole lines with CRLF ends (ftplib's ``storlines`` conversion)."""

    def __init__(self, fp: BinaryIO, maxline: int, callback: Optional[Callable[[bytes], object]]) -> None:
        self.fp, self.maxline, self.callback = fp, maxline, callback
        self.pending = b""

    def read(self, n: int) -> bytes:
        while len(self.pending) < n:
            buf = self.fp.readline(self.maxline + 1)
            if len(buf) > self.maxline:
                raise error_proto(f"got more than {self.maxline} bytes")
            if not buf:
                break
            if buf[-2:] != b"\r\n":
                if buf[-1:] in (b"\r", b"\n"):
                    buf = buf[:-1]
                buf = buf + b"\r\n"
            if self.callback:
                self.callback(buf)
            self.pending += buf
        out, self.pending = self.pending[:n], self.pending[n:]
        return out


