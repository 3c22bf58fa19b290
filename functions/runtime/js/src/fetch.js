// fetch as the product's runtime has it: node-fetch 2.7.0's own Headers, Request,
// Response and FetchError (bundled from npm), so URL normalisation, validation,
// statusText defaults, sorted header iteration, body-reuse and invalid-json errors are
// node-fetch's. Only the transport differs: Python (httpx) sends the request, applying
// the SSRF rules, time limits and size caps, and follows redirects as node-fetch would.
//
// The URL a request goes out with is node-fetch's on Node.js: its Request runs
// `new URL(input).toString()` then url.parse (./node/node-url.js), and Node's http module
// sends url.parse's `path` as the request target, `hostname[:port]` as Host and the
// user:password part as Basic credentials. Python sends that target byte for byte.
import { Buffer } from "buffer";
import { URL, format as formatUrl, parse as parseUrl } from "./node/node-url.js";
import { FetchError, Headers, Request, Response } from "node-fetch/lib/index.mjs";
import { addPending, state, takePending } from "./state.js";

// A form-data instance (the product's FormData) becomes its bytes, with node-fetch's
// multipart content type: the sandbox has no streams to pipe it through.
function formBody(init) {
  const body = init && init.body;
  if (!body || typeof body.getBoundary !== "function" || typeof body.getBuffer !== "function") return init;
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", `multipart/form-data;boundary=${body.getBoundary()}`);
  return { ...init, headers, body: body.getBuffer() };
}

// The url.parse result node-fetch's Request keeps (its internals are under a symbol).
function parsedUrl(request) {
  const internals = Object.getOwnPropertySymbols(request).find((s) => s.description === "Request internals");
  const parsed = internals && request[internals] && request[internals].parsedURL;
  return parsed || parseUrl(request.url);
}

// What node-fetch's getNodeRequestOptions rejects before any I/O.
function checkUrl(request) {
  const parsed = parsedUrl(request);
  if (!parsed.protocol || !parsed.hostname) throw new TypeError("Only absolute URLs are supported");
  if (!/^https?:$/.test(parsed.protocol)) throw new TypeError("Only HTTP(S) protocols are supported");
  return parsed;
}

// Node's http.ClientRequest: the Host header is the host name (an IPv6 address in
// brackets) and the port unless it is the scheme's default.
function hostHeader(parsed) {
  let host = parsed.hostname || "localhost";
  const colon = host.indexOf(":");
  if (colon !== -1 && host.indexOf(":", colon + 1) !== -1 && host[0] !== "[") host = `[${host}]`;
  const defaultPort = parsed.protocol === "https:" ? 443 : 80;
  if (parsed.port && Number(parsed.port) !== defaultPort) host += `:${parsed.port}`;
  return host;
}

function requestHeaders(request, parsed) {
  const headers = [];
  for (const [name, values] of Object.entries(request.headers.raw())) {
    for (const value of values) headers.push([name, value]);
  }
  if (request.body === null && /^(POST|PUT)$/.test(request.method) && !request.headers.has("content-length")) {
    headers.push(["content-length", "0"]);
  }
  // Node's http module turns the URL's (decoded) user:password into Basic credentials
  // unless the request has its own Authorization header.
  if (parsed.auth && !request.headers.has("authorization")) {
    headers.push(["authorization", `Basic ${Buffer.from(parsed.auth).toString("base64")}`]);
  }
  return headers;
}

// A URL as node-fetch 2.7 turns it into `request.url` (and a redirected response's url).
function normalisedUrl(url) {
  try {
    return formatUrl(parseUrl(new URL(url).toString()));
  } catch {
    return url;
  }
}

function requestBody(request) {
  const body = request.body;
  if (body === null || body === undefined) return null;
  if (Buffer.isBuffer(body)) return body.toString("base64");
  return Buffer.from(String(body), "utf8").toString("base64");
}

export function fetch(url, opts) {
  return new Promise((resolve, reject) => {
    const request = new Request(url, formBody(opts));
    const parsed = checkUrl(request);
    const count = (state.fetchCounts.get(state.current) || 0) + 1;
    state.fetchCounts.set(state.current, count);
    if (count > state.maxFetches) {
      throw new FetchError(`request to ${request.url} failed, reason: more than ${state.maxFetches} requests in one invocation`, "max-requests");
    }
    const { id } = addPending("fetch", { resolve, reject, request, parsed });
    state.outbox.push({
      id,
      slot: state.current,
      method: request.method,
      url: request.url,
      // The request target (path and query, escaped) and Host header Node sends.
      target: parsed.path || "/",
      host: hostHeader(parsed),
      headers: requestHeaders(request, parsed),
      body: requestBody(request),
      redirect: request.redirect,
      follow: request.follow,
      timeout: request.timeout,
      size: request.size,
    });
  });
}

// node-fetch's wording for the failures Python reports; after a redirect node-fetch
// names the URL it was redirected to.
function failure(entry, error) {
  const { request } = entry;
  const url = error.url ? normalisedUrl(error.url) : request.url;
  const parsed = error.url ? parseUrl(url) : entry.parsed;
  const type = error.type || "system";
  if (type === "request-timeout") return new FetchError(`network timeout at: ${url}`, type);
  if (type === "no-redirect") {
    return new FetchError(`uri requested responds with a redirect, redirect mode is set to error: ${url}`, type);
  }
  if (type !== "system") return new FetchError(error.message, type);
  let reason = error.message;
  const port = parsed.port || (parsed.protocol === "https:" ? 443 : 80);
  if (error.code === "ENOTFOUND") reason = `getaddrinfo ENOTFOUND ${parsed.hostname}`;
  else if (error.code === "ECONNREFUSED" && /refused|connection attempts failed/i.test(reason)) {
    reason = `connect ECONNREFUSED ${parsed.hostname}:${port}`;
  }
  return new FetchError(`request to ${url} failed, reason: ${reason}`, "system", error);
}

function responseHeaders(result, request) {
  const headers = new Headers();
  for (const [name, value] of result.headers || []) {
    try {
      // Node's http module hands node-fetch lower-cased names.
      headers.append(String(name).toLowerCase(), value);
    } catch {
      // node-fetch drops header names and values it considers invalid
    }
  }
  // node-fetch makes a manual redirect's Location absolute (`new URL(location, url)`),
  // and leaves one it cannot resolve as it came.
  const location = headers.get("location");
  if (request.redirect === "manual" && location !== null && [301, 302, 303, 307, 308].includes(result.status)) {
    try {
      headers.set("location", new URL(location, result.url ? normalisedUrl(result.url) : request.url).toString());
    } catch {
      // kept as sent
    }
  }
  return headers;
}

export function settleFetch(result) {
  const entry = takePending(result.id);
  if (!entry) return;
  state.current = entry.slot;
  if (result.error) {
    entry.reject(failure(entry, result.error));
    return;
  }
  const { request } = entry;
  const body = result.body === null || result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, "base64");
  entry.resolve(new Response(body, {
    url: result.redirected && result.url ? normalisedUrl(result.url) : request.url,
    status: result.status,
    statusText: result.statusText,
    headers: responseHeaders(result, request),
    size: request.size,
    timeout: request.timeout,
    counter: result.redirected ? 1 : 0,
  }));
}

export { FetchError, Headers, Request, Response };
