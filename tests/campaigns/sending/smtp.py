"""A real SMTP server for the sending tests: aiosmtpd on a free local port, in a thread.

The handler answers per recipient: `fail(address, 421, 421, …)` queues the
codes that address gets at RCPT before it is accepted (550 stays refused);
every accepted message is recorded with its Message-ID. Workers in other
processes reach it over TCP like any SMTP server.
"""
import asyncio
import email
import threading
import time
from collections import Counter
from email import policy

from aiosmtpd.controller import Controller

from config.embedded_redis import free_port

ANSWERS = {421: "421 4.7.0 Try again later", 450: "450 4.2.1 Mailbox busy", 550: "550 5.1.1 No such user here"}


class Recorder:
    def __init__(self):
        self.messages = []  # email.message.EmailMessage, in arrival order
        self.sessions = 0
        self.rules = {}  # address -> [codes to answer at RCPT, in order]; 550 stays
        self.delay = 0.0  # seconds to wait before accepting each message (to kill a worker mid-batch)
        self.drops = {}  # address -> "rcpt" | "data": drop the connection there, once (before / after taking it)
        self.lock = threading.Lock()

    def fail(self, address, *codes):
        self.rules[address.lower()] = list(codes)

    def drop(self, address, *, at):
        """Close the connection without a reply once, at RCPT for `address` (nothing taken) or after its message's
        data arrived (the message is taken and recorded, the reply never sent)."""
        self.drops[address.lower()] = at

    def _dropping(self, addresses, at):
        with self.lock:
            hit = [a for a in addresses if self.drops.get(a.lower()) == at]
            for address in hit:
                del self.drops[address.lower()]
        return bool(hit)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._dropping([address], "rcpt"):
            server.transport.abort()
            return "421 4.4.2 Connection dropped"
        with self.lock:
            codes = self.rules.get(address.lower())
            code = (codes[0] if codes else 250)
            if codes and code != 550:
                codes.pop(0)
        if code != 250:
            return ANSWERS[code]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        if self._dropping(envelope.rcpt_tos, "data"):
            server.transport.abort()  # taken, and the reply is lost with the connection
        return "250 2.0.0 Message accepted for delivery"

    # -- what the tests read ----------------------------------------------------

    def message_ids(self):
        with self.lock:
            return Counter(str(message["Message-ID"]) for message in self.messages)

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if str(m["To"]).lower() == address.lower()]

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return len(self.messages)


class SmtpServer:
    """`stop()` takes the server down (connections refused, sessions in flight dropped); `start()` brings it back
    on the same port with the same recorder."""

    def __init__(self):
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
