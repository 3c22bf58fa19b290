// The subset of Node's `crypto` module the product documents, on audited pure-JS
// primitives (@noble). Randomness is a ChaCha20 keystream keyed with 32 bytes of
// os.urandom() that Python injects before every crossing into V8: a CSPRNG, never
// Math.random.
import { Buffer } from "buffer";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha224, sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { v4 as uuidv4 } from "uuid";

const ALGORITHMS = { md5, sha1, sha224, sha256, sha384, sha512 };

function algorithm(name) {
  const fn = ALGORITHMS[String(name).toLowerCase().replace(/^rsa-/, "").replace("-", "")];
  if (!fn) throw new Error(`Digest method not supported: ${name}`);
  return fn;
}

function toBytes(data, encoding) {
  if (typeof data === "string") return Buffer.from(data, encoding || "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
}

class Digest {
  constructor(inner) {
    this._inner = inner;
  }
  update(data, encoding) {
    this._inner.update(toBytes(data, encoding));
    return this;
  }
  digest(encoding) {
    const out = Buffer.from(this._inner.digest());
    return encoding ? out.toString(encoding) : out;
  }
}

let key = null;
let counter = 0;

export function reseed(base64Key) {
  key = Uint8Array.from(Buffer.from(base64Key, "base64"));
  counter = 0;
}

function keystream(size) {
  if (!key) throw new Error("crypto: no entropy available");
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(0, counter % 0x100000000, true);
  view.setUint32(4, Math.floor(counter / 0x100000000), true);
  counter += 1;
  return chacha20(key, nonce, new Uint8Array(size));
}

function randomBytes(size, callback) {
  const n = Number(size);
  if (!Number.isInteger(n) || n < 0 || n > 65536 * 16) throw new RangeError('The value of "size" is out of range.');
  const bytes = Buffer.from(keystream(n));
  if (typeof callback === "function") {
    Promise.resolve().then(() => callback(null, bytes));
    return undefined;
  }
  return bytes;
}

function getRandomValues(array) {
  if (!ArrayBuffer.isView(array)) throw new TypeError("getRandomValues expects a typed array");
  const bytes = keystream(array.byteLength);
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
  return array;
}

export const crypto = Object.freeze({
  createHash: (name) => new Digest(algorithm(name).create()),
  createHmac: (name, secret) => new Digest(hmac.create(algorithm(name), toBytes(secret))),
  randomBytes,
  randomUUID: () => uuidv4({ random: keystream(16) }),
  getRandomValues,
  getHashes: () => Object.keys(ALGORITHMS),
});
