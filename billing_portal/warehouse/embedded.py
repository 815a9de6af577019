"""An embedded PostgreSQL 16 (the binaries shipped by the `pgserver` wheel) under $BILLING_PORTAL_HOME/pgdata.

Started on demand, reused by every later process, stopped by `billing-portal db stop` (or `make clean`), and by
`billing-portal demo` when the demo started it. It listens on a Unix socket inside the data directory only. When
running as root, the server runs as the unprivileged `pgserver` system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import warnings
from pathlib import Path

from billing_portal.errors import DatabaseError

log = logging.getLogger(__name__)

DATABASE_NAME = "billing_portal"
SOCKET_LIMIT = 103

# An analytics warehouse on a small machine: COPY into tables created in the same transaction skips WAL
# (wal_level=minimal), room for checkpoints during backfills, memory for sorts and index builds.
TUNING = {
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_connections": "200",
    "listen_addresses": "''",
    "timezone": "UTC",
    "log_min_messages": "warning",
}


def _pg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import _commands

    logging.getLogger("pgserver").setLevel(logging.CRITICAL)  # it logs expected non-zero exits as errors
    return _commands


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.utils import ensure_user_exists
    ensure_user_exists("pgserver")
    return "pgserver"


def _prepare_permissions(pgdata: Path, user: str | None) -> None:
    if user is None:
        return
    import pwd
    import stat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions
    bin_path = _pg().POSTGRES_BIN_PATH
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(bin_path)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(bin_path, execute | read)
    ensure_folder_permissions(bin_path.parent / "lib", read)
    pw = pwd.getpwnam(user)
    os.chown(pgdata, pw.pw_uid, pw.pw_gid)


def _write_tuning(pgdata: Path) -> None:
    conf = pgdata / "postgresql.auto.conf"
    lines = ["# written by billing_portal.warehouse.embedded\n"]
    lines += [f"{k} = '{v}'\n" if not v.startswith("'") else f"{k} = {v}\n" for k, v in TUNING.items()]
    conf.write_text("".join(lines))


STATUS_UNKNOWN = 4  # pg_ctl status: the data directory cannot be reached


def _running(pgdata: Path, user: str | None) -> bool:
    pg = _pg()
    try:
        pg.pg_ctl(["status"], pgdata=pgdata, user=user)
        return True
    except subprocess.CalledProcessError as exc:
        if exc.returncode != STATUS_UNKNOWN or user is None:
            return False
    # The server's user cannot reach the data directory: a parent lost the permissions given at start (pytest, for
    # one, resets its base temporary directory to 0700). "Unknown" is not "stopped": restore them and ask again.
    _prepare_permissions(pgdata, user)
    try:
        pg.pg_ctl(["status"], pgdata=pgdata, user=user)
        return True
    except subprocess.CalledProcessError:
        return False


def _url(pgdata: Path, database: str = DATABASE_NAME) -> str:
    return f"postgresql://postgres@/{database}?host={pgdata}"


def start_embedded(home: Path) -> str:
    """Start (or reuse) the embedded server and return a URL to the `billing_portal` database."""
    pgdata = (Path(home) / "pgdata").resolve()
    sock = pgdata / ".s.PGSQL.5432"
    if len(str(sock)) > SOCKET_LIMIT:
        raise DatabaseError(
            f"BILLING_PORTAL_HOME is too deep for a PostgreSQL socket path ({len(str(sock))} > {SOCKET_LIMIT} "
            "characters): set BILLING_PORTAL_HOME to a shorter path, or set DATABASE_URL"
        )
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    lock_file = pgdata.parent / ".pgdata.lock"
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one starter at a time across processes
        try:
            user = _system_user()
            pg = _pg()
            if not (pgdata / "PG_VERSION").exists():
                pgdata.mkdir(parents=True, exist_ok=True)
                _prepare_permissions(pgdata, user)
                pg.initdb(["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
                          pgdata=pgdata, user=user)
            if not _running(pgdata, user):
                _prepare_permissions(pgdata, user)
                _write_tuning(pgdata)
                pg.pg_ctl(["-w", "-t", "60", "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start"],
                          pgdata=pgdata, user=user, timeout=90)
            out = pg.psql(["-h", str(pgdata), "-U", "postgres", "-d", "postgres", "-tAc",
                           f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"], user=user)
            if out.strip() != "1":
                pg.psql(["-h", str(pgdata), "-U", "postgres", "-d", "postgres", "-c",
                         f"CREATE DATABASE {DATABASE_NAME}"], user=user)
        except subprocess.CalledProcessError as exc:
            logfile = pgdata / "log"
            tail = logfile.read_text().strip().splitlines()[-1:] if logfile.exists() else []
            detail = tail[0] if tail else (exc.stderr or str(exc)).strip().splitlines()[-1]
            raise DatabaseError(f"could not start the embedded PostgreSQL in {pgdata}: {detail}") from None
        except subprocess.TimeoutExpired:
            raise DatabaseError(f"the embedded PostgreSQL in {pgdata} did not start within 90 s") from None
    return _url(pgdata)


def embedded_running(home: Path) -> bool:
    """Whether the embedded server of `home` runs now (a command that starts it can then tell whether to stop it)."""
    pgdata = (Path(home) / "pgdata").resolve()
    if not (pgdata / "PG_VERSION").exists():
        return False
    return _running(pgdata, _system_user())


def stop_embedded(home: Path) -> bool:
    """Stop the embedded server if it runs; True when it was running."""
    pgdata = (Path(home) / "pgdata").resolve()
    if not (pgdata / "PG_VERSION").exists():
        return False
    user = _system_user()
    if not _running(pgdata, user):
        return False
    _pg().pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    return True
