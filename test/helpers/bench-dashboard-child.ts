/**
 * For test/unit/bench-cleanup.test.ts: the dashboard bench group's code as `npm run bench -- dashboard` runs it (its
 * temp folder in TMPDIR, headless Chromium for the paint figures), at a small size so the run is filled and measured
 * in moments rather than the bench's 100,000 rows and 800 requests, waiting to be signalled once it is done.
 */
import { runDashboard } from '../../src/bench/groups/dashboard.ts';

await runDashboard(() => undefined, { rows: 500, requestScale: 0.01 });
console.log('done');
setInterval(() => undefined, 60_000);
