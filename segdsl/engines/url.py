"""Target URLs in the SQLAlchemy style: the engine, where it is, and how to reach it.

    duckdb:///shop.duckdb            sqlite:///shop.db (sqlite:////abs/shop.db)
    postgresql://user:pw@host:5432/db      (drivers: +psycopg, +psycopg2)
    mysql+pymysql://user:pw@host:3306/db   (also mariadb://)
    spark://local[*]  spark://host:7077    sc://host:15002 (Spark Connect)
    chdb:///path/to/dir (embedded ClickHouse)  clickhouse://user:pw@host:8123/db

A password never appears in anything segdsl prints: `redacted()` is the form
every message uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from ..lang.diagnostics import did_you_mean, error
from ..sql import dialects

# scheme (before any +driver) → dialect, as each dialect declares its schemes (segdsl.sql.dialects)
SCHEMES: dict[str, str] = dialects.schemes()
# schemes whose URL names a file or folder on this machine rather than a server
FILE_SCHEMES = dialects.file_schemes()
FORMS = ("duckdb:///file.duckdb, sqlite:///file.db, postgresql://user@host/db, "
         "mysql+pymysql://user@host/db, spark://local[*], sc://host:15002, chdb:///dir, "
         "clickhouse://user@host:8123/db")


@dataclass(frozen=True)
class TargetURL:
    """A parsed target URL. `path` is the file or folder of embedded engines."""

    raw: str
    scheme: str
    driver: str | None = None
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    path: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return SCHEMES[self.scheme]

    @property
    def in_memory(self) -> bool:
        return self.scheme in FILE_SCHEMES and (not self.path or self.path == ":memory:")

    def redacted(self) -> str:
        """The URL as shown to users: never with the password."""
        scheme = self.scheme + (f"+{self.driver}" if self.driver else "")
        if self.scheme in FILE_SCHEMES:
            if self.in_memory:
                return f"{scheme} (in memory)"
            return f"{scheme}:///{self.path}" if not self.path.startswith("/") else f"{scheme}://{self.path}"
        if self.scheme == "spark" and self.host and self.host.startswith("local"):
            return f"{scheme}://{self.host}"
        auth = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        db = f"/{self.database}" if self.database else ""
        return f"{scheme}://{auth}{self.host or ''}{port}{db}"


def parse_target(url: str) -> TargetURL:
    """Parse a target URL; an unknown or malformed one is SEG312 with the accepted forms."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9]*)(?:\+([A-Za-z0-9_]+))?://(.*)$", url.strip())
    if not m:
        raise error("SEG312", f"`{safe(url)}` is not a target URL", None, f"targets look like {FORMS}")
    scheme, driver, rest = m.group(1).lower(), m.group(2), m.group(3)
    if scheme not in SCHEMES:
        hint = did_you_mean(scheme, SCHEMES)
        raise error("SEG312", f"no target adapter for `{scheme}://`", None,
                    (hint + " " if hint else "") + f"targets look like {FORMS}; other dialects: "
                    "segdsl compile --dialect D")
    rest, _, query = rest.partition("?")
    params = dict(parse_qsl(query))
    if scheme in FILE_SCHEMES:
        # SQLAlchemy style: three slashes and a relative path, four for an absolute one
        path = unquote(rest[1:] if rest.startswith("/") else rest)
        return TargetURL(url, scheme, driver, path=path or None, params=params)
    if scheme == "spark" and rest.startswith("local"):
        return TargetURL(url, scheme, driver, host=rest.rstrip("/"), params=params)
    try:
        parts = urlsplit(f"x://{rest}")
        port = parts.port
    except ValueError as exc:
        raise error("SEG312", f"`{safe(url)}` is not a target URL: {exc}", None, f"targets look like {FORMS}") from None
    return TargetURL(url, scheme, driver, user=unquote(parts.username) if parts.username else None,
                     password=unquote(parts.password) if parts.password else None, host=parts.hostname,
                     port=port, database=parts.path.lstrip("/") or None, params=params)


def safe(url: str) -> str:
    """A URL with any password removed, for messages about URLs that did not parse."""
    return re.sub(r"(://[^/:@]*):[^@/]*@", r"\1@", url)
