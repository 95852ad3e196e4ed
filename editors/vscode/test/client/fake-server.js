// A stand-in for `segdsl lsp` that speaks just enough LSP over stdio for the
// client's start-up to be observed: it logs how it was started and what the
// client sent, answers `initialize`, and (FAKE_SEGDSL_MODE=crash) exits right
// after the handshake as a crashing server would; FAKE_SEGDSL_MODE=no-lsp exits
// at once with a usage error, as segdsl without its lsp extra would.
"use strict";
const fs = require("node:fs");

const log = (event) => fs.appendFileSync(process.env.FAKE_SEGDSL_LOG, JSON.stringify(event) + "\n");
const mode = process.env.FAKE_SEGDSL_MODE || "ok";
log({ event: "start", pid: process.pid, argv: process.argv.slice(2), cwd: process.cwd() });
if (mode === "no-lsp") {
  // What `segdsl lsp` does where segdsl is installed without the server.
  process.stderr.write("Usage: segdsl [OPTIONS] COMMAND [ARGS]...\nError: No such command 'lsp'.\n");
  process.exit(2);
}

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

function handle(message) {
  log({ event: "message", pid: process.pid, method: message.method, params: message.params });
  if (message.method === "initialize") {
    send({ id: message.id, result: { capabilities: { textDocumentSync: 1 }, serverInfo: { name: "fake-segdsl" } } });
  } else if (message.method === "initialized" && mode === "crash") {
    process.exit(3);
  } else if (message.method === "shutdown") {
    send({ id: message.id, result: null });
  } else if (message.method === "exit") {
    process.exit(0);
  } else if (message.id !== undefined) {
    send({ id: message.id, result: null });
  }
}

let buffer = Buffer.alloc(0);
process.stdin.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const headerEnd = buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, headerEnd).toString("ascii"))[1]);
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
    buffer = buffer.subarray(headerEnd + 4 + length);
    handle(JSON.parse(body));
  }
});
process.stdin.on("end", () => process.exit(0));
