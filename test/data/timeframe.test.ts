import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.ts';
import { parseTime } from '../../src/data/timeframe.ts';

test('parseTime reads ISO dates and times (no zone: UTC) and epoch ms', () => {
  const cases: [string, string][] = [
    ['2024-01-01', '2024-01-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2024-03-01T00:00Z', '2024-03-01T00:00:00.000Z'],
    ['2024-03-01T00:00', '2024-03-01T00:00:00.000Z'],
    ['2024-03-01 05:30:10', '2024-03-01T05:30:10.000Z'],
    ['2024-03-01T09:00+09:00', '2024-03-01T00:00:00.000Z'],
    ['2024-03-01T09:00+0900', '2024-03-01T00:00:00.000Z'],
    ['2024-03-01T00:00:10.5Z', '2024-03-01T00:00:10.500Z'],
    ['1709251200000', '2024-03-01T00:00:00.000Z'],
  ];
  for (const [value, iso] of cases) assert.equal(new Date(parseTime(value, '--from')).toISOString(), iso, value);
});

test('parseTime refuses what Date.parse would guess at: other formats and days off the calendar', () => {
  // Date.parse took "1" for 2001-01-01, "01/02/2010" for January 2 in local time and 2024-02-30 for March 1
  const cases: [string, RegExp][] = [
    ['1', /--since: cannot read "1" as a date/],
    ['0', /cannot read "0"/],
    ['-1', /cannot read "-1"/],
    ['01/02/2010', /cannot read "01\/02\/2010" as a date \(use e\.g\. 2024-01-01/],
    ['Jan 2 2010', /cannot read/],
    ['tomorrow 5', /cannot read/],
    ['2024-02-30', /--since: "2024-02-30" is not a date and time of the calendar/],
    ['2023-02-29', /not a date and time of the calendar/],
    ['2024-13-01', /not a date and time of the calendar/],
    ['2024-01-01T24:00Z', /not a date and time of the calendar/],
    ['2024-01-01T23:60Z', /not a date and time of the calendar/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => parseTime(value, '--since'),
      (e: unknown) => e instanceof UserError && message.test(e.message),
      value,
    );
  }
});
