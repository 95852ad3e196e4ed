"""A scripted LSP client: `segdsl lsp` as a subprocess, spoken to in JSON-RPC over its stdio.

It answers the server's own requests (code lens refresh, configuration) with null, keeps
every notification, and lets a test wait for the one it needs.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable


class ServerError(Exception):
    def __init__(self, error: dict):
        super().__init__(error.get("message"))
        self.code = error.get("code")
        self.error = error


class Client:
    def __init__(self, cwd: Path, root: Path | None = None, options: dict | None = None,
                 env: dict[str, str] | None = None):
        self.proc = subprocess.Popen([sys.executable, "-m", "segdsl", "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                     env={**os.environ, **(env or {})})
        self._id = 0
        self._lock = threading.Lock()
        self._responses: dict[int, queue.Queue] = {}
        self.notifications: list[dict] = []
        self.server_requests: list[dict] = []
        self._changed = threading.Condition()
        self.versions: dict[str, int] = {}
        threading.Thread(target=self._read, daemon=True).start()
        root = root or cwd
        self.capabilities = self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"workspace": {"codeLens": {"refreshSupport": True}},
                             "textDocument": {"hover": {"contentFormat": ["markdown"]}}},
            "initializationOptions": options or {"codeLens": {"asOf": None, "database": None}},
        })["capabilities"]
        self.notify("initialized", {})

    # ── wire ───────────────────────────────────────────────────────────
    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        with self._lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                key, _, value = line.decode("ascii").partition(":")
                headers[key.strip().lower()] = value.strip()
            message = json.loads(out.read(int(headers["content-length"])))
            if "id" in message and "method" in message:  # a request of the server
                with self._changed:
                    self.server_requests.append(message)
                    self._changed.notify_all()
                self._send({"id": message["id"], "result": None})
            elif "id" in message:
                self._responses.setdefault(message["id"], queue.Queue()).put(message)
            else:
                with self._changed:
                    self.notifications.append(message)
                    self._changed.notify_all()

    def request_async(self, method: str, params: Any) -> int:
        with self._lock:
            self._id += 1
            rid = self._id
        self._responses.setdefault(rid, queue.Queue())
        self._send({"id": rid, "method": method, "params": params})
        return rid

    def response(self, rid: int, timeout: float = 30.0) -> Any:
        message = self._responses[rid].get(timeout=timeout)
        if "error" in message:
            raise ServerError(message["error"])
        return message.get("result")

    def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        return self.response(self.request_async(method, params), timeout)

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def wait_for(self, match: Callable[[dict], bool], timeout: float = 30.0, requests: bool = False) -> dict:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                pool = self.server_requests if requests else self.notifications
                for m in pool:
                    if match(m):
                        pool.remove(m)
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no matching message from the server")
                self._changed.wait(left)

    # ── documents ──────────────────────────────────────────────────────
    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.versions[uri] = 1
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "segdsl", "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                               "contentChanges": [{"text": text}]})

    def diagnostics(self, uri: str, timeout: float = 30.0) -> list[dict]:
        """The diagnostics published for the document's current version."""
        version = self.versions.get(uri)
        message = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri and m["params"].get("version") == version, timeout)
        return message["params"]["diagnostics"]

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a server that does not stop is killed
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.proc.stdin.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def position(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> dict:
    """The LSP position of the n-th occurrence of `needle` in a text (plus `offset` characters)."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    column = at - (text.rfind("\n", 0, at) + 1)
    return {"line": line, "character": len(text[at - column: at].encode("utf-16-le")) // 2}
