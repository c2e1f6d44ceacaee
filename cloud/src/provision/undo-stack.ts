/** One thing to undo, described for the operator. */
export interface UndoStep {
  /** What undoing does, e.g. "delete thing coffee-pi-01". */
  description: string;
  /** How to finish it by hand if it fails, e.g. an AWS CLI command. */
  byHand: string;
  undo: () => Promise<void>;
}

export interface UndoFailure {
  description: string;
  byHand: string;
  error: unknown;
}

/** What unwinding did: the steps undone and the ones that failed (what is left behind), in order. */
export interface UndoReport {
  undone: string[];
  failed: UndoFailure[];
}

/**
 * Remembers how to undo each thing made, and undoes them newest first. A step that fails does not
 * stop the others: it is recorded, with its error and how to finish it by hand, so nothing made is
 * left behind without saying so.
 */
export class UndoStack {
  readonly #steps: UndoStep[] = [];

  push(step: UndoStep): void {
    this.#steps.push(step);
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Runs every step, newest first, and empties the stack. Never throws. */
  async unwind(): Promise<UndoReport> {
    const report: UndoReport = { undone: [], failed: [] };
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
      try {
        await step.undo();
        report.undone.push(step.description);
      } catch (error) {
        report.failed.push({ description: step.description, byHand: step.byHand, error });
      }
    }
    return report;
  }
}
