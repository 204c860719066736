#!/usr/bin/python3
"""faultserver.py -- loopback HTTP server for the ingest tests: serves the
recorded provider answers in a fixture directory, and on request misbehaves
the ways real providers do.

    /usr/bin/python3 tests/support/faultserver.py FIXTURE_DIR

Binds 127.0.0.1 on a free port (port 0) and prints that port on the first
line of stdout.  Request paths are /TAG/MODE/N/VICTIM/FILE: FILE is served
from FIXTURE_DIR; when FILE's name contains VICTIM and MODE is not "ok", the
first N requests for this exact path (N = -1: all of them) get the fault
MODE instead:

    429        status 429 with Retry-After: 1 (delta seconds)
    429date    status 429 with Retry-After as an HTTP-date two seconds ahead
               (whole seconds, so the wait it asks for is 1 to 2 s)
    429long    status 429 with Retry-After: 3600 (past any sensible cap)
    500, 503   that status with a small HTML body
    slow       waits 3 s before answering (past the client's timeout)
    reset      closes the connection with a TCP RST, no answer
    truncate   announces the full Content-Length, sends half, closes
    html       200 with an HTML error page instead of JSON
    invalid    200 with JSON cut in half and closed with a stray brace
    gzip       not a fault: the body gzip-compressed, Content-Encoding: gzip

TAG keeps counters of different test cases apart, and /_times/TAG answers
with the arrival times of that tag's requests so far (milliseconds on the
server's monotonic clock, one per line), so a test can check the spacing
between requests where they arrive.  A query string (?x=...) is ignored
in choosing FILE.  Test code only.
"""
import email.utils
import gzip
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1]
counts = {}
arrivals = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        now_ms = time.monotonic() * 1000
        parts = self.path.lstrip("/").split("/", 4)
        if len(parts) == 2 and parts[0] == "_times":
            with lock:
                times = list(arrivals.get(parts[1], []))
            self.send(200, "".join("%.1f\n" % t for t in times).encode(), "text/plain")
            return
        if len(parts) == 5:
            with lock:
                arrivals.setdefault(parts[0], []).append(now_ms)
        if len(parts) != 5:
            self.send(400, b"bad path\n", "text/plain")
            return
        _tag, mode, n, victim, name = parts
        name = name.split("?", 1)[0]  # a query only makes URLs differ
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path):
            self.send(404, b"<html><head><title>404 Not Found</title></head></html>", "text/html")
            return
        with open(path, "rb") as f:
            body = f.read()
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            k = counts[self.path]
        limit = int(n)
        if mode == "ok" or victim not in name or (limit >= 0 and k > limit):
            self.send(200, body)
            return
        if mode == "429":
            self.send(429, b'{"error":"rate limited"}', extra=[("Retry-After", "1")])
        elif mode == "429date":
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            self.send(429, b'{"error":"rate limited"}', extra=[("Retry-After", when)])
        elif mode == "429long":
            self.send(429, b'{"error":"rate limited"}', extra=[("Retry-After", "3600")])
        elif mode in ("500", "503"):
            page = b"<html><head><title>%s Server Error</title></head></html>" % mode.encode()
            self.send(int(mode), page, "text/html")
        elif mode == "slow":
            time.sleep(3)
            try:
                self.send(200, body)
            except OSError:
                pass  # the client gave up, as it should
        elif mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
        elif mode == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif mode == "html":
            self.send(200, b"<!DOCTYPE html>\n<html><head><title>Service Unavailable - Zero "
                      b"size object</title></head><body>Try again later</body></html>\n",
                      "text/html")
        elif mode == "gzip":
            self.send(200, gzip.compress(body), extra=[("Content-Encoding", "gzip")])
        elif mode == "invalid":
            self.send(200, body[: len(body) // 2] + b"}")
        else:
            self.send(400, b"unknown mode\n", "text/plain")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
