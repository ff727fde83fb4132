/**
 * A short pass of the SIGKILL crash campaign (scripts/crash/campaign.ts; `npm run crash` runs the
 * long one): writers killed at random moments, while committing, and inside checkpoint(),
 * compact() and close(); each file reopened and held against every acknowledged commit. Spawns
 * the built worker, so it needs `npm run build` first, as the crash test does.
 */
import { runCampaign } from '../../scripts/crash/campaign';
import { tmpDir } from '../helpers/tmp';

describe('crash campaign (short pass)', () => {
  const tmp = tmpDir('mv-crash-');
  afterAll(() => tmp.cleanup());

  test('25 SIGKILLs: no acknowledged commit lost, no transaction partly visible', async () => {
    const result = await runCampaign({ kills: 25, seed: 20261201, dir: tmp.dir, freshEvery: 10 });
    // The failures carry the problems found; show them rather than a bare count when this fails.
    expect(result.failures).toEqual([]);
    expect(result.lost).toBe(0);
    expect(result.partial).toBe(0);
    expect(result.phantom).toBe(0);
    expect(result.corrupt).toBe(0);
    expect(result.recoveryErrors).toBe(0);
    expect(result.kills).toBe(25);
    // The pass must have tested something: commits acknowledged and kills aimed at maintenance.
    expect(result.acknowledgedCommits).toBeGreaterThan(25);
    expect(result.byTrigger.checkpoint + result.byTrigger.compact + result.byTrigger.close).toBeGreaterThan(
      0,
    );
    expect(result.ok).toBe(true);
  }, 90000);
});
