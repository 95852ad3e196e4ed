// The VS Code client of `segdsl lsp`: starts the server over stdio, restarts
// it a bounded number of times when it crashes, and says plainly what to do
// when it is not installed.
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import {
  INSTALL_COMMAND,
  RestartBudget,
  initializationOptions,
  missingCommandMessage,
  readSettings,
  resolveCommand,
  type Settings,
} from "./server";

const SECTION = "segdsl";
const LANGUAGE = "segdsl";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
// One watcher for the extension's lifetime, shared by the clients of successive restarts.
let watcher: vscode.FileSystemWatcher | undefined;

function workspaceFolder(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined;
}

function currentSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return readSettings((key) => config.get(key));
}

/**
 * Restarts a server that crashes once it has run, within a budget. A server
 * that exits before it has answered `initialize` did not crash but failed to
 * start (no `lsp` command, a broken environment): restarting cannot help, and
 * start() says so once.
 */
class BoundedRestarts implements ErrorHandler {
  private readonly budget: RestartBudget;
  started = false;

  constructor(private readonly settings: Settings) {
    this.budget = new RestartBudget(settings.maxRestarts);
  }

  error(_error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    // A broken pipe (no count: EPIPE on the stream) means the process died: the
    // close that follows decides about a restart, which shutting down here would
    // prevent. A few failed messages are survivable; a stream of them is not.
    if (count === undefined || count <= 3) return { action: ErrorAction.Continue, handled: true };
    return { action: ErrorAction.Shutdown };
  }

  closed(): CloseHandlerResult {
    if (!this.started) return { action: CloseAction.DoNotRestart, handled: true };
    if (this.budget.crashed()) {
      output?.appendLine(
        `The segdsl language server stopped unexpectedly; restarting it (${this.budget.recent} of ${this.settings.maxRestarts}).`,
      );
      return { action: CloseAction.Restart, handled: true };
    }
    void showStoppedForGood(this.budget.recent);
    return { action: CloseAction.DoNotRestart, handled: true };
  }
}

/**
 * A client whose failures while it first starts go to the output only (start()
 * reports them once), and that leaves no promise of vscode-languageclient 9
 * rejected unhandled when a server exits during the handshake.
 */
class SegdslClient extends LanguageClient {
  quiet = true;

  override error(message: string, data?: unknown, showNotification: boolean | "force" = true): void {
    super.error(message, data, this.quiet ? false : showNotification);
  }

  override start(): Promise<void> {
    const run = super.start();
    // If the connection closes during the handshake, the library forgets the
    // start promise it created (start() then resolves) and rejects it later.
    const pending = (this as unknown as { _onStart?: Promise<void> })._onStart;
    pending?.catch(() => undefined);
    return run;
  }

  override async stop(timeout?: number): Promise<void> {
    try {
      await super.stop(timeout);
    } catch (error) {
      // After a failed handshake the library stops a client that never ran.
      if (!this.quiet) throw error;
    }
  }
}

async function showStoppedForGood(crashes: number): Promise<void> {
  const choice = await vscode.window.showErrorMessage(
    `The segdsl language server crashed ${crashes} time${crashes === 1 ? "" : "s"} in the last 3 minutes ` +
      "and was not restarted again. " +
      "The output shows why.",
    "Show Output",
    "Restart",
  );
  if (choice === "Show Output") output?.show(true);
  if (choice === "Restart") await restart();
}

async function showMissing(command: string): Promise<void> {
  const message = missingCommandMessage(command);
  output?.appendLine(message);
  const choice = await vscode.window.showErrorMessage(message, "Copy Install Command", "Open Settings");
  if (choice === "Copy Install Command") await vscode.env.clipboard.writeText(INSTALL_COMMAND);
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "segdsl.server.path");
  }
}

async function start(): Promise<void> {
  const settings = currentSettings();
  const folder = workspaceFolder();
  const command = resolveCommand(settings.serverPath, folder);
  if (command === undefined) {
    void showMissing(settings.serverPath);
    return;
  }
  const serverOptions: ServerOptions = {
    command,
    // No `transport`: with one, vscode-languageclient would append `--stdio`
    // to the configured arguments. Stdio is the default all the same.
    args: settings.serverArgs,
    options: { cwd: folder },
  };
  const errorHandler = new BoundedRestarts(settings);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: LANGUAGE },
      { scheme: "untitled", language: LANGUAGE },
    ],
    outputChannel: output,
    initializationOptions: initializationOptions(settings, folder),
    errorHandler,
    initializationFailedHandler: () => false,
    synchronize: {
      configurationSection: SECTION,
      fileEvents: watcher,
    },
  };
  const commandLine = [command, ...settings.serverArgs].join(" ");
  output?.appendLine(`Starting ${commandLine}`);
  const next = new SegdslClient(SECTION, "segdsl language server", serverOptions, clientOptions);
  client = next;
  try {
    await next.start();
    // A server that exits during the handshake can leave start() resolved with
    // the client stopped rather than rejected: check the state, not the promise.
    if (!next.isRunning()) throw new Error("the server process ended during the handshake");
    errorHandler.started = true;
    next.quiet = false;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    output?.appendLine(`The segdsl language server failed to start: ${reason}`);
    void showStartFailed(commandLine);
  }
}

// Messages are not awaited where they are raised: a notification left open
// would otherwise hold up every later restart.
async function showStartFailed(commandLine: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(
    `The segdsl language server did not start: "${commandLine}" ended before it answered. ` +
      `If segdsl is installed without its language server, install it with ${INSTALL_COMMAND}. ` +
      "The output shows what the command said.",
    "Show Output",
    "Copy Install Command",
  );
  if (choice === "Show Output") output?.show(true);
  if (choice === "Copy Install Command") await vscode.env.clipboard.writeText(INSTALL_COMMAND);
}

async function stop(): Promise<void> {
  const old = client;
  client = undefined;
  if (old === undefined) return;
  try {
    if (old.isRunning()) await old.stop(2000);
  } catch (error) {
    output?.appendLine(`Stopping the segdsl language server failed: ${String(error)}`);
  }
  try {
    await old.dispose(2000);
  } catch {
    // Already stopped: nothing is left to free.
  }
}

let queue: Promise<void> = Promise.resolve();

/**
 * Stops the running server (if any) and starts a new one with the current
 * settings; calls are queued, so two quick restarts never run two servers.
 */
export function restart(): Promise<void> {
  const run = queue.then(async () => {
    await stop();
    await start();
  });
  queue = run.catch(() => undefined);
  return run;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("segdsl");
  // Imports, schema files and configuration live beside the models; the server hears of their changes.
  watcher = vscode.workspace.createFileSystemWatcher("**/{*.seg,segdsl.toml,pyproject.toml}");
  context.subscriptions.push(
    output,
    watcher,
    vscode.commands.registerCommand("segdsl.restartServer", restart),
    vscode.commands.registerCommand("segdsl.showOutput", () => output?.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // initializationOptions and the command line are read once per start.
      if (event.affectsConfiguration(`${SECTION}.server`) || event.affectsConfiguration(`${SECTION}.codeLens`)) {
        void restart();
      }
    }),
  );
  await restart();
}

export async function deactivate(): Promise<void> {
  await stop();
}

/** The running client, for tests. */
export function currentClient(): LanguageClient | undefined {
  return client;
}
