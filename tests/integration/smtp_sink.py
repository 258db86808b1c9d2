"""A real SMTP server on loopback that keeps what it receives, for tests and benchmarks.

Speaks enough SMTP for Django's SMTP backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT). ``stall_data`` makes it hang on the DATA command, the moment a sender has said
everything but the message itself, so a test can kill the sender mid-send.
"""

import argparse
import email
import json
import signal
import socketserver
import sys
import threading
import time
from dataclasses import dataclass
from email.message import Message
from pathlib import Path


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    message: Message
    at: float

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class _Session(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        sink: SmtpSink = self.server.sink
        self.reply("220 sink ESMTP ready")
        mail_from, rcpt_to = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(
                    b"250-sink\r\n250 8BITMIME\r\n" if verb == "EHLO" else b"250 sink\r\n"
                )
            elif verb == "MAIL":
                mail_from, rcpt_to = command[10:].strip(" <>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpt_to.append(command[8:].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                if sink.stall_data.is_set():
                    sink.stalled.set()
                    # Hang until the test lets go; then drop the connection unanswered.
                    sink.release.wait(60)
                    return
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                sink.add(
                    Received(
                        mail_from, rcpt_to, email.message_from_bytes(bytes(data)), time.monotonic()
                    )
                )
                self.reply("250 OK queued")
            elif verb == "RSET":
                mail_from, rcpt_to = "", []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A sender killed mid-session (the point of several tests) resets its connection;
        # a sender keeping its connection for the next message may leave it idle until
        # the session times out, as a real server's would.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class SmtpSink:
    def __init__(self, *, port: int = 0, journal: Path | None = None):
        """``journal``: also append each message's Message-ID, recipients and arrival
        (time.monotonic(), the same clock in every process) to this file as a JSON line."""
        self.received: list[Received] = []
        self._journal = journal.open("a", buffering=1) if journal else None
        self.stall_data = threading.Event()
        self.stalled = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server = _Server(("127.0.0.1", port), _Session)
        self._server.sink = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._journal:
            self._journal.close()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def add(self, received: Received) -> None:
        with self._arrived:
            self.received.append(received)
            if self._journal:
                entry = [received.message_id, received.rcpt_to, received.at]
                self._journal.write(json.dumps(entry) + "\n")
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """The first ``count`` messages, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return list(self.received)


def main() -> None:
    """A sink in a process of its own (benchmarks/chaos.py), so the load of the process
    that drives a benchmark does not slow the senders down; it runs until terminated."""
    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--journal", type=Path, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with SmtpSink(port=args.port, journal=args.journal):
        signal.pause()


if __name__ == "__main__":
    main()
