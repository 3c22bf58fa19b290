// tr46 (UTS #46 IDNA processing) for the URL parser of the prelude, evaluated on first
// use: whatwg-url lower-cases an all-ASCII host itself and calls tr46 only for the others,
// so most contexts never build its tables.
"use strict";

function toASCII(domain, options) {
  return require("tr46/index.js").toASCII(domain, options);
}

module.exports = { toASCII };
