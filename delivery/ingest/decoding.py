"""The decode step of the tracking API: `Content-Encoding: gzip` / `deflate` bodies, inflated
with a bound so that a small compressed body cannot expand without limit (zip bombs)."""

import zlib

# wbits: 16 + MAX_WBITS reads a gzip member; MAX_WBITS a zlib stream, which is what HTTP's
# "deflate" names; some clients send raw deflate (no zlib header) under that name, hence -MAX_WBITS.
_GZIP = (16 + zlib.MAX_WBITS,)
_DEFLATE = (zlib.MAX_WBITS, -zlib.MAX_WBITS)
_WBITS = {"gzip": _GZIP, "x-gzip": _GZIP, "deflate": _DEFLATE}


class UndecodableBody(ValueError):
    """A body this server cannot turn into bytes; `status` is the HTTP answer to give."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _inflate(raw: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    # max_length stops inflating one byte past the limit: the rest is never produced.
    body = inflater.decompress(raw, limit + 1)
    if len(body) > limit:
        raise UndecodableBody(413, f"the decompressed request is larger than {limit // 1024} KB")
    if not inflater.eof:
        raise zlib.error("the compressed body is truncated")
    return body


def body_decoded(raw: bytes, content_encoding: str, *, limit: int) -> bytes:
    """`raw` as sent, inflated per `content_encoding`; UndecodableBody past `limit` bytes."""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    attempts = _WBITS.get(encoding)
    if attempts is None:
        raise UndecodableBody(415, f"Content-Encoding {encoding!r} is not supported: use gzip")
    error: zlib.error | None = None
    for wbits in attempts:
        try:
            return _inflate(raw, wbits, limit)
        except zlib.error as failure:
            error = failure
    raise UndecodableBody(400, f"the {encoding} body cannot be decompressed: {error}")
