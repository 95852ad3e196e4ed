// The bundled client against the real `segdsl lsp` (not the fake server): the
// handshake with the extension's initialization options, then requests as the
// editor sends them. The server is the repository's `.venv/bin/segdsl`, or
// SEGDSL_LSP_COMMAND; without either, the test is skipped.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const Module = require("node:module");
const os = require("node:os");
const path = require("node:path");
const { after, test } = require("node:test");

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === "vscode" ? path.join(__dirname, "vscode-stub.js") : request, ...rest);
};
const vscode = require("vscode");
const extension = require("../../dist/extension.js");

const venv = path.resolve(__dirname, "..", "..", "..", "..", ".venv", "bin", "segdsl");
const command = process.env.SEGDSL_LSP_COMMAND || (fs.existsSync(venv) ? venv : undefined);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "segdsl-real-"));
const context = { subscriptions: [] };

after(async () => {
  await extension.deactivate();
  for (const d of context.subscriptions) d.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("the extension's client speaks to segdsl lsp", { skip: command ? false : "no segdsl with the lsp extra" }, async () => {
  const model = path.join(tmp, "m.seg");
  const text = 'entity customers from "customers" key id\nfeature spend = 1\nsegment big = spend > 0\n';
  fs.writeFileSync(model, text);
  vscode.__reset();
  vscode.__setFolder(tmp);
  for (const [k, v] of Object.entries({ "server.path": command, "server.args": ["lsp"], "codeLens.asOf": "2026-06-30" })) {
    vscode.__settings.set(`segdsl.${k}`, v);
  }
  await extension.activate(context);
  const client = extension.currentClient();
  assert.ok(client && client.isRunning(), `not running; output:\n${vscode.__recorded.output.join("\n")}`);
  const caps = client.initializeResult.capabilities;
  for (const c of ["hoverProvider", "completionProvider", "definitionProvider", "referencesProvider", "renameProvider",
    "documentSymbolProvider", "workspaceSymbolProvider", "documentFormattingProvider", "codeLensProvider",
    "semanticTokensProvider", "foldingRangeProvider"]) {
    assert.ok(caps[c], `the server offers ${c}`);
  }
  const uri = `file://${model}`;
  await client.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "segdsl", version: 1, text } });
  const symbols = await client.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
  assert.deepEqual(symbols.map((s) => s.name), ["customers", "spend", "big"]);
  const hover = await client.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line: 2, character: 15 } });
  assert.match(hover.contents.value, /^\*\*feature\*\* `spend`/);
  assert.deepEqual(vscode.__recorded.errors, []);
});
