"""A local Spark Connect server, started from the scripts pyspark ships and stopped by its pid file.

Production Spark (Databricks, shared clusters) is reached through Spark
Connect: a server of its own, to which `segdsl run --target sc://…` and any
other client open sessions. The conformance tests (tests/support/engines.py)
and case 12 of the benchmark both start one here, each with its own
settings: tiny-data tuning for the tests, Spark's defaults for the benchmark.
The server always runs in UTC (`spark.sql.session.timeZone`), as segdsl's
sessions do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Callable

START_SECONDS = 180  # a cold JVM on a busy machine, with the connect jar's classes to load
STOP_SECONDS = 30    # the server's shutdown hooks (sessions, the metastore) before it is killed


def _wait_for_end(pid: int, seconds: float) -> None:
    """Wait for a process of ours to end; SIGKILL it after `seconds` (a JVM stuck in its shutdown hooks)."""
    import signal

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_tail(folder: Path, lines: int = 3) -> str:
    """The last lines of the server's log: why it did not start."""
    logs = sorted((folder / "logs").glob("*.out"), key=lambda p: p.stat().st_mtime)
    if not logs:
        return ""
    text = [line for line in logs[-1].read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return " / ".join(text[-lines:])[-400:]


def _alive(pid_file: Path) -> bool:
    """Whether the process of the server's pid file still runs (an absent file: not written yet)."""
    if not pid_file.is_file():
        return True
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def start(folder: Path, confs: dict[str, Any] | None = None, master: str = "local[2]",
          java_options: str = "", ident: str = "") -> tuple[str, Callable[[], None]]:
    """Start a Spark Connect server on a free port of 127.0.0.1, keeping its logs, pid file, warehouse and
    Derby metastore under `folder`; return its URL (sc://127.0.0.1:PORT) and a function that stops it.

    `confs` are added to (and override) the server's settings. Raises RuntimeError, with the end of the
    server's log, when it did not start; it has then been stopped already.
    """
    import pyspark

    home = Path(pyspark.__file__).parent
    script = home / "sbin" / "start-connect-server.sh"
    if not script.is_file():
        raise RuntimeError(f"this pyspark has no Spark Connect server ({script} is missing)")
    port = free_port()
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    ident = ident or f"segdsl-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, SPARK_HOME=str(home), SPARK_LOG_DIR=str(folder / "logs"), SPARK_PID_DIR=str(folder),
               SPARK_IDENT_STRING=ident)
    env.pop("SPARK_NO_DAEMONIZE", None)  # the script must return once the server runs in the background
    settings: dict[str, Any] = {
        "spark.connect.grpc.binding.port": port, "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder} {java_options}".strip(),
    }
    settings.update(confs or {})
    args = [str(script), "--master", master]
    for key, value in settings.items():
        args += ["--conf", f"{key}={value}"]
    pid_files = lambda: list(folder.glob(f"spark-{ident}-*.pid"))  # noqa: E731 - named by spark-daemon.sh

    def stop() -> None:
        """Stop the server through its pid file (spark-daemon.sh sends that pid a SIGTERM and returns), then
        wait for it to end, so that its port and files are free when this returns; killed if it lingers."""
        pids = [int(p.read_text().strip()) for p in pid_files() if p.read_text().strip().isdigit()]
        subprocess.run([str(home / "sbin" / "stop-connect-server.sh")], env=env, capture_output=True, timeout=120)
        for pid in pids:
            _wait_for_end(pid, STOP_SECONDS)

    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    except subprocess.SubprocessError as exc:
        stop()
        raise RuntimeError(f"start-connect-server.sh: {exc}") from None
    if done.returncode != 0:
        stop()
        raise RuntimeError(f"start-connect-server.sh failed: {(done.stderr or done.stdout).strip()[-300:]}")
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return f"sc://127.0.0.1:{port}", stop
        except OSError:
            if any(not _alive(p) for p in pid_files()):
                break
            time.sleep(0.5)
    tail = _log_tail(folder)
    stop()
    raise RuntimeError(f"Spark Connect did not start: {tail or 'its port did not open'} (log: {folder / 'logs'})")
