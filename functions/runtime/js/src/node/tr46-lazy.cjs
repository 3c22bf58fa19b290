// tr46 (UTS #46 IDNA processing) for the URL parser of the prelude. A host that is all
// ASCII and has no "xn--" label maps to its lower case under the options whatwg-url
// passes (no STD3 rules, no DNS length check: every ASCII code point is valid or mapped
// to lower case, and the bidi and joiner rules concern non-ASCII code points only). Any
// other host goes to the real tr46, whose tables are evaluated only then: most contexts
// never need them.
"use strict";

const plain = /^[\x00-\x7F]*$/;
const punycodeLabel = /(^|\.)xn--/i;

function toASCII(domain, options) {
  if (plain.test(domain) && !punycodeLabel.test(domain)) return domain.toLowerCase();
  return require("tr46/index.js").toASCII(domain, options);
}

module.exports = { toASCII };
