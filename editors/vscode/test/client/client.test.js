// The client as VS Code would run it: the bundled extension (dist/extension.js)
// is activated against a recording `vscode` module and starts fake-server.js
// as the configured server command. Run with `npm run test:client`.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const Module = require("node:module");
const os = require("node:os");
const path = require("node:path");
const { after, before, test } = require("node:test");

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === "vscode" ? path.join(__dirname, "vscode-stub.js") : request, ...rest);
};
const vscode = require("vscode");
const extension = require("../../dist/extension.js");

const FAKE = path.join(__dirname, "fake-server.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "segdsl-client-"));
const logFile = path.join(tmp, "server.log");
const context = { subscriptions: [] };

const events = () =>
  fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean).map(JSON.parse) : [];
const starts = () => events().filter((e) => e.event === "start");
const initializes = () => events().filter((e) => e.method === "initialize");
const alive = (pid) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

async function until(what, condition, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = condition();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  const log = events().map((e) => `${e.pid} ${e.event === "start" ? `start ${e.argv.join(" ")}` : e.method}`);
  assert.fail(`timed out waiting for ${what}; server log:\n${log.join("\n")}\nerrors shown: ${JSON.stringify(vscode.__recorded.errors)}\noutput:\n${vscode.__recorded.output.slice(-15).join("\n")}`);
}

function configure(values) {
  vscode.__settings.clear();
  for (const [key, value] of Object.entries(values)) vscode.__settings.set(`segdsl.${key}`, value);
}

before(() => {
  process.env.FAKE_SEGDSL_LOG = logFile;
  delete process.env.FAKE_SEGDSL_MODE;
  vscode.__setFolder(tmp);
  configure({
    "server.path": process.execPath,
    "server.args": [FAKE, "lsp", "--stdio-check"],
    "codeLens.asOf": "2026-06-30",
    "codeLens.database": "data/shop.duckdb",
  });
});

after(async () => {
  await extension.deactivate();
  for (const d of context.subscriptions) d.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("activation starts the configured command with its arguments in the workspace folder", async () => {
  await extension.activate(context);
  const [start] = await until("a server start", () => starts().length === 1 && starts());
  assert.deepEqual(start.argv, ["lsp", "--stdio-check"]);
  assert.equal(fs.realpathSync(start.cwd), fs.realpathSync(tmp));
  assert.ok(extension.currentClient().isRunning());
});

test("the server is told the code-lens as_of and database, the database made absolute", async () => {
  const [init] = await until("initialize", () => initializes().length === 1 && initializes());
  assert.deepEqual(init.params.initializationOptions, {
    codeLens: { asOf: "2026-06-30", database: path.join(tmp, "data", "shop.duckdb") },
  });
  assert.equal(init.params.processId, process.pid);
  assert.equal(init.params.rootUri === null ? null : typeof init.params.rootUri, "string");
});

test("a .seg document opened in the editor is sent to the server, other languages are not", async () => {
  const text = "segment vip = revenue >= 1000\n";
  vscode.__openDocument(path.join(tmp, "notes.txt"), "plaintext", "hello");
  vscode.__openDocument(path.join(tmp, "retail.seg"), "segdsl", text);
  const opened = await until("didOpen", () => events().filter((e) => e.method === "textDocument/didOpen").at(-1));
  assert.equal(opened.params.textDocument.languageId, "segdsl");
  assert.equal(opened.params.textDocument.text, text);
  assert.match(opened.params.textDocument.uri, /retail\.seg$/);
  assert.equal(events().filter((e) => e.method === "textDocument/didOpen").length, 1);
});

test("Show Output reveals the output channel", async () => {
  const shown = vscode.__recorded.shown;
  await vscode.commands.executeCommand("segdsl.showOutput");
  assert.equal(vscode.__recorded.shown, shown + 1);
});

test("Restart Language Server stops the old process and starts a new one", async () => {
  const [first] = starts();
  await vscode.commands.executeCommand("segdsl.restartServer");
  const second = await until("a second start", () => starts()[1]);
  assert.notEqual(second.pid, first.pid);
  await until("the first server to exit", () => !alive(first.pid));
  assert.ok(events().some((e) => e.pid === first.pid && e.method === "shutdown"), "the old server was shut down politely");
  assert.ok(extension.currentClient().isRunning());
});

test("a change of the code-lens settings restarts the server with the new options", async () => {
  vscode.__settings.set("segdsl.codeLens.asOf", "2025-12-31");
  vscode.__settings.set("segdsl.codeLens.database", "postgresql://analyst@db/shop");
  vscode.__fire("configuration", { affectsConfiguration: (section) => section === "segdsl.codeLens" || section === "segdsl" });
  const init = await until("initialize with the new settings", () =>
    initializes().find((e) => e.params.initializationOptions.codeLens.asOf === "2025-12-31"));
  assert.deepEqual(init.params.initializationOptions.codeLens, { asOf: "2025-12-31", database: "postgresql://analyst@db/shop" });
});

test("an unrelated setting does not restart the server", async () => {
  const before = starts().length;
  vscode.__fire("configuration", { affectsConfiguration: (section) => section === "editor.fontSize" });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(starts().length, before);
});

test("a crashing server is restarted server.maxRestarts times, then left stopped with a message", async () => {
  vscode.__settings.set("segdsl.server.maxRestarts", 2);
  process.env.FAKE_SEGDSL_MODE = "crash";
  const before = starts().length;
  vscode.__recorded.errors.length = 0;
  await vscode.commands.executeCommand("segdsl.restartServer");
  const error = await until("the crash message", () => vscode.__recorded.errors.find((e) => /crashed/.test(e.message)));
  assert.match(error.message, /crashed 3 times in the last 3 minutes and was not restarted again/);
  assert.deepEqual(error.items, ["Show Output", "Restart"]);
  // One message for the crash loop, not one per crash (a notification that was
  // being sent when the pipe broke may add its own "Sending … failed").
  assert.equal(vscode.__recorded.errors.filter((e) => /crash|restart/i.test(e.message)).length, 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(starts().length - before, 3, "one start and two restarts");
  assert.ok(!extension.currentClient().isRunning());
  delete process.env.FAKE_SEGDSL_MODE;
});

test("a segdsl without its language server is reported once, with the pip command, and not restarted", async () => {
  process.env.FAKE_SEGDSL_MODE = "no-lsp";
  vscode.__recorded.errors.length = 0;
  const before = starts().length;
  await vscode.commands.executeCommand("segdsl.restartServer");
  delete process.env.FAKE_SEGDSL_MODE;
  const error = await until("the start failure", () => vscode.__recorded.errors[0]);
  assert.match(error.message, /^The segdsl language server did not start: ".*fake-server\.js lsp --stdio-check" ended before it answered\. /);
  assert.match(error.message, /install it with pip install "segdsl\[lsp\]"/);
  assert.deepEqual(error.items, ["Show Output", "Copy Install Command"]);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(starts().length - before, 1, "a server that cannot start is not restarted");
  assert.equal(vscode.__recorded.errors.length, 1, JSON.stringify(vscode.__recorded.errors));
  assert.ok(vscode.__recorded.output.some((line) => line.includes("No such command 'lsp'")), "its stderr is in the output");
});

test("a missing segdsl command is reported with the pip command, and nothing is started", async () => {
  vscode.__settings.set("segdsl.server.path", "segdsl-not-installed-here");
  vscode.__recorded.errors.length = 0;
  vscode.__replyToError(() => "Copy Install Command");
  const before = starts().length;
  await vscode.commands.executeCommand("segdsl.restartServer");
  const error = await until("the missing-command message", () => vscode.__recorded.errors[0]);
  assert.equal(
    error.message,
    'The segdsl language server could not be started: there is no "segdsl-not-installed-here" on PATH. ' +
      'Install it with pip install "segdsl[lsp]" in the Python environment that VS Code sees, ' +
      'or set "segdsl.server.path" to its segdsl executable.',
  );
  await until("the copied command", () => vscode.__recorded.clipboard.length === 1);
  assert.deepEqual(vscode.__recorded.clipboard, ['pip install "segdsl[lsp]"']);
  assert.equal(starts().length, before);
  assert.equal(extension.currentClient(), undefined);
  vscode.__replyToError(() => undefined);
});

test("a message left unanswered does not hold up the next restart", async () => {
  vscode.__replyToError(() => new Promise(() => {}));  // the notification stays open
  vscode.__settings.set("segdsl.server.path", "segdsl-not-installed-here");
  await vscode.commands.executeCommand("segdsl.restartServer");
  process.env.FAKE_SEGDSL_MODE = "no-lsp";
  vscode.__settings.set("segdsl.server.path", process.execPath);
  await vscode.commands.executeCommand("segdsl.restartServer");
  delete process.env.FAKE_SEGDSL_MODE;
  const before = starts().length;
  await vscode.commands.executeCommand("segdsl.restartServer");
  await until("a start after two open messages", () => starts().length > before);
  assert.ok(extension.currentClient().isRunning());
  vscode.__replyToError(() => undefined);
});

test("a server path relative to the workspace folder is found there", async () => {
  const bin = path.join(tmp, ".venv", "bin");
  fs.mkdirSync(bin, { recursive: true });
  const script = path.join(bin, "segdsl");
  fs.writeFileSync(script, `#!/bin/sh\nexec "${process.execPath}" "${FAKE}" "$@"\n`, { mode: 0o755 });
  vscode.__settings.set("segdsl.server.path", ".venv/bin/segdsl");
  vscode.__settings.set("segdsl.server.args", ["lsp"]);
  const before = starts().length;
  await vscode.commands.executeCommand("segdsl.restartServer");
  const start = await until("a start through the venv script", () => starts()[before]);
  assert.deepEqual(start.argv, ["lsp"]);
  assert.ok(extension.currentClient().isRunning());
});

test("deactivation stops the server", async () => {
  const last = starts().at(-1);
  await extension.deactivate();
  await until("the server to exit", () => !alive(last.pid));
});
