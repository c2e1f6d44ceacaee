import { defineConfig } from 'vitest/config';

// Tests import workspace packages through the `coffee-iot-source` export condition,
// so they run against TypeScript sources without a build step.
export default defineConfig({
  resolve: { conditions: ['coffee-iot-source'] },
  ssr: { resolve: { conditions: ['coffee-iot-source'] } },
  test: {
    include: [
      '{shared,device,cloud,local,infra,test}/src/**/*.test.ts',
      'local/web/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
