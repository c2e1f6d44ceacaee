import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { CheckpointFile } from './checkpoints.js';

// Real Kinesis sequence numbers: 56 digits, far past Number.MAX_SAFE_INTEGER.
const SEQ_A = '49546986683135544286507457936321625675700192471156785154';
const SEQ_B = '49546986683135544286507457936321625675700192471156785155';
const SEQ_SHORT = '9999';

describe('CheckpointFile', () => {
  let temp: TempDir;
  let path: string;

  beforeEach(async () => {
    temp = await tempDir('checkpoints');
    path = join(temp.dir, 'checkpoints.json');
  });

  afterEach(async () => {
    await temp.remove();
  });

  it('loads {} when there is no file yet', async () => {
    expect(await new CheckpointFile(path).load()).toEqual({});
  });

  it('saves positions a later instance loads', async () => {
    await new CheckpointFile(path).save({ 'shardId-000000000000': SEQ_A, 'shardId-000000000001': SEQ_SHORT });

    expect(await new CheckpointFile(path).load()).toEqual({
      'shardId-000000000000': SEQ_A,
      'shardId-000000000001': SEQ_SHORT,
    });
  });

  it('keeps the larger sequence number per shard, comparing as integers, not text', async () => {
    const file = new CheckpointFile(path);
    await file.save({ 'shardId-000000000000': SEQ_B, 'shardId-000000000001': '10' });
    // As text '9' > '10' and SEQ_A < SEQ_B; neither may move a shard back.
    await file.save({
      'shardId-000000000000': SEQ_A,
      'shardId-000000000001': '9',
      'shardId-000000000002': '5',
    });

    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      'shardId-000000000000': SEQ_B,
      'shardId-000000000001': '10',
      'shardId-000000000002': '5',
    });
  });

  it('merges with what it loaded, keeping shards the save does not mention', async () => {
    await writeFile(path, JSON.stringify({ 'shardId-000000000000': SEQ_A, 'shardId-000000000001': '7' }));
    const file = new CheckpointFile(path);
    await file.load();

    await file.save({ 'shardId-000000000000': SEQ_B });

    expect(await new CheckpointFile(path).load()).toEqual({
      'shardId-000000000000': SEQ_B,
      'shardId-000000000001': '7',
    });
  });

  it('writes through a temporary file that it does not leave behind', async () => {
    const file = new CheckpointFile(path);
    await file.save({ 'shardId-000000000000': SEQ_A });
    await file.save({ 'shardId-000000000000': SEQ_B });

    expect(await readdir(temp.dir)).toEqual(['checkpoints.json']);
  });

  it('refuses a corrupt file, naming its path', async () => {
    await writeFile(path, '{"shardId-000000000000": "4954');

    await expect(new CheckpointFile(path).load()).rejects.toThrow(path);
  });

  it.each([
    ['an array', '["1"]'],
    ['null', 'null'],
    ['a number as sequence', '{"shardId-000000000000": 12}'],
    ['a sequence that is not digits', '{"shardId-000000000000": "12a"}'],
  ])('refuses %s, naming the path', async (_case, text) => {
    await writeFile(path, text);

    await expect(new CheckpointFile(path).load()).rejects.toThrow(path);
  });
});
