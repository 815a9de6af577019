"""Stopping a foreground command cleanly on Ctrl-C, `kill` and a closed terminal."""

from __future__ import annotations

import signal


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt, even when the process was started with SIGINT ignored (a
    background job of a non-interactive shell inherits SIG_IGN for SIGINT, and Python then leaves it ignored)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
