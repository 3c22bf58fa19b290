// fetch with node-fetch v2 semantics. Headers/Request/Response come from whatwg-fetch;
// the transport is Python (httpx), which applies the SSRF rules, timeouts and caps.
import { Buffer } from "buffer";
import { Headers, Request, Response } from "whatwg-fetch";
import { addPending, state, takePending } from "./state.js";

export class FetchError extends Error {
  constructor(message, type, systemError) {
    super(message);
    this.name = "FetchError";
    this.type = type;
    if (systemError && systemError.code) this.code = this.errno = systemError.code;
  }
}

function utf8Text() {
  if (this.bodyUsed) return Promise.reject(new TypeError("body used already"));
  this.bodyUsed = true;
  if (this._bodyArrayBuffer) return Promise.resolve(Buffer.from(this._bodyArrayBuffer).toString("utf8"));
  return Promise.resolve(this._bodyText === undefined ? "" : String(this._bodyText));
}

// whatwg-fetch decodes binary bodies as Latin-1; node-fetch decodes UTF-8 and offers buffer().
for (const cls of [Request, Response]) {
  cls.prototype.text = utf8Text;
  cls.prototype.buffer = function buffer() {
    return this.arrayBuffer().then((ab) => Buffer.from(ab));
  };
}
Response.prototype.arrayBuffer = function arrayBuffer() {
  if (this.bodyUsed) return Promise.reject(new TypeError("body used already"));
  this.bodyUsed = true;
  if (this._bodyArrayBuffer) return Promise.resolve(this._bodyArrayBuffer.slice(0));
  const bytes = Buffer.from(this._bodyText || "", "utf8");
  return Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};
Headers.prototype.raw = function raw() {
  const out = {};
  this.forEach((value, name) => {
    out[name] = name === "set-cookie" ? value.split(", ") : [value];
  });
  return out;
};

function isSearchParams(value) {
  return Object.prototype.toString.call(value) === "[object URLSearchParams]";
}

function requestBody(request) {
  if (request._bodyArrayBuffer) return Buffer.from(request._bodyArrayBuffer).toString("base64");
  if (request._noBody || request._bodyText === undefined) return null;
  return Buffer.from(String(request._bodyText), "utf8").toString("base64");
}

function buildRequest(input, init) {
  const options = { ...(init || {}) };
  if (isSearchParams(options.body)) {
    const headers = new Headers(options.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
    options.headers = headers;
    options.body = options.body.toString();
  }
  const target = input instanceof Request ? input : String(input && input.href ? input.href : input);
  return new Request(target, options);
}

export function fetch(input, init) {
  return new Promise((resolve, reject) => {
    const request = buildRequest(input, init);
    const options = init || {};
    const count = (state.fetchCounts.get(state.current) || 0) + 1;
    state.fetchCounts.set(state.current, count);
    if (count > state.maxFetches) {
      throw new FetchError(`request to ${request.url} failed, reason: more than ${state.maxFetches} requests in one invocation`, "max-requests");
    }
    const headers = [];
    request.headers.forEach((value, name) => headers.push([name, value]));
    const { id } = addPending("fetch", { resolve, reject, url: request.url, method: request.method });
    state.outbox.push({
      id,
      slot: state.current,
      method: request.method,
      url: request.url,
      headers,
      body: requestBody(request),
      redirect: options.redirect || "follow",
      follow: options.follow === undefined ? 20 : Number(options.follow),
      timeout: Number(options.timeout) || 0,
      size: Number(options.size) || 0,
    });
  });
}

export function settleFetch(result) {
  const entry = takePending(result.id);
  if (!entry) return;
  state.current = entry.slot;
  if (result.error) {
    const kind = result.error.type || "system";
    entry.reject(new FetchError(`request to ${entry.url} failed, reason: ${result.error.message}`, kind, result.error));
    return;
  }
  const nullBody = entry.method === "HEAD" || [101, 204, 205, 304].includes(result.status);
  const bytes = nullBody || result.body === null ? null : Buffer.from(result.body, "base64");
  const body = bytes && bytes.length ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) : null;
  const response = new Response(body || (nullBody ? null : ""), {
    status: result.status,
    statusText: result.statusText,
    headers: result.headers,
    url: result.url,
  });
  response.redirected = Boolean(result.redirected);
  entry.resolve(response);
}

export { Headers, Request, Response };
