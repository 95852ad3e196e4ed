// Bundles the client and vscode-languageclient into dist/extension.js, so the
// .vsix needs no node_modules. `--production` minifies and drops source maps.
import { copyFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as esbuild from "esbuild";

const production = process.argv.includes("--production");
const require = createRequire(import.meta.url);

rmSync("dist", { recursive: true, force: true });
await esbuild.build({
  entryPoints: ["src/extension.ts"],
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node18",
  outfile: "dist/extension.js",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: "warning",
});

// vscode-languageclient kills a server that ignores `exit` with this script,
// which it looks for beside its own code: beside the bundle, once bundled.
const script = path.join(
  path.dirname(require.resolve("vscode-languageclient/node")),
  "lib",
  "node",
  "terminateProcess.sh",
);
copyFileSync(script, "dist/terminateProcess.sh");
