/**
 * Locates the first JSON syntax error of a text (Node 20's JSON.parse messages carry no position,
 * and may quote the text, which could hold secrets). Only runs after JSON.parse has failed.
 */

export interface JsonSyntaxError {
  /** 1-based line and column. */
  line: number
  column: number
  reason: string
}

class Scanner {
  readonly text: string
  i = 0
  constructor(text: string) {
    this.text = text
  }

  fail(reason: string, at: number = this.i): never {
    throw Object.assign(new Error(reason), { at })
  }

  ws(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i] as string)) this.i++
  }

  unexpected(): never {
    if (this.i >= this.text.length) this.fail('unexpected end of the file')
    this.fail(`unexpected ${JSON.stringify(this.text[this.i])}`)
  }

  value(depth: number): void {
    if (depth > 1000) this.fail('nesting deeper than 1000 levels')
    this.ws()
    const c = this.text[this.i]
    if (c === '{') this.object(depth)
    else if (c === '[') this.array(depth)
    else if (c === '"') this.string()
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) this.number()
    else {
      for (const word of ['true', 'false', 'null']) {
        if (this.text.startsWith(word, this.i)) {
          this.i += word.length
          return
        }
      }
      this.unexpected()
    }
  }

  object(depth: number): void {
    this.i++
    this.ws()
    if (this.text[this.i] === '}') return void this.i++
    for (;;) {
      this.ws()
      if (this.text[this.i] !== '"')
        this.fail(this.text[this.i] === undefined ? 'unexpected end of the file' : `expected a "quoted" key, found ${JSON.stringify(this.text[this.i])}`)
      this.string()
      this.ws()
      if (this.text[this.i] !== ':')
        this.fail(this.text[this.i] === undefined ? 'unexpected end of the file' : `expected ":", found ${JSON.stringify(this.text[this.i])}`)
      this.i++
      this.value(depth + 1)
      this.ws()
      const c = this.text[this.i]
      if (c === '}') return void this.i++
      if (c !== ',') this.fail(c === undefined ? 'unexpected end of the file (missing "}")' : `expected "," or "}", found ${JSON.stringify(c)}`)
      this.i++
      this.ws()
      if (this.text[this.i] === '}') this.fail('trailing comma before "}"')
    }
  }

  array(depth: number): void {
    this.i++
    this.ws()
    if (this.text[this.i] === ']') return void this.i++
    for (;;) {
      this.value(depth + 1)
      this.ws()
      const c = this.text[this.i]
      if (c === ']') return void this.i++
      if (c !== ',') this.fail(c === undefined ? 'unexpected end of the file (missing "]")' : `expected "," or "]", found ${JSON.stringify(c)}`)
      this.i++
      this.ws()
      if (this.text[this.i] === ']') this.fail('trailing comma before "]"')
    }
  }

  string(): void {
    const start = this.i
    this.i++
    while (this.i < this.text.length) {
      const c = this.text[this.i] as string
      if (c === '"') return void this.i++
      if (c === '\\') {
        const e = this.text[this.i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) this.fail('invalid \\u escape in a string')
          this.i += 6
          continue
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail('invalid escape in a string')
        this.i += 2
        continue
      }
      if (c < ' ') this.fail(c === '\n' ? 'line break inside a string (missing closing quote?)' : 'control character inside a string')
      this.i++
    }
    this.fail('string not closed', start)
  }

  number(): void {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.i))
    if (match === null) this.fail('invalid number')
    this.i += match[0].length
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++
      lineStart = k + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** The first syntax error of `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text)
  try {
    scanner.ws()
    if (scanner.i >= text.length) scanner.fail('an empty file')
    scanner.value(0)
    scanner.ws()
    if (scanner.i < text.length) scanner.fail(`unexpected ${JSON.stringify(text[scanner.i])} after the end of the JSON value`)
    return undefined
  } catch (error) {
    const at = (error as { at?: number }).at ?? scanner.i
    return { ...lineColumn(text, at), reason: (error as Error).message }
  }
}
