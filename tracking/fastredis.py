"""A lean Redis connection for the public endpoints' one round trip (buffer.push).

redis-py spends about 100 µs of CPU per command in its pool and command
layers: measured on this project's 2-core machine, one EVALSHA cost 93–128 µs
through redis-py and 28–32 µs on a plain socket, while a whole bare Django
request costs about 380 µs. On the open pixel that is a quarter of the
request, so the hot path speaks RESP itself (hiredis packs and parses).

One socket per thread and process (gunicorn forks, gthread shares), opened
on first use with AUTH and SELECT from REDIS_URL. A command that fails on a
socket error is retried once on a fresh connection; the caller's records are
idempotent downstream (fingerprints, record ids), so a command that ran
twice is harmless. Errors surface as redis.ConnectionError, and a Redis error
reply as redis.ResponseError, as redis-py would raise them. Only plain
redis:// URLs: anything else (TLS, unix sockets) makes `for_url` return None
and the caller uses redis-py.
"""
import os
import socket
import threading

import hiredis
import redis


class FastConnection:
    def __init__(self, *, host, port, db, username, password, timeout):
        self.host, self.port, self.db, self.username, self.password = host, port, db, username, password
        self.timeout = timeout
        self._local = threading.local()

    @classmethod
    def for_url(cls, url, *, timeout):
        if not url.startswith("redis://"):
            return None
        kwargs = redis.ConnectionPool.from_url(url).connection_kwargs
        return cls(host=kwargs.get("host") or "localhost", port=int(kwargs.get("port") or 6379),
                   db=int(kwargs.get("db") or 0), username=kwargs.get("username"), password=kwargs.get("password"),
                   timeout=timeout)

    def call(self, *args):
        """Run one command; returns its reply, or a hiredis.ReplyError instance for an error reply."""
        try:
            return self._exchange(args)
        except (OSError, hiredis.ProtocolError):
            self.close()
        try:
            return self._exchange(args)
        except (OSError, hiredis.ProtocolError) as exc:
            self.close()
            raise redis.ConnectionError(f"Redis at {self.host}:{self.port}: {exc}") from exc

    def close(self):
        sock = getattr(self._local, "sock", None)
        self._local.sock = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _exchange(self, args):
        sock, reader = self._connected()
        sock.sendall(hiredis.pack_command(args))
        return self._reply(sock, reader)

    @staticmethod
    def _reply(sock, reader):
        while True:
            reply = reader.gets()
            if reply is not False:
                return reply
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("Redis closed the connection")
            reader.feed(chunk)

    def _connected(self):
        local = self._local
        if getattr(local, "sock", None) is not None and local.pid == os.getpid():
            return local.sock, local.reader
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = hiredis.Reader()
        try:
            for command in self._handshake():
                sock.sendall(hiredis.pack_command(command))
                reply = self._reply(sock, reader)
                if isinstance(reply, hiredis.ReplyError):
                    raise redis.ConnectionError(f"Redis refused {command[0]}: {reply}")
        except BaseException:
            sock.close()
            raise
        local.sock, local.reader, local.pid = sock, reader, os.getpid()
        return sock, reader

    def _handshake(self):
        if self.password:
            yield ("AUTH", self.username, self.password) if self.username else ("AUTH", self.password)
        if self.db:
            yield ("SELECT", str(self.db))


def script_run(connection, script, sha, keys, args):
    """EVALSHA, falling back to EVAL (which loads the script) when the server does not know it yet."""
    reply = connection.call("EVALSHA", sha, str(len(keys)), *keys, *args)
    if isinstance(reply, hiredis.ReplyError) and str(reply).startswith("NOSCRIPT"):
        reply = connection.call("EVAL", script, str(len(keys)), *keys, *args)
    if isinstance(reply, hiredis.ReplyError):
        raise redis.ResponseError(str(reply))
    return reply
