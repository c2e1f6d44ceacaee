import { describeErrorSinkContract } from './error-sink-contract.js';
import { createMemoryErrorSink } from './memory-error-sink.js';

describeErrorSinkContract('memory', () => {
  const sink = createMemoryErrorSink();
  return {
    sink,
    read: async (key) => sink.files.get(key),
    broken: () => {
      const failing = createMemoryErrorSink();
      failing.failWith(
        Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }),
      );
      return failing;
    },
  };
});
