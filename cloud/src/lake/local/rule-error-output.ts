import { randomUUID } from 'node:crypto';
import { localPath, partitionPath, partitionValuesOf } from '../layout.js';
import { encodeRuleErrorLines, type RuleErrorRecord, ruleErrorsPartitionKey } from '../rule-errors.js';
import { writeFileAtomically } from './atomic-file.js';

/** A rule errors file written, by lake key, with how many messages it holds. */
export interface WrittenRuleErrors {
  readonly key: string;
  readonly records: number;
}

/**
 * Writes rule error records into the local lake under `errors/rule/{partition of arrival}/`, one
 * file per partition touched, `{first arrival ms}-{uuid}.json`, one record per line. Durable
 * (fsync): these messages never reached the stream, so the raw archive has no copy to replay.
 */
export async function writeRuleErrors(
  lakeDir: string,
  records: readonly RuleErrorRecord[],
): Promise<WrittenRuleErrors[]> {
  const groups = new Map<string, RuleErrorRecord[]>();
  for (const record of records) {
    const path = partitionPath(partitionValuesOf(new Date(record.arrivedAt)));
    const group = groups.get(path);
    if (group === undefined) groups.set(path, [record]);
    else group.push(record);
  }
  const written: WrittenRuleErrors[] = [];
  for (const group of groups.values()) {
    const first = new Date((group[0] as RuleErrorRecord).arrivedAt);
    const key = `${ruleErrorsPartitionKey(partitionValuesOf(first))}/${first.getTime()}-${randomUUID()}.json`;
    await writeFileAtomically(localPath(lakeDir, key), encodeRuleErrorLines(group), { durable: true });
    written.push({ key, records: group.length });
  }
  return written;
}
