// Bundles the sandbox prelude (globals + driver) into dist/prelude.js, evaluated in
// every new V8 context, and the big libraries (lodash, moment-timezone, whatwg-url)
// into dist/lib/*.js, which Python evaluates only into contexts whose code names
// them: they are ~1.4 MB, and loading them everywhere tripled a cold start.
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { STATUS_CODES } from "node:http";

// node-fetch, form-data and xml are Node packages: their imports of Node's modules go to
// the sandbox's own (src/node/*) or to their browser ports on npm. `http` only lends
// its STATUS_CODES table (Response's default statusText), taken from the Node.js that
// builds the bundle.
const nodeHttp = {
  name: "node-http",
  setup(b) {
    b.onResolve({ filter: /^https?$/ }, (args) => ({ path: args.path, namespace: "node-http" }));
    b.onLoad({ filter: /.*/, namespace: "node-http" }, (args) => ({
      contents: args.path === "http"
        ? `export const STATUS_CODES = ${JSON.stringify(STATUS_CODES)}; export default { STATUS_CODES };`
        : "export default {};",
    }));
  },
};

// The fetch path of the prelude: node-fetch's `url` and `whatwg-url` are Node's as node-fetch
// 2.7 uses them on Node.js 20 (src/node/node-url.js: the legacy parser and whatwg-url's
// state machine), not whatwg-url 5, node-fetch's fallback for Node.js < 10. tr46's tables
// load only for a non-ASCII or punycode host; the legacy multi-byte encodings, which a
// URL parsed as UTF-8 never reaches, stay out.
const preludeUrl = {
  name: "prelude-url",
  setup(b) {
    const from = (args, dir) => args.importer.includes(`/node_modules/${dir}/`);
    const local = (file) => ({ path: new URL(file, import.meta.url).pathname });
    b.onResolve({ filter: /^(url|whatwg-url)$/ }, (args) => (from(args, "node-fetch") ? local("./src/node/node-url.js") : undefined));
    b.onResolve({ filter: /^tr46$/ }, (args) => (from(args, "whatwg-url") ? local("./src/node/tr46-lazy.cjs") : undefined));
    // tr46's tables are ~240 KB of source in a prelude every new context parses. Its
    // mapping table as one string given to JSON.parse (V8 scans a string far faster than
    // it parses an array literal of 9,000 entries), its Unicode classes as `new RegExp` of
    // strings (a regular expression literal's syntax is checked while parsing): both are
    // built only when tr46 first runs.
    b.onLoad({ filter: /[\\/]tr46[\\/]lib[\\/]mappingTable\.json$/ }, async (args) => ({
      contents: `module.exports = JSON.parse(${JSON.stringify(JSON.stringify(JSON.parse(await readFile(args.path, "utf8"))))});`,
      loader: "js",
    }));
    b.onLoad({ filter: /[\\/]tr46[\\/]lib[\\/]regexes\.js$/ }, async (args) => {
      const regexes = (await import(args.path)).default;
      const entries = Object.entries(regexes).map(([name, re]) => `${name}: new RegExp(${JSON.stringify(re.source)}, ${JSON.stringify(re.flags)})`);
      return { contents: `module.exports = { ${entries.join(", ")} };`, loader: "js" };
    });
    b.onResolve({ filter: /^@exodus\/bytes\/encoding\.js$/ }, (args) => (from(args, "whatwg-url") ? local("./src/node/empty.js") : undefined));
  },
};

const common = {
  bundle: true,
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  // UMD-style packages (the text codec polyfill) install onto `global`.
  define: { global: "globalThis", "process.env.NODE_DEBUG": "undefined", "process.env.NODE_ENV": '"production"' },
  alias: {
    stream: "./src/node/stream.js",
    zlib: "./src/node/empty.js",
    fs: "./src/node/empty.js",
    path: "path-browserify",
    // The `url` package's query parsing: Node's own querystring (its port), as Node's
    // url.parse uses, rather than qs and its dependency tree.
    qs: "querystring-es3",
  },
  inject: ["./src/node/buffer-global.js"],
  plugins: [nodeHttp],
  logLevel: "warning",
  write: false,
};

const LAZY = {
  lodash: 'export { default } from "lodash";',
  moment: 'export { default } from "moment-timezone";',
  // Node's URL errors carry code ERR_INVALID_URL and the input; handlers test for them.
  url: `import { URL as WhatwgURL, URLSearchParams } from "whatwg-url";
    class URL extends WhatwgURL {
      constructor(input, base) {
        try { super(input, base); } catch (err) {
          if (err instanceof TypeError) { err.message = "Invalid URL"; err.code = "ERR_INVALID_URL"; err.input = String(input); }
          throw err;
        }
      }
    }
    Object.defineProperty(URL, "name", { value: "URL" });
    export { URL, URLSearchParams };`,
  xml: 'export { default } from "xml";',
  oauth: 'export { default } from "oauth-1.0a";',
  // form-data (the product's FormData) from its Node entry point: its "browser" build is
  // only `window.FormData`, which V8 does not have.
  formdata: 'export { default } from "form-data/lib/form_data.js";',
};

async function lazySource(code) {
  const result = await build({
    ...common,
    alias: { ...common.alias, crypto: "./src/node/lazy-crypto.js" },
    inject: ["./src/node/lazy-globals.js"],
    stdin: { contents: code, resolveDir: process.cwd() },
    format: "iife",
    globalName: "__lazy_module",
  });
  return result.outputFiles[0].text;
}

mkdirSync("dist/lib", { recursive: true });
for (const [name, code] of Object.entries(LAZY)) {
  const text = await lazySource(code);
  writeFileSync(`dist/lib/${name}.js`, `__functions_driver.provide(${JSON.stringify(name)}, null);\n(() => {${text}\n__functions_driver.provide(${JSON.stringify(name)}, __lazy_module);})();\n`);
}

await build({
  ...common,
  entryPoints: ["src/prelude.js"],
  plugins: [nodeHttp, preludeUrl],
  outfile: "dist/prelude.js",
  format: "iife",
  write: true,
});
