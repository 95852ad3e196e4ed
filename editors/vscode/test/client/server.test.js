// src/server.ts on its own: finding the command, the initialization options,
// the restart budget. Compiled here with esbuild, as the bundle is.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const Module = require("node:module");
const os = require("node:os");
const path = require("node:path");
const { test } = require("node:test");
const esbuild = require("esbuild");

const built = esbuild.buildSync({
  entryPoints: [path.join(__dirname, "..", "..", "src", "server.ts")],
  bundle: true, platform: "node", format: "cjs", write: false,
});
const server = new Module("server.js");
server._compile(built.outputFiles[0].text, "server.js");
const { RestartBudget, initializationOptions, readSettings, resolveCommand } = server.exports;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "segdsl-server-"));
const file = (name, mode) => {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, "#!/bin/sh\n", { mode });
  return p;
};

test("a bare command is looked up on PATH, skipping files that cannot be run", () => {
  const a = path.join(tmp, "a"), b = path.join(tmp, "b");
  file("a/segdsl", 0o644);
  const runnable = file("b/segdsl", 0o755);
  const env = { PATH: [path.join(tmp, "missing"), a, b].join(path.delimiter) };
  assert.equal(resolveCommand("segdsl", undefined, env, "linux"), runnable);
  assert.equal(resolveCommand("segdsl", undefined, { PATH: a }, "linux"), undefined);
  assert.equal(resolveCommand("segdsl", undefined, {}, "linux"), undefined);
});

test("on Windows the PATHEXT extensions are tried", () => {
  const cmd = file("win/segdsl.CMD", 0o755);
  const env = { Path: path.join(tmp, "win"), PATHEXT: ".EXE;.CMD" };
  assert.equal(resolveCommand("segdsl", undefined, env, "win32"), cmd);
});

test("a path is taken relative to the workspace folder, with ~ and ${workspaceFolder} expanded", () => {
  const venv = file("ws/.venv/bin/segdsl", 0o755);
  const ws = path.join(tmp, "ws");
  assert.equal(resolveCommand(".venv/bin/segdsl", ws, {}, "linux"), venv);
  assert.equal(resolveCommand("${workspaceFolder}/.venv/bin/segdsl", ws, {}, "linux"), venv);
  assert.equal(resolveCommand(venv, undefined, {}, "linux"), venv);
  assert.equal(resolveCommand("./nothing/segdsl", ws, {}, "linux"), undefined);
  const home = path.relative(os.homedir(), venv);
  if (!home.startsWith("..")) assert.equal(resolveCommand(`~/${home}`, undefined, {}, "linux"), venv);
});

test("settings fall back to the defaults when unset or malformed", () => {
  const values = { "server.path": "  ", "server.args": "lsp", "server.maxRestarts": -1 };
  assert.deepEqual(readSettings((key) => values[key]), {
    serverPath: "segdsl", serverArgs: ["lsp"], maxRestarts: 4, asOf: "", database: "",
  });
});

test("initialization options: empty settings are null, paths absolute, URLs untouched", () => {
  const base = { serverPath: "segdsl", serverArgs: [], maxRestarts: 4 };
  assert.deepEqual(initializationOptions({ ...base, asOf: "", database: "" }, "/ws"), {
    codeLens: { asOf: null, database: null },
  });
  assert.deepEqual(initializationOptions({ ...base, asOf: "2026-06-30", database: "shop.duckdb" }, "/ws").codeLens,
    { asOf: "2026-06-30", database: path.resolve("/ws", "shop.duckdb") });
  for (const url of ["duckdb:///data/shop.duckdb", "postgresql://analyst@db/shop", "spark://local[*]"]) {
    assert.equal(initializationOptions({ ...base, asOf: "", database: url }, "/ws").codeLens.database, url);
  }
});

test("the restart budget counts crashes within the window only", () => {
  let now = 0;
  const budget = new RestartBudget(2, 180_000, () => now);
  assert.equal(budget.crashed(), true);
  now = 1_000;
  assert.equal(budget.crashed(), true);
  now = 2_000;
  assert.equal(budget.crashed(), false, "a third crash within three minutes");
  now = 200_000;
  assert.equal(budget.crashed(), true, "the first crashes have aged out");
  assert.equal(budget.recent, 1);
  assert.equal(new RestartBudget(0).crashed(), false, "maxRestarts 0 never restarts");
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
