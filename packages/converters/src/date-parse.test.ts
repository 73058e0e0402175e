import { describe, expect, it } from 'vitest'
import { parseDateString } from './date-parse.ts'

/** `YYYY-MM-DD HH:MM:SS.mmm` (local time) or with `+HHMM` (that offset) → epoch ms. */
function at(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})([+-]\d{4})?$/.exec(text)
  if (m === null) throw new Error(`bad expectation ${text}`)
  const [y, mo, d, h, mi, s, ms] = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number]
  if (m[8] === undefined) return new Date(y, mo - 1, d, h, mi, s, ms).getTime()
  const sign = m[8].startsWith('-') ? -1 : 1
  const offset = sign * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(3, 5)))
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offset * 60_000
}

// Expected values produced by python-dateutil 2.9 `parse(text, dayfirst, yearfirst)`, in the order
// (false,false) (dayfirst) (yearfirst) (both).
const DATEUTIL_TABLE: Array<[string, [string, string, string, string]]> = [
  ['01/02/2024', ['2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000', '2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000']],
  ['13/02/2024', ['2024-02-13 00:00:00.000', '2024-02-13 00:00:00.000', '2024-02-13 00:00:00.000', '2024-02-13 00:00:00.000']],
  ['01/13/2024', ['2024-01-13 00:00:00.000', '2024-01-13 00:00:00.000', '2024-01-13 00:00:00.000', '2024-01-13 00:00:00.000']],
  ['2024/01/02', ['2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000', '2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000']],
  ['02/01/24', ['2024-02-01 00:00:00.000', '2024-01-02 00:00:00.000', '2002-01-24 00:00:00.000', '2002-01-24 00:00:00.000']],
  ['24/01/02', ['2002-01-24 00:00:00.000', '2002-01-24 00:00:00.000', '2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000']],
  ['10/11/12', ['2012-10-11 00:00:00.000', '2012-11-10 00:00:00.000', '2010-11-12 00:00:00.000', '2010-12-11 00:00:00.000']],
  ['5/6/07', ['2007-05-06 00:00:00.000', '2007-06-05 00:00:00.000', '2005-06-07 00:00:00.000', '2005-07-06 00:00:00.000']],
  ['99/01/02', ['1999-01-02 00:00:00.000', '1999-02-01 00:00:00.000', '1999-01-02 00:00:00.000', '1999-02-01 00:00:00.000']],
  ['01.02.2024', ['2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000', '2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000']],
  ['01-02-2024', ['2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000', '2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000']],
  ['2 Jan 2024', ['2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000']],
  ['Jan 2, 2024', ['2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000']],
  ['2024 Jan 02', ['2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000']],
  ['Jan 02 24', ['2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000', '2024-01-02 00:00:00.000']],
  [
    'Tue, 02 Jan 2024 03:04:05 GMT',
    ['2024-01-02 03:04:05.000+0000', '2024-01-02 03:04:05.000+0000', '2024-01-02 03:04:05.000+0000', '2024-01-02 03:04:05.000+0000'],
  ],
  ['02-Jan-2024 15:04', ['2024-01-02 15:04:00.000', '2024-01-02 15:04:00.000', '2024-01-02 15:04:00.000', '2024-01-02 15:04:00.000']],
  ['January 2 2024 3:04 PM', ['2024-01-02 15:04:00.000', '2024-01-02 15:04:00.000', '2024-01-02 15:04:00.000', '2024-01-02 15:04:00.000']],
  ['12/31/2023 23:59:59.999', ['2023-12-31 23:59:59.999', '2023-12-31 23:59:59.999', '2023-12-31 23:59:59.999', '2023-12-31 23:59:59.999']],
  [
    '01/02/2024 03:04:05 +0200',
    ['2024-01-02 03:04:05.000+0200', '2024-02-01 03:04:05.000+0200', '2024-01-02 03:04:05.000+0200', '2024-02-01 03:04:05.000+0200'],
  ],
  ['01/02/2024 12:00 AM', ['2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000', '2024-01-02 00:00:00.000', '2024-02-01 00:00:00.000']],
]

const FLAGS = [
  { dayfirst: false, yearfirst: false },
  { dayfirst: true, yearfirst: false },
  { dayfirst: false, yearfirst: true },
  { dayfirst: true, yearfirst: true },
] as const

describe('parseDateString: ambiguous dates are decided as dateutil decides them', () => {
  for (const [input, expected] of DATEUTIL_TABLE) {
    FLAGS.forEach((flags, i) => {
      it(`${JSON.stringify(input)} dayfirst=${flags.dayfirst} yearfirst=${flags.yearfirst} → ${expected[i]}`, () => {
        expect(parseDateString(input, flags)).toBe(at(expected[i] as string))
      })
    })
  }
})

describe('parseDateString: ISO 8601', () => {
  it.each([
    ['2024-01-02T03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-01-02T03:04:05.123Z', Date.UTC(2024, 0, 2, 3, 4, 5, 123)],
    ['2024-01-02T03:04:05.123456Z', Date.UTC(2024, 0, 2, 3, 4, 5, 123)],
    ['2024-01-02T03:04:05+02:00', Date.UTC(2024, 0, 2, 1, 4, 5)],
    ['2024-01-02T03:04:05+0530', Date.UTC(2024, 0, 1, 21, 34, 5)],
    ['2024-01-02T03:04:05-05', Date.UTC(2024, 0, 2, 8, 4, 5)],
    ['2024-01-02 03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-01-02 03:04:05 UTC', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['20240102T030405Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-01-02t03:04:05z', Date.UTC(2024, 0, 2, 3, 4, 5)],
  ])('%s with an offset is exact', (input, expected) => {
    expect(parseDateString(input)).toBe(expected)
  })

  it.each([
    ['2024-01-02', new Date(2024, 0, 2).getTime()],
    ['2024-01-02 03:04:05', new Date(2024, 0, 2, 3, 4, 5).getTime()],
    ['2024-01-02T03:04', new Date(2024, 0, 2, 3, 4).getTime()],
    ['2024-01-02T03', new Date(2024, 0, 2, 3).getTime()],
    ['2024-1-2 3:04:05', new Date(2024, 0, 2, 3, 4, 5).getTime()],
  ])('%s without an offset is local time', (input, expected) => {
    expect(parseDateString(input)).toBe(expected)
  })

  it('never swaps an ISO date with dayfirst (dateutil does: a deliberate fix)', () => {
    expect(parseDateString('2024-01-02T03:04:05Z', { dayfirst: true })).toBe(Date.UTC(2024, 0, 2, 3, 4, 5))
    expect(parseDateString('2024-01-02', { dayfirst: true, yearfirst: true })).toBe(new Date(2024, 0, 2).getTime())
  })

  it('accepts leap days only in leap years', () => {
    expect(parseDateString('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29))
    expect(parseDateString('2023-02-29T00:00:00Z')).toBeUndefined()
    expect(parseDateString('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29))
    expect(parseDateString('1900-02-29T00:00:00Z')).toBeUndefined()
  })
})

describe('parseDateString: what is not a date', () => {
  it.each([
    'garbage',
    '',
    '   ',
    '2024-13-01',
    '2024-01-32',
    '2024-01-02T25:00:00Z',
    '2024-01-02T03:60:00Z',
    '31/31/2024',
    'Jan 2024',
    '03:04:05',
    '01/02',
    '2024-01-02T03:04:05+25:00',
    'Jan Feb 2024',
    '2024 2025 01',
    '01/02/2024 13:00 PM',
    '01/02/2024 03:04 03:05',
    'x'.repeat(100),
  ])('%j → undefined', (input) => {
    expect(parseDateString(input)).toBeUndefined()
  })
})
