import { createLakeViews } from '@coffee-iot/cloud/lake';
import { DuckDBInstance } from '@duckdb/node-api';
import type { TelemetryPoint } from '../dashboard/api-types.js';

/**
 * The lake's telemetry since `sinceMs`, one point (the newest) per device per step: what the
 * dashboard shows right after a restart, before live readings arrive. Reads through the same
 * deduplicating view as `coffee-iot query`; an empty or missing lake gives no points.
 */
export async function recentTelemetry(
  lakeDir: string,
  sinceMs: number,
  stepMs: number,
): Promise<{ deviceId: string; point: TelemetryPoint }[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      const summary = await createLakeViews(connection, lakeDir, []);
      if (summary.telemetryFiles === 0) return [];
      const since = new Date(sinceMs).toISOString();
      const rows = (
        await connection.runAndReadAll(
          `SELECT device_id, epoch_ms(max(ts)) AS t,
                  arg_max(temperature, ts) AS temperature, arg_max(humidity, ts) AS humidity,
                  arg_max(pressure, ts) AS pressure, arg_max(pitch, ts) AS pitch,
                  arg_max(roll, ts) AS roll, arg_max(yaw, ts) AS yaw
             FROM telemetry
            WHERE ts >= '${since}'::TIMESTAMP
            GROUP BY device_id, floor(epoch_ms(ts) / ${Math.floor(stepMs)})
            ORDER BY t`,
        )
      ).getRowObjectsJS();
      return rows.map((row) => ({
        deviceId: String(row.device_id),
        point: {
          t: Number(row.t),
          temperature: Number(row.temperature),
          humidity: Number(row.humidity),
          pressure: Number(row.pressure),
          pitch: Number(row.pitch),
          roll: Number(row.roll),
          yaw: Number(row.yaw),
        },
      }));
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
