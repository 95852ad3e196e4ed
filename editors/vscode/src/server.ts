// How the language server is found, started and told its settings. Nothing in
// this module touches the editor API, so that it can be reasoned about (and
// tested) apart from VS Code.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** What a user types to get the server; shown whenever it cannot be started. */
export const INSTALL_COMMAND = 'pip install "segdsl[lsp]"';

/** The extension's settings, as read from the `segdsl.*` configuration. */
export interface Settings {
  serverPath: string;
  serverArgs: string[];
  maxRestarts: number;
  asOf: string;
  database: string;
}

/** The shape of `initializationOptions` that `segdsl lsp` receives. */
export interface InitializationOptions {
  codeLens: {
    /** YYYY-MM-DD, or null for today. */
    asOf: string | null;
    /** An absolute DuckDB path or a target URL, or null for the workspace's configuration. */
    database: string | null;
  };
}

/** Reads settings through a getter so that defaults live in one place (package.json). */
export function readSettings(get: <T>(key: string) => T | undefined): Settings {
  const args = get<unknown>("server.args");
  const maxRestarts = get<number>("server.maxRestarts");
  return {
    serverPath: (get<string>("server.path") ?? "").trim() || "segdsl",
    serverArgs: Array.isArray(args) ? args.map(String) : ["lsp"],
    maxRestarts: Number.isInteger(maxRestarts) && (maxRestarts as number) >= 0 ? (maxRestarts as number) : 4,
    asOf: (get<string>("codeLens.asOf") ?? "").trim(),
    database: (get<string>("codeLens.database") ?? "").trim(),
  };
}

function expandUser(p: string, folder: string | undefined): string {
  let out = p.replace(/\$\{workspaceFolder\}/g, folder ?? "");
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = path.join(os.homedir(), out.slice(1));
  }
  return out;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform !== "win32") fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of the server executable, or undefined when there is none.
 *
 * A bare name is looked up on PATH (with PATHEXT on Windows) the way the
 * process would be spawned, so that a missing `segdsl` is reported before a
 * start that could only fail with ENOENT; a path with a separator is taken
 * relative to the workspace folder, where a project's `.venv` lives.
 */
export function resolveCommand(
  command: string,
  folder: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const expanded = expandUser(command, folder);
  const windows = platform === "win32";
  const extensions = windows
    ? ["", ...(env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)]
    : [""];
  const hasSeparator = expanded.includes("/") || (windows && expanded.includes("\\"));
  if (hasSeparator || path.isAbsolute(expanded)) {
    const base = path.resolve(folder ?? process.cwd(), expanded);
    return extensions.map((ext) => base + ext).find(isExecutableFile);
  }
  const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = path.join(dir, expanded + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * What the server is told at start. A database given as a plain path is made
 * absolute against the workspace folder, so the server need not guess what it
 * was relative to; URLs (`postgresql://…`, `duckdb:///…`) pass unchanged.
 */
export function initializationOptions(settings: Settings, folder: string | undefined): InitializationOptions {
  let database: string | null = settings.database || null;
  if (database && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(database)) {
    database = path.resolve(folder ?? process.cwd(), expandUser(database, folder));
  }
  return { codeLens: { asOf: settings.asOf || null, database } };
}

/** The message for a server command that cannot be found. */
export function missingCommandMessage(command: string): string {
  const where = command.includes("/") || command.includes("\\") ? `at "${command}"` : `"${command}" on PATH`;
  return (
    `The segdsl language server could not be started: there is no ${where}. ` +
    `Install it with ${INSTALL_COMMAND} in the Python environment that VS Code sees, ` +
    `or set "segdsl.server.path" to its segdsl executable.`
  );
}

/**
 * Restarts after crashes, at most `max` times within `windowMs`; a server that
 * keeps crashing is left stopped instead of being restarted in a loop.
 */
export class RestartBudget {
  private readonly crashes: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs = 3 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true when one more restart is allowed. */
  crashed(): boolean {
    const t = this.now();
    this.crashes.push(t);
    while (this.crashes.length > 0 && t - this.crashes[0] > this.windowMs) this.crashes.shift();
    return this.crashes.length <= this.max;
  }

  get recent(): number {
    return this.crashes.length;
  }
}
