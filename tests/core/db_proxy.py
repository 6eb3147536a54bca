"""A TCP proxy on loopback in front of the real PostgreSQL that can forward, refuse, or black-hole.

* ``forward()``: connections reach the database, as normal;
* ``refuse()``: the port is closed and open connections are cut, as when the database is down;
* ``black_hole()``: connections are accepted and nothing ever comes back, and open
  connections stop answering, as when the database (or the network to it) hangs.

The listening port stays the same throughout, so the app under test keeps its settings.
"""

import contextlib
import selectors
import socket
import threading


class DatabaseProxy:
    def __init__(self, *, upstream: tuple[str, int]):
        self.upstream = upstream
        self.mode = "forward"
        self.port = None
        self._listener = None
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._stopped = threading.Event()
        self._listen()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url_host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(64)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._selector.register(listener, selectors.EVENT_READ, ("accept", None))

    def forward(self) -> None:
        with self._lock:
            self._cut_all()
            if self._listener is None:
                self._listen()
            self.mode = "forward"

    def refuse(self) -> None:
        with self._lock:
            self.mode = "refuse"
            if self._listener is not None:
                self._selector.unregister(self._listener)
                self._listener.close()
                self._listener = None
            self._cut_all()

    def black_hole(self) -> None:
        with self._lock:
            if self._listener is None:
                self._listen()
            # Open connections stay open but nothing is relayed any more, either way.
            self.mode = "black_hole"

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        with self._lock:
            self._cut_all()
            if self._listener is not None:
                self._listener.close()

    def _cut_all(self) -> None:
        for client, server in self._pairs:
            for sock in (client, server):
                if sock is not None:
                    with contextlib.suppress(KeyError, ValueError):
                        self._selector.unregister(sock)
                    sock.close()
        self._pairs = []

    def _run(self) -> None:
        while not self._stopped.is_set():
            events = self._selector.select(timeout=0.05)
            with self._lock:
                for key, _ in events:
                    kind, peer = key.data
                    if key.fileobj.fileno() == -1:
                        continue
                    if kind == "accept":
                        self._accept(key.fileobj)
                    elif self.mode == "forward":
                        self._relay(key.fileobj, peer)
                    else:
                        # Black hole: read and drop, so the sender never blocks and never hears back.
                        with contextlib.suppress(OSError):
                            key.fileobj.recv(65536)

    def _accept(self, listener) -> None:
        try:
            client, _ = listener.accept()
        except BlockingIOError:
            return
        if self.mode == "black_hole":
            self._pairs.append((client, None))
            self._selector.register(client, selectors.EVENT_READ, ("relay", None))
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        client.setblocking(False)
        server.setblocking(False)
        self._pairs.append((client, server))
        self._selector.register(client, selectors.EVENT_READ, ("relay", server))
        self._selector.register(server, selectors.EVENT_READ, ("relay", client))

    def _relay(self, source, destination) -> None:
        try:
            data = source.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data or destination is None:
            self._drop(source, destination)
            return
        try:
            destination.setblocking(True)
            destination.sendall(data)
            destination.setblocking(False)
        except OSError:
            self._drop(source, destination)

    def _drop(self, *socks) -> None:
        for sock in socks:
            if sock is None:
                continue
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            sock.close()
        self._pairs = [pair for pair in self._pairs if pair[0] not in socks and pair[1] not in socks]
