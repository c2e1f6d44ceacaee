import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built agent binary, exactly what a user runs (`npm test` builds dist/ first). */
export const AGENT_BIN = fileURLToPath(new URL('../../../device/bin/coffee-iot-agent.js', import.meta.url));

export interface AgentLogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * Runs `coffee-iot-agent --config FILE` as a child process and collects its pino JSON log,
 * so tests observe the agent the way journald would.
 */
export class AgentProcess {
  readonly logs: AgentLogLine[] = [];
  stderr = '';
  private child: ChildProcess | undefined;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    readonly configPath: string,
    private readonly extraArgs: readonly string[] = [],
    /** The agent's launcher: this checkout's, or another build's (bench/agent-ab-footprint.ts). */
    readonly bin: string = AGENT_BIN,
    /** Flags for node itself, before the entry file (as the launcher puts COFFEE_IOT_NODE_FLAGS). */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  /** Writes `config` as agent.json in `dir` and returns an AgentProcess for it. */
  static async withConfig(
    dir: string,
    config: Record<string, unknown>,
    extraArgs: string[] = [],
    bin: string = AGENT_BIN,
    nodeArgs: readonly string[] = [],
  ): Promise<AgentProcess> {
    await mkdir(dir, { recursive: true });
    const configPath = join(dir, 'agent.json');
    await writeFile(configPath, JSON.stringify(config, null, 2));
    return new AgentProcess(configPath, extraArgs, bin, nodeArgs);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error('agent already running');
    const child = spawn(
      process.execPath,
      [...this.nodeArgs, this.bin, '--config', this.configPath, ...this.extraArgs],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    this.child = child;
    this.exit = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.logs.push(JSON.parse(line) as AgentLogLine);
        } catch {
          this.logs.push({ level: 0, msg: `unparsed stdout: ${line}` });
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }

  /** SIGTERM and wait for the exit; resolves with how long the agent took to exit. */
  async terminate(): Promise<{ code: number | null; elapsedMs: number }> {
    const started = Date.now();
    this.child?.kill('SIGTERM');
    const result = await this.waitForExit();
    return { code: result.code, elapsedMs: Date.now() - started };
  }

  /** SIGKILL: the agent gets no chance to clean up, like a power cut. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.waitForExit();
  }

  async waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) throw new Error('agent was never started');
    return this.exit;
  }

  /** Log lines whose message contains `text`. */
  logsMatching(text: string): AgentLogLine[] {
    return this.logs.filter((line) => line.msg.includes(text));
  }

  /** Everything the agent said, for failure messages. */
  transcript(): string {
    return `${this.logs.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr ---\n${this.stderr}`;
  }
}
