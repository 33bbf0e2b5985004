/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // `npm test` type-checks with tsc first; ts-jest only transpiles. Tests import only the
    // modules that do not load @kubernetes/client-node (ESM-only); everything that talks to
    // Kubernetes is tested through the bundled CLI, dist/spark-job.js.
    '^.+\\.ts$': 'ts-jest',
  },
  testTimeout: 30000,
};
