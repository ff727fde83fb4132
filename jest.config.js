/** @type {import('jest').Config} */
module.exports = {
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Builds dist/ when stale: crash, lock and doc-example suites run the built package.
  globalSetup: '<rootDir>/test/helpers/build-dist.js',
  // A test file that leaves a database file open fails (test/helpers/leak-guard-environment.js).
  testEnvironment: '<rootDir>/test/helpers/leak-guard-environment.js',
  setupFilesAfterEnv: ['<rootDir>/test/helpers/open-files.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  // Crash and lock tests spawn child processes; two workers fit the 2-core CI machine.
  maxWorkers: 2,
  testTimeout: 60000,
};
