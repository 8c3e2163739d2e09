"""Shared pieces of the benchmarks: start ./skyport serve on a temporary data folder and a free port,
read the administrator's API key from its first-start output, and read its peak memory from /proc."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY_MARKER = "Its API key (shown only now):"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class Server:
    """A Skyport started through ./skyport serve (which builds it when sources changed)."""

    def __init__(self, extra_args=(), parent_dir=None):
        self.work = tempfile.mkdtemp(prefix="skyport-bench-", dir=parent_dir)
        self.data_dir = os.path.join(self.work, "data")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = os.path.join(self.work, "server.log")
        self._log = open(self.log_path, "w", buffering=1)  # line-buffered: readable while running
        self.process = subprocess.Popen(
            [os.path.join(ROOT, "skyport"), "serve", "--urls", self.url, "--data-dir", self.data_dir, *extra_args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True)
        try:
            self.api_key = self._read_key(timeout=600)
            threading.Thread(target=self._drain, daemon=True).start()
            self._wait_ready(timeout=60)
        except BaseException:
            self.stop()  # a server that failed to come up is not left running
            raise
        self.session = requests.Session()
        self.session.headers["x-api-key"] = self.api_key
        self.session.trust_env = False

    def _read_key(self, timeout: float) -> str:
        # Building can take minutes; a server that never prints its key is killed rather than waited on forever.
        watchdog = threading.Timer(timeout, self.process.kill)
        watchdog.start()
        try:
            previous = ""
            for line in self.process.stdout:
                self._log.write(line)
                if previous.rstrip().endswith(KEY_MARKER):
                    return line.strip()
                previous = line
        finally:
            watchdog.cancel()
        self.stop()
        sys.exit(f"Skyport did not print its API key; see {self.log_path}")

    def _drain(self):
        for line in self.process.stdout:
            self._log.write(line)

    def _wait_ready(self, timeout: float):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/api/version", timeout=2).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # a first request can be slow on a loaded machine
                pass
            time.sleep(0.1)
        sys.exit(f"Skyport did not answer on {self.url}; see {self.log_path}")

    @property
    def pid(self) -> int:
        # ./skyport execs dotnet, so the child's pid is the server's.
        return self.process.pid

    def peak_rss_mb(self) -> float:
        return status_kb(self.pid, "VmHWM") / 1024

    def rss_mb(self) -> float:
        return status_kb(self.pid, "VmRSS") / 1024

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        r = self.session.request(method, self.url + path, **kwargs)
        if not r.ok:
            raise RuntimeError(f"{method} {path}: HTTP {r.status_code}: {r.text[:500]}")
        return r

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._log.closed:
            self._log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)
