/** The schema name a `bot sweep` report.json carries, apart from the report reader so that naming it loads no zod. */
export const SWEEP_REPORT_SCHEMA = 'bot-sweep-report/1';
