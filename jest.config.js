/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  // Crash and lock tests spawn child processes; two workers fit the 2-core CI machine.
  maxWorkers: 2,
  testTimeout: 60000,
};
