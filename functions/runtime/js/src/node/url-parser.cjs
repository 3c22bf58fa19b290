// whatwg-url's state machine, initialised on first use: most URLs a function fetches
// never need it (see node-url.js), and a new context need not build it.
"use strict";

let machine = null;

module.exports = function urlParser() {
  if (machine === null) machine = require("whatwg-url/lib/url-state-machine.js");
  return machine;
};
