// Node's `url` module as node-fetch 2.7 sees it on Node.js 20, for the fetch path of the
// prelude: the legacy url.parse/format/resolve (the `url` package, the port of Node's own
// code) and a WHATWG `URL` (whatwg-url's parser, the spec's state machine). node-fetch 2.7
// normalises every request URL with both: `new URL(input).toString()` for an absolute URL,
// then url.parse, whose auto-escaping and `path` are what Node's http module sends.
import legacy from "url";
import urlParser from "./url-parser.cjs";
import tr46 from "./tr46-lazy.cjs";

const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// WebIDL's USVString conversion, as Node's URL applies it to its input.
function usv(value) {
  return String(value).replace(lone, "\uFFFD");
}

function invalid(input) {
  const error = new TypeError("Invalid URL");
  error.code = "ERR_INVALID_URL";
  error.input = input;
  return error;
}

// whatwg-url 17 follows the URL Standard of 2025: an all-ASCII host is only lower-cased.
// Node.js 20's URL (Ada) still runs ToASCII on it, which refuses an "xn--" label that is
// not valid Punycode ("http://xn--/"): the one way the two differ for an ASCII host.
const punycodeLabel = /(^|\.)xn--/;
const special = new Set(["http", "https", "ws", "wss", "ftp", "file"]);
function punycodeValid({ scheme, host }) {
  if (!special.has(scheme) || typeof host !== "string" || !punycodeLabel.test(host)) return true;
  const options = { checkBidi: true, checkJoiners: true, transitionalProcessing: false };
  const ascii = tr46.toASCII(host, options);
  return ascii !== null && ascii !== "";
}

// A URL the parser would give back unchanged: http(s), a lower-case host name (no
// punycode, no final label that could make it an IPv4 address), a port that is not the
// default, a path of unreserved and sub-delimiter characters with no dot segment and no
// "%" (a "%2e" segment is a dot segment), a query of the same or "%" and "?", no userinfo,
// no fragment. whatwg-url's parser takes ~30 us a URL in the sandbox, and nearly every
// URL a function fetches looks like this; the differential test's fuzz case checks the
// shortcut against Node.js.
const canonical = /^(https?):\/\/((?:[a-z0-9-]+\.)*[a-z-][a-z0-9-]*)(?::([1-9][0-9]{0,4}))?(\/[A-Za-z0-9\-._~!$&()*+,;=:@/]*)(\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;
const dotSegment = /\/\.\.?(?:\/|$)/;

function unchanged(text) {
  const match = canonical.exec(text);
  if (match === null) return null;
  const [, scheme, host, port, path] = match;
  if (port !== undefined && (Number(port) > 65535 || Number(port) === (scheme === "https" ? 443 : 80))) return null;
  if (host.startsWith("xn--") || host.includes(".xn--") || dotSegment.test(path)) return null;
  return { scheme, host };
}

// What node-fetch reads of a URL object: href, protocol, hostname.
export class URL {
  constructor(input, base) {
    const text = usv(input);
    const plain = base === undefined ? unchanged(text) : null;
    if (plain !== null) {
      this.href = text;
      this.protocol = `${plain.scheme}:`;
      this.hostname = plain.host;
      return;
    }
    const { basicURLParse, serializeURL, serializeHost } = urlParser();
    let baseRecord;
    if (base !== undefined) {
      baseRecord = basicURLParse(usv(base));
      if (baseRecord === null) throw invalid(String(base));
    }
    const record = basicURLParse(text, { baseURL: baseRecord });
    if (record === null || !punycodeValid(record)) throw invalid(text);
    this.href = serializeURL(record);
    this.protocol = `${record.scheme}:`;
    this.hostname = record.host === null ? "" : serializeHost(record.host);
  }

  toString() {
    return this.href;
  }
}

// The `url` package splits off the query at the first "?" only when a "#" follows it
// (`queryIndex < url.indexOf('#')`), so without a fragment it turns the backslashes of
// the query into "/" too. Node's url.parse stops at the first "?" or "#" and escapes the
// backslashes after it as %5C: escaped here first, the package then leaves them alone.
function parse(url, parseQueryString, slashesDenoteHost) {
  if (typeof url === "string") {
    const end = url.search(/[?#]/);
    if (end !== -1) url = url.slice(0, end) + url.slice(end).replace(/\\/g, "%5C");
  }
  return legacy.parse(url, parseQueryString, slashesDenoteHost);
}

export const { format, resolve } = legacy;
export { parse };
export default { parse, format, resolve, URL, Url: legacy.Url };
