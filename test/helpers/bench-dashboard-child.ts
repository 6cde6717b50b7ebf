/**
 * For test/unit/bench-cleanup.test.ts: the dashboard bench group as `npm run bench -- dashboard` runs it (its temp
 * folder in TMPDIR, headless Chromium for the paint figures), waiting to be signalled once it is done.
 */
import { dashboardGroup } from '../../src/bench/groups/dashboard.ts';

await dashboardGroup.run(() => undefined);
console.log('done');
setInterval(() => undefined, 60_000);
