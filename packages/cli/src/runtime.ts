import { UsageError } from "./output.js";

/**
 * What a command reads from the world besides its arguments: environment, working directory, stdin, the terminal
 * and stop signals. `main` uses {@link processRuntime}; tests pass their own, so nothing leaks between them.
 */
export type Runtime = {
  env: Record<string, string | undefined>;
  /** Relative paths (deployment, keystore, config) resolve against this directory. */
  cwd: string;
  /** Whether stdin is a terminal a person types into (prompts are possible) rather than a pipe. */
  interactive: boolean;
  /** Reads stdin to its end (piped input, e.g. a key for `decai keys import`). */
  readStdin: () => Promise<string>;
  /** Asks for a secret on the terminal without echoing it. Only called when `interactive`. */
  promptSecret: (question: string) => Promise<string>;
  /** Resolves with the signal's name when the user asks a foreground command to stop (Ctrl-C, SIGTERM). */
  untilStopped: () => Promise<string>;
};

/**
 * The runtime of the real `decai` process.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), processOutput, processRuntime);
 */
export const processRuntime: Runtime = {
  get env() {
    return process.env;
  },
  get cwd() {
    return process.cwd();
  },
  get interactive() {
    return Boolean(process.stdin.isTTY);
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  promptSecret,
  untilStopped: () =>
    new Promise((resolve) => {
      const stop = (signal: string) => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
        resolve(signal);
      };
      const onInt = () => stop("SIGINT");
      const onTerm = () => stop("SIGTERM");
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
    }),
};

/** Reads one line from the terminal in raw mode, echoing nothing; Ctrl-C aborts. */
function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(new UsageError("cannot prompt: stdin is not a terminal"));
  }
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    const done = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n" || char === "\u0004") return done();
        if (char === "\u0003") return done(new UsageError("cancelled"));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}
