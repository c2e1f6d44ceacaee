/**
 * A reusable "something changed" signal: the publisher's loop sleeps on `wait()` and any
 * event (new reading, PUBACK, connection change, stop) calls `wake()`. Wakes that happen
 * while nobody waits are remembered, so none is lost between a check and the wait.
 */
export class Wakeup {
  private pending = false;
  private resolveWaiter: (() => void) | null = null;

  wake(): void {
    if (this.resolveWaiter) {
      const resolve = this.resolveWaiter;
      this.resolveWaiter = null;
      resolve();
    } else {
      this.pending = true;
    }
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolveWaiter = resolve;
    });
  }
}
