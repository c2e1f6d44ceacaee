import { join } from 'node:path';
import { openLocalLake } from '@coffee-iot/cloud/lake';
import type { Logger } from '@coffee-iot/device';
import { CheckpointFile } from '../../kinesis/checkpoints.js';
import type { LocalKinesis } from '../../kinesis/local-kinesis.js';
import { StreamReader } from '../../kinesis/stream-reader.js';
import { LakeWriter } from '../../lake/lake-writer.js';
import type { LiveDashboardSource } from '../../live/live-dashboard-source.js';
import { recentTelemetry } from '../../live/recent-telemetry.js';
import { TELEMETRY_STEP_MS, TELEMETRY_WINDOW_MS } from '../../live/telemetry-window.js';
import type { RunningPart } from '../stack-parts.js';

export interface LakePartOptions {
  dataDir: string;
  kinesis: LocalKinesis;
  live: LiveDashboardSource;
  flushMs: number;
  logger: Logger;
}

export interface LakePart extends RunningPart {
  lakeDir: string;
  writer: LakeWriter;
}

/** The ingest stream's consumer: records to the dashboard as they come, to the lake in batches. */
export async function startLakePart(options: LakePartOptions): Promise<LakePart> {
  const { dataDir, kinesis, live, logger } = options;
  const lakeDir = join(dataDir, 'lake');
  const lake = await openLocalLake(lakeDir);
  const checkpoints = new CheckpointFile(join(dataDir, 'kinesis', 'checkpoints.json'));
  const writer = new LakeWriter({
    lake,
    checkpoints,
    logger: logger.child({ part: 'lake' }),
    flushMs: options.flushMs,
    maxBuffered: 100_000,
  });
  const reader = new StreamReader({
    client: kinesis.client,
    streamName: kinesis.streamName,
    startAfter: await checkpoints.load(),
    logger: logger.child({ part: 'stream-reader' }),
    onRecords: async (records) => {
      live.onStreamRecords(records);
      await writer.accept(records);
    },
  });
  try {
    // The last hour from the lake first, so a restarted dashboard is not blank.
    live.seedTelemetry(await recentTelemetry(lakeDir, Date.now() - TELEMETRY_WINDOW_MS, TELEMETRY_STEP_MS));
    writer.start();
    await reader.start();
  } catch (error) {
    await writer.stop();
    await lake.close();
    throw error;
  }
  return {
    ready: `${lakeDir} (written every ${options.flushMs / 1000} s; query: npx coffee-iot query --lake ${lakeDir} "SQL")`,
    async stop() {
      await reader.stop();
      await writer.stop();
      await lake.close();
    },
    lakeDir,
    writer,
  };
}
