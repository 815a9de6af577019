"""Loopback helpers for the commands that start child processes (demo, bench): a free port, waiting for a URL."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request

from billing_portal.errors import BillingPortalError


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Return once `url` answers anything below 500; fail early if `proc` (the server) exits, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BillingPortalError(f"process for {url} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise BillingPortalError(f"{url} did not answer within {timeout:.0f} s")
