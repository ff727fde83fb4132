/**
 * Jest's node environment with a leak guard (jest.config.js): a test file that leaves a database
 * file open fails, naming the file and where it was opened. test/helpers/open-files.ts records the
 * engines a test file opens on its global; this environment reads them in teardown, which runs
 * after every afterAll of the file (a check in an afterAll of a setup file would run before
 * the test file's own afterAll hooks had closed what they close). A leaked writer keeps its lock
 * and file open while the file's temporary folder is removed, which other workers have met as a
 * stray lock.
 */
'use strict';
const { TestEnvironment } = require('jest-environment-node');

class LeakGuardEnvironment extends TestEnvironment {
  async teardown() {
    const open = this.global.__modelvaultOpenFiles;
    const left = open && typeof open.values === 'function' ? [...open.values()] : [];
    await super.teardown();
    if (left.length > 0)
      throw new Error(
        `the test file left ${left.length} database file(s) open (close them in finally or afterEach/afterAll):\n` +
          left.join('\n\n'),
      );
  }
}

module.exports = LeakGuardEnvironment;
