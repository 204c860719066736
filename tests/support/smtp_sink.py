#!/usr/bin/python3
"""smtp_sink.py -- a real SMTP server on loopback for the mail tests.

  /usr/bin/python3 smtp_sink.py DIR [--fail-first N] [--auth USER:PASSWORD]

Runs aiosmtpd (Debian python3-aiosmtpd) on 127.0.0.1 at a free port, prints
"PORT <n>" on stdout once it accepts connections, and saves every message
it accepts as DIR/<k>.eml (raw bytes, k = 1, 2, ...) together with
DIR/<k>.rcpt (the envelope recipients, one a line).  --fail-first N answers
the first N messages with "451 4.3.0 try again later" (a transient failure
the client must retry).  --auth requires AUTH PLAIN/LOGIN with those
credentials (over plain TCP: this is loopback).  Stops when stdin closes.
"""
import argparse
import os
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, outdir, fail_first):
        self.outdir = outdir
        self.fail_left = fail_first
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 try again later"
        self.count += 1
        base = os.path.join(self.outdir, str(self.count))
        with open(base + ".rcpt.tmp", "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".rcpt.tmp", base + ".rcpt")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--auth")
    a = ap.parse_args()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    kw = {}
    if a.auth:
        user, pw = a.auth.split(":", 1)

        def check(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == pw.encode()
            # handled=False: aiosmtpd then sends the 535 itself (its default,
            # True, means "already answered" and leaves the client waiting).
            return AuthResult(success=ok, handled=False)

        kw = {"authenticator": check, "auth_required": True, "auth_require_tls": False}
    ctl = Controller(Sink(a.dir, a.fail_first), hostname="127.0.0.1", port=port,
                     decode_data=False, **kw)
    ctl.start()
    print("PORT %d" % port, flush=True)
    sys.stdin.read()
    ctl.stop()


if __name__ == "__main__":
    main()
