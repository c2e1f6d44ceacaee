import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentLogLine, AgentProcess } from '../../test/src/harness/agent-process.js';

/** When a press was sent and answered, in this process's clocks. */
export interface SentPress {
  /** performance.now() and Date.now() just before the request. */
  atMs: number;
  atEpochMs: number;
  /** performance.now() when the 202 had arrived. */
  answeredMs: number;
}

/** The agent's loopback control port (`POST /press`, `GET /health`), as a user's script uses it. */
export class ControlPort {
  constructor(readonly url: string) {}

  /** Polls `GET /health` until the agent answers (it listens once the coffee station started). */
  async waitUntilListening(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(`${this.url}/health`);
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error(`control port ${this.url} not up in ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** One press; the clocks are read immediately before the request goes out. */
  async press(): Promise<SentPress> {
    const atEpochMs = Date.now();
    const atMs = performance.now();
    const response = await fetch(`${this.url}/press`, { method: 'POST' });
    await response.arrayBuffer();
    const answeredMs = performance.now();
    if (response.status !== 202) throw new Error(`POST /press answered ${response.status}`);
    return { atMs, atEpochMs, answeredMs };
  }
}

/** Polls the agent's collected log (every 5 ms) until a line matches. */
export async function waitForLog(
  agent: AgentProcess,
  match: (line: AgentLogLine) => boolean,
  timeoutMs: number,
  what: string,
): Promise<AgentLogLine> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const line = agent.logs.find(match);
    if (line) return line;
    if (performance.now() > deadline)
      throw new Error(`no agent log line "${what}" within ${timeoutMs} ms\n${agent.transcript()}`);
    await sleep(5);
  }
}
