"""A minimal asyncio HTTP/1.1 webhook receiver for the pipeline bench, in its own process.

Every POST is really parsed (orjson: the receiver shares the machine's two cores with the
pipeline it measures): its headers, its JSON body, its messageId (counted, duplicates
too) and whether the Idempotency-Key header matches it; it answers 200. `GET /count`
answers {"posts", "unique", "key_mismatches", "bad_bodies"}.
Usage: python bench/webhook_receiver.py PORT"""

import asyncio
import json
import sys

import orjson

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


class Counts:
    def __init__(self) -> None:
        self.posts = 0
        self.ids: set[str] = set()
        self.key_mismatches = 0
        self.bad_bodies = 0

    def record(self, headers: dict[bytes, bytes], body: bytes) -> None:
        self.posts += 1
        try:
            message_id = orjson.loads(body)["messageId"]
        except (ValueError, KeyError, TypeError):
            self.bad_bodies += 1
            return
        self.ids.add(message_id)
        if headers.get(b"idempotency-key", b"").decode() != message_id:
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


class Receiver(asyncio.BufferedProtocol):
    """Reads into one buffer per connection: asyncio's plain Protocol allocates a 256 KiB
    bytes object for every read and shrinks it (an mmap, mremap and munmap per request, and
    their page faults), which was most of this process's CPU in the pipeline bench."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""
        self.incoming = memoryview(bytearray(65536))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.incoming

    def buffer_updated(self, nbytes: int) -> None:
        self.buffer += self.incoming[:nbytes]
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            lines = head.split(b"\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0"))
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            if lines[0].startswith(b"GET /count"):
                self.transport.write(COUNTS.report())  # type: ignore[attr-defined]
                continue
            COUNTS.record(headers, body)
            self.transport.write(OK)  # type: ignore[attr-defined]


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Receiver, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
