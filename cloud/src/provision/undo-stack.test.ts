import { describe, expect, it } from 'vitest';
import { UndoStack } from './undo-stack.js';

describe('UndoStack', () => {
  it('undoes newest first and empties itself', async () => {
    const done: string[] = [];
    const stack = new UndoStack();
    for (const name of ['a', 'b', 'c']) {
      stack.push({
        description: `undo ${name}`,
        byHand: `fix ${name}`,
        undo: async () => void done.push(name),
      });
    }

    const report = await stack.unwind();

    expect(done).toEqual(['c', 'b', 'a']);
    expect(report).toEqual({ undone: ['undo c', 'undo b', 'undo a'], failed: [] });
    expect(stack.size).toBe(0);
    expect(await stack.unwind()).toEqual({ undone: [], failed: [] });
  });

  it('goes on past a failing step and reports it with its error and how to finish by hand', async () => {
    const done: string[] = [];
    const failure = new Error('AccessDenied');
    const stack = new UndoStack();
    stack.push({ description: 'undo a', byHand: 'fix a', undo: async () => void done.push('a') });
    stack.push({
      description: 'undo b',
      byHand: 'fix b',
      undo: async () => {
        throw failure;
      },
    });
    stack.push({ description: 'undo c', byHand: 'fix c', undo: async () => void done.push('c') });

    const report = await stack.unwind();

    expect(done).toEqual(['c', 'a']);
    expect(report.undone).toEqual(['undo c', 'undo a']);
    expect(report.failed).toEqual([{ description: 'undo b', byHand: 'fix b', error: failure }]);
  });
});
