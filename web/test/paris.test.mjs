// Europe/Paris by arithmetic (paris.js), with the cases of tests/unit/test_apitime.c
// and, over 1996-2037, against the time zone database that node carries (Intl).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formatParis, formatUtc, isPartialDate, parisDate, parisEndOfDay, parisOffset, parisStartOfDay, parseDate, parseInstant,
} from '../src/lib/paris.js';

const utc = (s) => {
  const t = parseInstant(s);
  assert.notEqual(t, null, s);
  return t;
};

test('the summer-time switches', () => {
  assert.equal(utc('2026-03-29T01:00:00Z'), 1774746000);
  assert.equal(utc('2026-10-25T01:00:00Z'), 1792890000);
  assert.equal(parisOffset(1774746000 - 1), 3600);
  assert.equal(parisOffset(1774746000), 7200);
  assert.equal(parisOffset(1792890000 - 1), 7200);
  assert.equal(parisOffset(1792890000), 3600);
  assert.equal(parisOffset(utc('2027-03-28T00:59:59Z')), 3600);
  assert.equal(parisOffset(utc('2027-03-28T01:00:00Z')), 7200);
  assert.equal(parisOffset(utc('2027-10-31T00:59:59Z')), 7200);
  assert.equal(parisOffset(utc('2027-10-31T01:00:00Z')), 3600);
  assert.equal(parisOffset(2n ** 63n - 1n), 3600);
  assert.equal(parisOffset(-(2n ** 63n)), 3600);
});

test('start and end of a day', () => {
  assert.equal(parisStartOfDay(2026, 3, 29), 1774738800);
  assert.equal(parisEndOfDay(2026, 3, 29), 1774821599);
  const cases = [
    [[2026, 3, 28], '2026-03-27T23:00:00Z', '2026-03-28T22:59:59Z'],
    [[2026, 3, 30], '2026-03-29T22:00:00Z', '2026-03-30T21:59:59Z'],
    [[2026, 10, 24], '2026-10-23T22:00:00Z', '2026-10-24T21:59:59Z'],
    [[2026, 10, 25], '2026-10-24T22:00:00Z', '2026-10-25T22:59:59Z'],
    [[2026, 10, 26], '2026-10-25T23:00:00Z', '2026-10-26T22:59:59Z'],
  ];
  for (const [d, s, e] of cases) {
    assert.equal(formatUtc(parisStartOfDay(...d)), s);
    assert.equal(formatUtc(parisEndOfDay(...d)), e);
  }
  assert.equal(parisStartOfDay(2026, 9, 15), 1789423200);
  assert.equal(parisEndOfDay(2026, 12, 15), 1797375599);
  assert.equal(parisStartOfDay(2026, 2, 30), null);
  assert.equal(parisEndOfDay(2026, 13, 1), null);
});

test('dates', () => {
  for (const s of ['2028-02-29', '2000-02-29', '2400-02-29', '2026-12-31', '1900-01-01', '9999-12-31']) assert.ok(parseDate(s), s);
  const bad = ['2027-02-29', '1900-02-29', '2100-02-29', '2026-04-31', '2026-1-01', '2026-13-01', '2026-02-30', '',
    '2026-01-01x', '2026-00-10', '2026-01-00', '1899-12-31', '10000-01-01', '2026/01/01', ' 2026-01-01', '2026-01-01 ',
    '+026-01-01', '2026-01-1', '2026-01', '２０２６-01-01', '2026-01-01T00:00:00Z', null];
  for (const s of bad) assert.equal(parseDate(s), null, String(s));
  for (const s of ['1990-04-12', '1990-04', '1990', '2000-02-29', '1900', '9999-12']) assert.ok(isPartialDate(s), s);
  for (const s of ['1990-13', '1990-00', '1990-4', '199', '19900', '1899', '1990-04-', '1990-02-30', '', '1990-04-12x',
    'abcd', '1990-4-12', '99999999999999', null]) assert.equal(isPartialDate(s), false, String(s));
});

test('instants', () => {
  const cases = {
    '2026-09-15': '2026-09-15T10:00:00Z',
    '2026-01-15': '2026-01-15T11:00:00Z',
    '2026-01-15T12:00:00Z': '2026-01-15T12:00:00Z',
    '2026-01-15T12:00:00+05:30': '2026-01-15T06:30:00Z',
    '2026-01-15T12:00:00-03:00': '2026-01-15T15:00:00Z',
    '2026-07-15T12:00:00': '2026-07-15T10:00:00Z',
    '2026-01-15T00:00:00': '2026-01-14T23:00:00Z',
    '2026-10-25T02:30:00': '2026-10-25T00:30:00Z',
    '2026-10-25T03:00:00': '2026-10-25T02:00:00Z',
    '2026-03-29T03:00:00': '2026-03-29T01:00:00Z',
    '2026-03-29T01:59:59': '2026-03-29T00:59:59Z',
  };
  for (const [s, want] of Object.entries(cases)) assert.equal(formatUtc(utc(s)), want, s);
  assert.equal(utc('@0'), 0);
  assert.equal(utc('@-1'), -1);
  assert.equal(utc('@253402300799'), 253402300799);
  const bad = ['', '@', '@-', '@x', '@1x', '@ 1', '@99999999999999999999', '@253402300800', '@-62167219201',
    '2026-01-01T24:00:00Z', '2026-01-01T12:60:00Z', '2026-01-01T12:00:60Z', '2026-01-01 12:00:00Z',
    '2026-01-01T12:00:00+19:00', '2026-01-01T12:00:00+01:0', '2026-01-01T12:00:00+01:60', '2026-01-01T12:00:00+0100',
    '2026-01-01T12:00Z', '2026-01-01T12:00:00z', '2026-01-01T12:00:00ZZ', '2026-01-01T12:00:00.5Z', '2026-01-01T',
    '2026-02-30T12:00:00Z', '2026-01-01T12:00:00+01:00x', '2026-01-01x', '2026-03-29T02:30:00', null];
  for (const s of bad) assert.equal(parseInstant(s), null, String(s));
});

test('formats, clamped at the extremes', () => {
  assert.equal(formatUtc(0), '1970-01-01T00:00:00Z');
  assert.equal(formatParis(0), '1970-01-01T01:00:00+01:00');
  assert.equal(formatParis(utc('2026-07-01T10:00:00Z')), '2026-07-01T12:00:00+02:00');
  assert.equal(formatParis(1792890000 - 1), '2026-10-25T02:59:59+02:00');
  assert.equal(formatParis(1792890000), '2026-10-25T02:00:00+01:00');
  assert.equal(formatUtc(-1), '1969-12-31T23:59:59Z');
  assert.equal(parisDate(utc('2026-12-31T23:30:00Z')), '2027-01-01');
  assert.equal(parisDate(utc('2026-06-30T21:59:59Z')), '2026-06-30');
  assert.equal(parisDate(utc('2026-06-30T22:00:00Z')), '2026-07-01');
  const max = 2n ** 63n - 1n;
  const min = -(2n ** 63n);
  assert.equal(formatUtc(max), '9999-12-31T23:59:59Z');
  assert.equal(formatUtc(min), '0000-01-01T00:00:00Z');
  assert.equal(formatParis(max), '9999-12-31T23:59:59+01:00');
  assert.equal(formatParis(min), '0000-01-01T00:00:00+01:00');
  assert.equal(parisDate(max), '9999-12-31');
  assert.equal(parisDate(min), '0000-01-01');
  assert.equal(parisDate(Number.MAX_SAFE_INTEGER), '9999-12-31');
});

test('every day of 1996-2037 agrees with the time zone database', () => {
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Paris', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const local = (t) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(t * 1000)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  };
  let days = 0;
  for (let t = utc('1996-01-01T12:00:00Z'); t < utc('2037-12-31T12:00:00Z'); t += 86400) {
    const ymd = formatUtc(t).slice(0, 10);
    const [y, m, d] = ymd.split('-').map(Number);
    assert.equal(local(parisStartOfDay(y, m, d)), `${ymd} 00:00:00`);
    assert.equal(local(parisEndOfDay(y, m, d)), `${ymd} 23:59:59`);
    assert.equal(parisDate(parisEndOfDay(y, m, d)), ymd);
    days++;
  }
  assert.ok(days > 15000);
});
