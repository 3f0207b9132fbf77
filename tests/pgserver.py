"""A real PostgreSQL server for the tests: Debian's own binaries, a throwaway cluster in a temporary folder,
listening on 127.0.0.1 at a free port, with password (SCRAM) authentication so the masking tests use a real
password.

initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user (else ``nobody``) and its
commands run as that user. The cluster runs with fsync off: it is thrown away at the end of the session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ADMIN = "rm_admin"  # the cluster's superuser: creates and drops the per-test databases
OWNER = "reviewmine"  # owns each test database: what reviewmine connects as
READER = "rm_reader"  # may only SELECT: the read-only role of the bad-input tests
_SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_of)
    return Path(candidates[-1]).parent if candidates else None


def _version_of(initdb: str) -> int:
    version = Path(initdb).parts[-3]
    return int(version) if version.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user to run the cluster as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and no postgres or nobody user to own the test cluster")


@dataclass
class PgServer:
    """A running throwaway cluster; ``url()`` builds connection URLs, ``admin()`` runs DDL as the superuser."""

    bin_dir: Path
    base: Path
    port: int = field(default_factory=_free_port)
    admin_password: str = field(default_factory=lambda: "adm-" + secrets.token_hex(8))
    owner_password: str = field(default_factory=lambda: "Sx-" + secrets.token_hex(10))
    reader_password: str = field(default_factory=lambda: "Rd-" + secrets.token_hex(10))
    options: str = _SERVER_OPTIONS  # postgres -c settings (benchmarks pass durable ones)

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _command(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        user = _run_as()
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]], capture_output=True, text=True, check=check, timeout=60,
            cwd=self.base, env={**os.environ, "LC_ALL": "C"}, **kwargs,
        )  # fmt: skip

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        pwfile = self.base / "pw"
        pwfile.write_text(self.admin_password + "\n")
        user = _run_as()
        if user:
            for path in (self.base, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._command(
            "initdb", "-D", str(self.data), "-U", ADMIN, f"--pwfile={pwfile}", "-A", "scram-sha-256",
            "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        pwfile.unlink()
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 {self.options}"
        started = self._command("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.base / "log"),
                                "-w", "-t", "30", "start", check=False)  # fmt: skip
        if started.returncode != 0:
            log = (self.base / "log").read_text() if (self.base / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stdout}{started.stderr}{log}")
        self.admin(
            f"CREATE ROLE {OWNER} LOGIN PASSWORD '{self.owner_password}'",
            f"CREATE ROLE {READER} LOGIN PASSWORD '{self.reader_password}'",
        )

    def stop(self) -> None:
        self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)

    def url(self, database: str, *, user: str = OWNER, password: str | None = None) -> str:
        if password is None:
            password = {ADMIN: self.admin_password, OWNER: self.owner_password, READER: self.reader_password}[user]
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def admin(self, *statements: str, database: str = "postgres") -> list[tuple]:
        """Run ``statements`` as the superuser, each in autocommit; the rows of the last one."""
        import psycopg

        with psycopg.connect(self.url(database, user=ADMIN), autocommit=True) as conn:
            rows: list[tuple] = []
            for statement in statements:
                cursor = conn.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
            return rows

    def create_database(self) -> str:
        """A new empty database owned by the reviewmine role; returns its name."""
        name = "t_" + secrets.token_hex(6)
        self.admin(f"CREATE DATABASE {name} OWNER {OWNER}")
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def grant_read_only(self, database: str) -> None:
        """Let the read-only role connect to ``database`` and SELECT from its tables, nothing more."""
        self.admin(
            f"GRANT CONNECT ON DATABASE {database} TO {READER}",
            f"REVOKE CREATE ON SCHEMA public FROM {READER}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}",
            database=database,
        )


@contextlib.contextmanager
def running_server(options: str = _SERVER_OPTIONS) -> Iterator[PgServer]:
    """Start a cluster (raises RuntimeError when the binaries cannot be found) and always stop and delete it."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin")
    base = Path(tempfile.mkdtemp(prefix="reviewmine-pg-"))
    server = PgServer(bin_dir, base, options=options)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
