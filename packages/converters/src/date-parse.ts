/**
 * Date strings → epoch milliseconds, the way the original's `dateutil.parser.parse` reads the
 * formats devices send: ISO 8601, `YYYY-MM-DD HH:MM:SS`, `DD/MM/YYYY`, `MM/DD/YYYY`, `YYYY/MM/DD`
 * (separators `/`, `-`, `.`), month names (`2 Jan 2024`, `Tue, 02 Jan 2024 03:04:05 GMT`), times
 * with seconds, fractions and `AM`/`PM`, and offsets `Z`, `UTC`, `GMT`, `±HH`, `±HHMM`, `±HH:MM`.
 * Ambiguous numeric dates are decided by `dayfirst`/`yearfirst` exactly as dateutil decides them;
 * ISO 8601 dates (`YYYY-MM-DD...`, `YYYYMMDDTHHMMSS`) are never ambiguous (dateutil swaps them
 * with `dayfirst`; restgate does not). Times without an offset are in the local time zone of the
 * gateway process (set `TZ` to change it). A date without a day, month or year is not accepted.
 */

export interface DateParseOptions {
  /** Read an ambiguous `01/02/2024` as 1 February. @default false */
  dayfirst?: boolean
  /** Read an ambiguous `10/11/12` as 2010-11-12. @default false */
  yearfirst?: boolean
}

interface Clock {
  hour: number
  minute: number
  second: number
  ms: number
  /** Offset from UTC in minutes, undefined for local time. */
  offset: number | undefined
}

const ISO_EXTENDED = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)? ?(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(?:(\d{2})(?:(\d{2})(?:[.,](\d+))?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(am|pm|a\.m\.|p\.m\.)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i
const OFFSET = /^([+-])(\d{2})(?::?(\d{2}))?$/
const SEPARATED_DATE = /^([a-z\d]+)([-/.])([a-z\d]+)\2([a-z\d]+)$/i
const DIGITS = /^\d+$/
const TOKEN_SEPARATORS = /[\s,]+/
const TRAILING_DOT = /\.$/

const MONTHS = new Map<string, number>()
for (const [i, name] of ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'].entries()) {
  MONTHS.set(name, i + 1)
  MONTHS.set(name.slice(0, 3), i + 1)
}
MONTHS.set('sept', 9)
const WEEKDAYS = new Set([
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'tues',
  'thur',
  'thurs',
])

function parseOffset(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined
  const lower = text.toLowerCase()
  if (lower === 'z' || lower === 'utc' || lower === 'gmt') return 0
  const m = OFFSET.exec(text)
  if (m === null) return null
  const hours = Number(m[2])
  const minutes = m[3] === undefined ? 0 : Number(m[3])
  if (hours > 23 || minutes > 59) return null
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes)
}

function fractionMs(digits: string | undefined): number {
  return digits === undefined ? 0 : Number(`${digits}00`.slice(0, 3)) // truncates like int(ts * 1000)
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number)
}

function toEpoch(year: number, month: number, day: number, clock: Clock): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (clock.hour > 23 || clock.minute > 59 || clock.second > 59) return undefined
  const date = new Date(0)
  if (clock.offset === undefined) {
    date.setFullYear(year, month - 1, day)
    date.setHours(clock.hour, clock.minute, clock.second, clock.ms)
    return date.getTime()
  }
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(clock.hour, clock.minute, clock.second, clock.ms)
  return date.getTime() - clock.offset * 60_000
}

function parseIso(m: RegExpExecArray): number | undefined {
  const offset = parseOffset(m[8])
  if (offset === null) return undefined
  const clock: Clock = {
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
    ms: fractionMs(m[7]),
    offset,
  }
  return toEpoch(Number(m[1]), Number(m[2]), Number(m[3]), clock)
}

/** One date component as dateutil's `_ymd` collects it. */
interface Ymd {
  values: number[]
  ystridx: number | undefined
  mstridx: number | undefined
  centurySpecified: boolean
}

function appendNumber(ymd: Ymd, token: string): boolean {
  const value = Number(token)
  if (token.length > 2 || value > 100) {
    if (ymd.ystridx !== undefined) return false
    ymd.centurySpecified = true
    ymd.ystridx = ymd.values.length
  }
  ymd.values.push(value)
  return true
}

function appendMonth(ymd: Ymd, month: number): boolean {
  if (ymd.mstridx !== undefined) return false
  ymd.mstridx = ymd.values.length
  ymd.values.push(month)
  return true
}

function appendDatePart(ymd: Ymd, token: string): boolean {
  if (DIGITS.test(token)) return token.length <= 4 && appendNumber(ymd, token)
  const month = MONTHS.get(token.toLowerCase())
  return month !== undefined && appendMonth(ymd, month)
}

/** dateutil's `_ymd.resolve_ymd` for three values. */
function resolveYmd(ymd: Ymd, dayfirst: boolean, yearfirst: boolean): [number, number, number] | undefined {
  const v = ymd.values
  if (v.length !== 3) return undefined
  const [a, b, c] = v as [number, number, number]
  const { ystridx, mstridx } = ymd
  if (ystridx !== undefined && mstridx !== undefined) {
    const dstridx = 3 - ystridx - mstridx
    return [v[ystridx] as number, v[mstridx] as number, v[dstridx] as number]
  }
  if (mstridx === 0) return b > 31 ? [b, a, c] : [c, a, b]
  if (mstridx === 1) return a > 31 || (yearfirst && c <= 31) ? [a, b, c] : [c, b, a]
  if (mstridx === 2) return b > 31 ? [b, c, a] : [a, c, b]
  if (a > 31 || ystridx === 0 || (yearfirst && b <= 12 && c <= 31)) return dayfirst && c <= 12 ? [a, c, b] : [a, b, c]
  if (a > 12 || (dayfirst && b <= 12)) return [c, b, a]
  return [c, a, b]
}

/** dateutil's `convertyear`: a two-digit year lands within 50 years of now. */
function convertYear(year: number, centurySpecified: boolean): number {
  if (year >= 100 || centurySpecified) return year
  const now = new Date().getFullYear()
  let full = year + Math.floor(now / 100) * 100
  if (full >= now + 50) full -= 100
  else if (full < now - 50) full += 100
  return full
}

function applyTime(clock: Clock, m: RegExpExecArray): boolean {
  clock.hour = Number(m[1])
  clock.minute = Number(m[2])
  clock.second = m[3] === undefined ? 0 : Number(m[3])
  clock.ms = fractionMs(m[4])
  if (m[5] !== undefined && !applyAmPm(clock, m[5])) return false
  if (m[6] !== undefined) {
    const offset = parseOffset(m[6])
    if (offset === null || offset === undefined) return false
    clock.offset = offset
  }
  return true
}

function applyAmPm(clock: Clock, marker: string): boolean {
  if (clock.hour < 1 || clock.hour > 12) return false
  const pm = marker.toLowerCase().startsWith('p')
  if (pm && clock.hour < 12) clock.hour += 12
  else if (!pm && clock.hour === 12) clock.hour = 0
  return true
}

function parseTokens(text: string, dayfirst: boolean, yearfirst: boolean): number | undefined {
  const ymd: Ymd = { values: [], ystridx: undefined, mstridx: undefined, centurySpecified: false }
  const clock: Clock = { hour: 0, minute: 0, second: 0, ms: 0, offset: undefined }
  let timeSeen = false
  let ampmSeen = false
  let weekdaySeen = false
  for (const token of text.split(TOKEN_SEPARATORS)) {
    if (token === '') continue
    const lower = token.toLowerCase().replace(TRAILING_DOT, '')
    const time = TIME.exec(token)
    if (time !== null) {
      if (timeSeen || !applyTime(clock, time)) return undefined
      timeSeen = true
      ampmSeen = time[5] !== undefined
      continue
    }
    const separated = SEPARATED_DATE.exec(token)
    if (separated !== null) {
      if (ymd.values.length > 0) return undefined
      for (const part of [separated[1], separated[3], separated[4]] as string[]) {
        if (!appendDatePart(ymd, part)) return undefined
      }
      continue
    }
    if (DIGITS.test(token) || MONTHS.has(lower)) {
      if (!appendDatePart(ymd, DIGITS.test(token) ? token : lower)) return undefined
      continue
    }
    if (WEEKDAYS.has(lower) && !weekdaySeen) {
      weekdaySeen = true
      continue
    }
    if (timeSeen && !ampmSeen && (lower === 'am' || lower === 'pm' || lower === 'a.m' || lower === 'p.m')) {
      if (!applyAmPm(clock, lower)) return undefined
      ampmSeen = true
      continue
    }
    if (timeSeen && clock.offset === undefined) {
      const offset = parseOffset(token)
      if (offset !== null && offset !== undefined) {
        clock.offset = offset
        continue
      }
    }
    return undefined
  }
  const resolved = resolveYmd(ymd, dayfirst, yearfirst)
  if (resolved === undefined) return undefined
  const [year, month, day] = resolved
  return toEpoch(convertYear(year, ymd.centurySpecified), month, day, clock)
}

/**
 * Parses a date string to epoch milliseconds, or returns undefined when it is not a full date
 * in one of the supported formats (see the module comment).
 */
export function parseDateString(text: string, options: DateParseOptions = {}): number | undefined {
  const source = text.trim()
  if (source === '' || source.length > 64) return undefined
  const iso = ISO_EXTENDED.exec(source) ?? ISO_BASIC.exec(source)
  if (iso !== null) return parseIso(iso)
  return parseTokens(source, options.dayfirst === true, options.yearfirst === true)
}
