/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is done once by `tsc -b` (npm test runs the build first);
    // ts-jest only transpiles here, which keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
  },
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  testTimeout: 120000,
};
