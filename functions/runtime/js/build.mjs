// Bundles the sandbox prelude (globals + driver) into dist/prelude.js, evaluated in
// every new V8 context, and the big libraries (lodash, moment-timezone, whatwg-url)
// into dist/lib/*.js, which Python evaluates only into contexts whose code names
// them: they are ~1.4 MB, and loading them everywhere tripled a cold start.
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";

const common = {
  bundle: true,
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  // UMD-style packages (the text codec polyfill) install onto `global`.
  define: { global: "globalThis" },
  logLevel: "warning",
  write: false,
};

const LAZY = {
  lodash: 'export { default } from "lodash";',
  moment: 'export { default } from "moment-timezone";',
  url: 'export { URL, URLSearchParams } from "whatwg-url";',
};

async function lazySource(code) {
  const result = await build({
    ...common,
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
  outfile: "dist/prelude.js",
  format: "iife",
  write: true,
});
