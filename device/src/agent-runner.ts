import type { AgentConfig } from './config/agent-config.js';
import type { Logger } from './ports/logger.js';

// Temporary stub so the CLI compiles; the real runner replaces this file.
export async function runAgent(
  _config: AgentConfig,
  _options: { logger: Logger; warnings: readonly string[] },
): Promise<number> {
  throw new Error('not implemented');
}
