"""A minimal HTTP/1.1 webhook receiver for the pipeline bench, in its own process, on one
epoll loop (no asyncio: its event loop, transports and protocol callbacks were about half
of this process's CPU per request).

Every POST is really parsed (orjson: the receiver shares the machine's two cores with the
pipeline it measures): its headers, its JSON body, its messageId (counted, duplicates
too) and whether the Idempotency-Key header matches it; it answers 200. `GET /count`
answers {"posts", "unique", "key_mismatches", "bad_bodies"}.
Usage: python bench/webhook_receiver.py PORT"""

import json
import select
import socket
import sys

import orjson

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


class Counts:
    def __init__(self) -> None:
        self.posts = 0
        self.ids: set[str] = set()
        self.key_mismatches = 0
        self.bad_bodies = 0

    def record(self, key: bytes, body: bytes) -> None:
        self.posts += 1
        try:
            message_id = orjson.loads(body)["messageId"]
        except (ValueError, KeyError, TypeError):
            self.bad_bodies += 1
            return
        self.ids.add(message_id)
        if key.decode() != message_id:
            self.key_mismatches += 1

    def report(self) -> bytes:
        body = json.dumps(
            {
                "posts": self.posts,
                "unique": len(self.ids),
                "key_mismatches": self.key_mismatches,
                "bad_bodies": self.bad_bodies,
            }
        ).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
        return head.encode() + b"Content-Type: application/json\r\n\r\n" + body


COUNTS = Counts()


def _header(head: bytes, lowered: bytes, name: bytes) -> bytes | None:
    """The value of header `name` (lowercase, with its colon) in `head`, found in `lowered`
    (the head in lowercase, for the name's match); None when absent."""
    start = lowered.find(b"\r\n" + name)
    if start < 0:
        return None
    start += 2 + len(name)
    end = head.find(b"\r\n", start)
    return head[start : len(head) if end < 0 else end].strip()


def answered(buffer: bytes) -> tuple[bytes, bytes]:
    """The answers to every whole request at the start of `buffer`, and what is left. The
    two headers the receiver reads are found by name (case-insensitively) rather than every
    header put in a dict: a Python loop per header line was a third of its CPU."""
    out = b""
    while True:
        head, sep, rest = buffer.partition(b"\r\n\r\n")
        if not sep:
            return out, buffer
        lowered = head.lower()
        length = int(_header(head, lowered, b"content-length:") or b"0")
        if len(rest) < length:
            return out, buffer
        body, buffer = rest[:length], rest[length:]
        if head.startswith(b"GET /count"):
            out += COUNTS.report()
            continue
        COUNTS.record(_header(head, lowered, b"idempotency-key:") or b"", body)
        out += OK


def serve(port: int) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    listener.setblocking(False)
    poller = select.epoll()
    poller.register(listener.fileno(), select.EPOLLIN)
    # One buffer for every read: recv(n) allocates n bytes and shrinks them (an mmap,
    # mremap and munmap per request at 256 KiB).
    incoming = bytearray(262144)
    view = memoryview(incoming)
    conns: dict[int, socket.socket] = {}
    pending: dict[int, bytes] = {}
    while True:
        for fd, _ in poller.poll():
            if fd == listener.fileno():
                while True:
                    try:
                        conn, _ = listener.accept()
                    except BlockingIOError:
                        break
                    conn.setblocking(False)
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    conns[conn.fileno()] = conn
                    pending[conn.fileno()] = b""
                    poller.register(conn.fileno(), select.EPOLLIN)
                continue
            conn = conns[fd]
            try:
                size = conn.recv_into(incoming)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                size = 0
            if not size:
                poller.unregister(fd)
                conn.close()
                del conns[fd], pending[fd]
                continue
            out, pending[fd] = answered(pending[fd] + view[:size])
            if out:
                conn.sendall(out)  # small answers: the socket's buffer takes them


if __name__ == "__main__":
    serve(int(sys.argv[1]))
