// Prints every token of .seg files with its scopes, as the editor sees them:
//   node scripts/tokens.mjs examples/retail.seg
// A debugging aid for the grammar (the tests use vscode-tmgrammar-test).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = path.dirname(fileURLToPath(import.meta.url));
const grammarPath = path.join(here, "..", "syntaxes", "seg.tmLanguage.json");
const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
await oniguruma.loadWASM(wasm);

const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (text) => new oniguruma.OnigString(text),
  }),
  loadGrammar: async (scopeName) =>
    scopeName === "source.seg"
      ? vsctm.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath)
      : null,
});
const grammar = await registry.loadGrammar("source.seg");

for (const file of process.argv.slice(2)) {
  let stack = vsctm.INITIAL;
  readFileSync(file, "utf8").split(/\r?\n/).forEach((line, n) => {
    const { tokens, ruleStack } = grammar.tokenizeLine(line, stack);
    stack = ruleStack;
    for (const t of tokens) {
      const text = line.slice(t.startIndex, t.endIndex);
      if (text.trim() === "") continue;
      const scopes = t.scopes.slice(1).join(" ");
      console.log(`${file}:${n + 1}:${t.startIndex + 1}\t${JSON.stringify(text)}\t${scopes}`);
    }
  });
}
