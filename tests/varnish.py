"""A real varnishd on a loopback port, running deploy/varnish/default.vcl in front of a given backend.

For tests and benchmarks::

    with VarnishProxy(backend_ports=[8000, 8001]) as varnish:
        urllib.request.urlopen(varnish.url + "/")
        varnish.stop()      # down, as after a crash ...
        varnish.start()     # ... and back on the same port, empty

Needs Debian's ``varnish`` and ``varnish-modules`` (.ci/run and ``make test``
install them where missing). ``varnish_missing()`` says why it cannot run, for
a skip; under ``REQUIRE_VARNISH=1`` (CI) tests fail instead.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

VCL = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "default.vcl"
VARNISHD_PATHS = ("/usr/sbin/varnishd", "/usr/local/sbin/varnishd")


def varnishd_path() -> str | None:
    return shutil.which("varnishd") or next((path for path in VARNISHD_PATHS if os.path.exists(path)), None)


def varnish_missing() -> str:
    """Why varnishd cannot run here ("" when it can)."""
    varnishd = varnishd_path()
    if varnishd is None:
        return "varnishd not found: apt-get install -y varnish varnish-modules"
    vmod_dirs = [Path("/usr/lib/x86_64-linux-gnu/varnish/vmods"), Path("/usr/lib/aarch64-linux-gnu/varnish/vmods")]
    if not any((folder / "libvmod_xkey.so").exists() for folder in vmod_dirs) and not list(
        Path("/usr").glob("lib*/**/varnish/vmods/libvmod_xkey.so")
    ):
        return "the xkey module is missing: apt-get install -y varnish-modules"
    return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SERVERS_SECTION = re.compile(r"# -- The app servers -+\n.*?# -- end of the app servers -+\n", flags=re.S)


def vcl_for_backends(backends: list[tuple[str, int]]) -> str:
    """The shipped VCL with its app servers replaced by ``backends`` ((host, port) pairs)."""
    text = VCL.read_text()
    section = SERVERS_SECTION.search(text).group(0)
    probe = re.search(r"probe healthz \{.*?\n\}\n", section, flags=re.S).group(0)
    template = re.search(r"backend app1 \{.*?\n\}\n", section, flags=re.S).group(0)
    servers = ""
    for number, (host, port) in enumerate(backends, start=1):
        server = template.replace("backend app1", f"backend app{number}")
        server = re.sub(r'\.host = "[^"]*";', f'.host = "{host}";', server)
        servers += re.sub(r'\.port = "[^"]*";', f'.port = "{port}";', server) + "\n"
    additions = "".join(f"    app_servers.add_backend(app{number});\n" for number in range(1, len(backends) + 1))
    init = f"sub vcl_init {{\n    new app_servers = directors.round_robin();\n{additions}}}\n"
    return text.replace(section, probe + "\n" + servers + init)


class VarnishProxy:
    """varnishd on 127.0.0.1:<free port> in front of app servers on ``backend_ports``; ``stop()`` and ``start()``."""

    def __init__(self, *, backend_ports: list[int], backend_host: str = "127.0.0.1", storage: str = "malloc,64m"):
        self.backends = [(backend_host, port) for port in backend_ports]
        self.storage = storage
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="varnish-"))
        self.vcl = self.folder / "default.vcl"
        self.vcl.write_text(vcl_for_backends(self.backends))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "VarnishProxy":
        """Start varnishd (an empty cache) and wait until it answers."""
        log = (self.folder / "varnishd.log").open("ab")
        self.process = subprocess.Popen(
            [
                varnishd_path(),
                "-F",
                "-j",
                "none",
                "-n",
                str(self.folder / "work"),
                "-a",
                f"127.0.0.1:{self.port}",
                "-T",
                "none",
                "-f",
                str(self.vcl),
                "-s",
                self.storage,
                "-p",
                "vsl_space=2M",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"varnishd stopped at start:\n{(self.folder / 'varnishd.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"varnishd did not answer within {timeout} s")

    def stop(self) -> None:
        """Stop varnishd (its cache goes with it)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "VarnishProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
