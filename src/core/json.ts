/**
 * JSON parsing that keeps integers beyond 2^53 exact, as bigints. InfluxDB sends nanosecond times
 * and int64 fields as plain JSON numbers, which JSON.parse would round.
 */

export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// A run of 16 digits is the shortest text that can hold an integer beyond Number.MAX_SAFE_INTEGER.
const MAYBE_UNSAFE_INTEGER = /\d{16}/;

export function parseJson(text: string): JsonValue {
  if (!MAYBE_UNSAFE_INTEGER.test(text)) return JSON.parse(text) as JsonValue;
  return new ExactJsonParser(text).parseDocument();
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
/**
 * The most digits of an integer kept exact: InfluxDB's integers (int64, uint64) have at most 20. Longer
 * runs are floats written out in full (Go's JSON does so below 1e21), read as JSON.parse reads them; a
 * bigint of millions of digits would take seconds of the event loop to make.
 */
const MOST_INTEGER_DIGITS = 20;

class ExactJsonParser {
  private position = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.position !== this.text.length) this.fail('unexpected text after the document');
    return value;
  }

  private parseValue(): JsonValue {
    this.skipWhitespace();
    const char = this.text[this.position];
    switch (char) {
      case '{':
        return this.parseObject();
      case '[':
        return this.parseArray();
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        return this.parseNumber();
    }
  }

  private parseObject(): { [key: string]: JsonValue } {
    const result: { [key: string]: JsonValue } = {};
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail('expected a key');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.fail('expected ":"');
      this.position++;
      Object.defineProperty(result, key, { value: this.parseValue(), enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === '}') return result;
      if (next !== ',') this.fail('expected "," or "}"');
    }
  }

  private parseArray(): JsonValue[] {
    const result: JsonValue[] = [];
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return result;
    }
    for (;;) {
      result.push(this.parseValue());
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === ']') return result;
      if (next !== ',') this.fail('expected "," or "]"');
    }
  }

  private parseString(): string {
    const start = this.position;
    this.position++;
    for (;;) {
      const char = this.text[this.position];
      if (char === undefined) this.fail('unterminated string');
      if (char === '\\') this.position += 2;
      else if (char === '"') break;
      else this.position++;
    }
    this.position++;
    return JSON.parse(this.text.slice(start, this.position)) as string;
  }

  private parseNumber(): number | bigint {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('unexpected character');
    this.position = NUMBER.lastIndex;
    const literal = match[0];
    const value = Number(literal);
    const integer = match[1] === undefined && match[2] === undefined;
    const digits = literal.startsWith('-') ? literal.length - 1 : literal.length;
    if (integer && !Number.isSafeInteger(value) && digits <= MOST_INTEGER_DIGITS) return BigInt(literal);
    return value;
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) this.fail('unexpected character');
    this.position += word.length;
    return value;
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length) {
      const code = this.text.charCodeAt(this.position);
      if (code !== 32 && code !== 10 && code !== 13 && code !== 9) return;
      this.position++;
    }
  }

  private fail(why: string): never {
    throw new SyntaxError(`invalid JSON at position ${this.position}: ${why}`);
  }
}
