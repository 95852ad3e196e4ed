// The part of the `vscode` module that the extension and vscode-languageclient
// use while starting a server, recorded so a test can look at what happened.
// It stands in for the editor, not for the code under test.
"use strict";
const path = require("node:path");

const recorded = { errors: [], warnings: [], infos: [], commands: new Map(), executed: [], output: [], shown: 0, clipboard: [] };
const settings = new Map();
let replyToError = () => undefined;

class Disposable {
  constructor(fn) { this._fn = fn; }
  static from(...items) { return new Disposable(() => items.forEach((i) => i && i.dispose && i.dispose())); }
  dispose() { if (this._fn) { const fn = this._fn; this._fn = undefined; fn(); } }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener, thisArg) => {
      const bound = thisArg ? listener.bind(thisArg) : listener;
      this._listeners.add(bound);
      return new Disposable(() => this._listeners.delete(bound));
    };
  }
  fire(value) { for (const l of [...this._listeners]) l(value); }
  dispose() { this._listeners.clear(); }
}

class Uri {
  constructor(scheme, fsPath) { this.scheme = scheme; this.fsPath = fsPath; this.path = fsPath; this.authority = ""; this.query = ""; this.fragment = ""; }
  static file(p) { return new Uri("file", path.resolve(p)); }
  static parse(s) { const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(s); return m ? new Uri(m[1], m[2]) : new Uri("file", s); }
  toString() { return `${this.scheme}://${this.fsPath}`; }
  with(change) { return Object.assign(new Uri(this.scheme, this.fsPath), change); }
  toJSON() { return { scheme: this.scheme, path: this.path }; }
}

class CancellationTokenSource {
  constructor() { const e = new EventEmitter(); this._e = e; this.token = { isCancellationRequested: false, onCancellationRequested: e.event }; }
  cancel() { this.token.isCancellationRequested = true; this._e.fire(); }
  dispose() {}
}
class CancellationError extends Error {}

const events = {};
function eventOf(name) { return (events[name] ??= new EventEmitter()).event; }

function outputChannel(name) {
  return {
    name,
    append: (s) => recorded.output.push(s),
    appendLine: (s) => recorded.output.push(s),
    replace: () => {}, clear: () => {}, hide: () => {},
    show: () => { recorded.shown += 1; },
    dispose: () => {},
  };
}

const noProvider = () => new Disposable(() => {});
const languages = new Proxy({
  match: (selector, document) => {
    const filters = Array.isArray(selector) ? selector : [selector];
    return filters.some((f) => typeof f === "string" ? f === document.languageId
      : (!f.language || f.language === document.languageId) && (!f.scheme || f.scheme === document.uri.scheme)) ? 10 : 0;
  },
  createDiagnosticCollection: () => {
    const m = new Map();
    return { set: (u, d) => m.set(String(u), d), delete: (u) => m.delete(String(u)), clear: () => m.clear(), forEach: () => {}, get: (u) => m.get(String(u)), has: (u) => m.has(String(u)), dispose: () => m.clear() };
  },
}, { get: (target, key) => (key in target ? target[key] : String(key).startsWith("register") ? noProvider : undefined) });

let folders = [];
const workspace = {
  get workspaceFolders() { return folders.length ? folders : undefined; },
  textDocuments: [],
  getConfiguration: (section) => ({
    get: (key, fallback) => { const k = section ? `${section}.${key}` : key; return settings.has(k) ? settings.get(k) : fallback; },
    has: (key) => settings.has(section ? `${section}.${key}` : key),
    inspect: () => undefined,
    update: async () => {},
  }),
  createFileSystemWatcher: () => ({ onDidCreate: eventOf("fsCreate"), onDidChange: eventOf("fsChange"), onDidDelete: eventOf("fsDelete"), ignoreCreateEvents: false, ignoreChangeEvents: false, ignoreDeleteEvents: false, dispose: () => {} }),
  applyEdit: async () => true,
  onDidChangeConfiguration: eventOf("configuration"),
  onDidOpenTextDocument: eventOf("open"),
  onDidCloseTextDocument: eventOf("close"),
  onDidChangeTextDocument: eventOf("change"),
  onDidSaveTextDocument: eventOf("save"),
  onWillSaveTextDocument: eventOf("willSave"),
  onDidChangeWorkspaceFolders: eventOf("folders"),
};

const window = {
  activeTextEditor: undefined,
  tabGroups: { all: [], onDidChangeTabs: eventOf("tabs"), onDidChangeTabGroups: eventOf("tabGroups") },
  createOutputChannel: outputChannel,
  showErrorMessage: async (message, ...items) => { recorded.errors.push({ message, items }); return replyToError(message, items); },
  showWarningMessage: async (message, ...items) => { recorded.warnings.push({ message, items }); return undefined; },
  showInformationMessage: async (message, ...items) => { recorded.infos.push({ message, items }); return undefined; },
  showTextDocument: async () => undefined,
  withProgress: async (_options, task) => task({ report: () => {} }, new CancellationTokenSource().token),
  onDidChangeActiveTextEditor: eventOf("activeEditor"),
  onDidChangeVisibleTextEditors: eventOf("visibleEditors"),
};

const commands = {
  registerCommand: (id, fn) => { recorded.commands.set(id, fn); return new Disposable(() => recorded.commands.delete(id)); },
  executeCommand: async (id, ...args) => { recorded.executed.push({ id, args }); const fn = recorded.commands.get(id); return fn ? fn(...args) : undefined; },
};

// Enumerations (CodeActionKind, DiagnosticSeverity, …) are read when the
// client builds its converters; their values only need to be distinct.
const enumeration = (name) => new Proxy({}, { get: (_t, key) => (typeof key === "string" ? `${name}.${key}` : undefined) });

const api = {
  version: "1.82.0",
  Disposable, EventEmitter, Uri, CancellationTokenSource, CancellationError,
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  TabInputText: class {}, TabInputTextDiff: class {}, TabInputCustom: class {},
  // Base classes that vscode-languageclient extends when it loads; no test builds one.
  CallHierarchyItem: class {}, CodeLens: class {}, CompletionItem: class {}, DocumentLink: class {},
  InlayHint: class {}, SymbolInformation: class {}, TypeHierarchyItem: class {}, CodeAction: class {},
  Diagnostic: class {},
  env: { appName: "stub", language: "en", clipboard: { writeText: async (s) => { recorded.clipboard.push(s); } }, openExternal: async () => true },
  window, workspace, languages, commands,
  // For the tests:
  __recorded: recorded,
  __settings: settings,
  __setFolder: (p) => { folders = p ? [{ uri: Uri.file(p), name: path.basename(p), index: 0 }] : []; },
  __fire: (name, value) => events[name] && events[name].fire(value),
  __openDocument: (file, languageId, text) => {
    const document = { uri: Uri.file(file), fileName: file, languageId, version: 1, isClosed: false, getText: () => text };
    workspace.textDocuments.push(document);
    events.open && events.open.fire(document);
    return document;
  },
  __replyToError: (fn) => { replyToError = fn; },
  __reset: () => {
    recorded.errors.length = 0; recorded.warnings.length = 0; recorded.infos.length = 0;
    recorded.executed.length = 0; recorded.output.length = 0; recorded.shown = 0; recorded.clipboard.length = 0;
    settings.clear(); replyToError = () => undefined;
  },
};

module.exports = new Proxy(api, {
  get: (target, key) => (key in target ? target[key] : typeof key === "string" && /^[A-Z]/.test(key) ? enumeration(key) : undefined),
});
