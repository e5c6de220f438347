"""ftpkit's exceptions.

``Error`` is the base of every error ftpkit raises itself. ``ParseError`` (also a ``ValueError``) is raised by
the parsers and formatters, naming the parser, the field and why. ``error_reply``, ``error_temp``,
``error_perm`` and ``error_proto`` are subclasses of ftplib's classes of the same names, so existing
``except ftplib.error_perm:`` clauses keep working with :class:`ftpkit.FTP`.
"""

from __future__ import annotations

import ftplib
from typing import Optional

__all__ = [
    "Error",
    "ParseError",
    "error_reply",
    "error_temp",
    "error_perm",
    "error_proto",
    "Unsupported",
    "all_errors",
]


class Error(Exception):
    """Base class of ftpkit's own errors.

    ``kind`` is the core's stable error class (``"syntax"``, ``"range"``, ``"injection"``, ``"refused"``, ...)
    when one applies, else ``None``.
    """

    kind: Optional[str]

    def __init__(self, message: str = "", *, kind: Optional[str] = None) -> None:
        super().__init__(message)
        self.kind = kind


class ParseError(Error, ValueError):
    """Input a parser or formatter refused.

    ``parser`` names the function's input (``"pasv"``, ``"eprt"``, ``"reply"``, ...), ``field`` the part of the
    input at fault when the core names one (``"h1"``, ``"port"``, ``"delimiter"``, ...), ``kind`` the core's
    error class; the message says why.
    """

    parser: Optional[str]
    field: Optional[str]

    def __init__(
        self,
        message: str = "",
        *,
        parser: Optional[str] = None,
        field: Optional[str] = None,
        kind: Optional[str] = None,
    ) -> None:
        super().__init__(message, kind=kind)
        self.parser = parser
        self.field = field


class error_reply(Error, ftplib.error_reply):
    """An unexpected reply (not 4xx/5xx), as ``ftplib.error_reply``."""


class error_temp(Error, ftplib.error_temp):
    """A 4xx reply, as ``ftplib.error_temp``."""


class error_perm(Error, ftplib.error_perm):
    """A 5xx reply, as ``ftplib.error_perm``."""


class error_proto(Error, ftplib.error_proto):
    """The server broke the protocol (or the session is closed), as ``ftplib.error_proto``."""


class Unsupported(Error, NotImplementedError):
    """An ftplib feature ftpkit cannot give faithfully (the message says which, why, and what to use instead).
    Not in ``all_errors``: a script relying on the feature should fail loudly, not be silently caught."""


#: What ``ftpkit.FTP`` methods may raise, as ``ftplib.all_errors``.
all_errors: tuple[type[BaseException], ...] = (Error,) + tuple(ftplib.all_errors)
