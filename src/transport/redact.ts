import { inspect } from 'node:util';
import { InfluxDBException, restated } from '../core';

/**
 * Cuts secrets out of text before it becomes an error message, a status or a log line. A server (or a
 * proxy in front of it) may echo what it was sent in any form: each secret is looked for as it is,
 * percent-encoded, JSON-escaped and base64-encoded (also where it stood inside something longer that was
 * encoded, such as a whole Authorization header), the Basic credentials as `user:password` and in base64,
 * and any stretch of FRAGMENT characters of one of those, so that a token cut in two or quoted in part is
 * cut out too.
 */

/** The shortest stretch of a secret looked for on its own. */
const FRAGMENT = 8;
/** Secrets shorter than this are not looked for: cutting every "ab" out of a message would say nothing safer. */
const SHORTEST = 3;
const MASK = '***';

export interface Secrets {
  /** A token, a password. */
  secrets: readonly string[];
  /** User and password sent as Basic credentials, when they are. */
  basic?: { username: string; password: string } | undefined;
}

export class Redactor {
  /** Every form of every secret, longest first (so that a longer form is cut before a shorter one inside it). */
  private readonly forms: string[];
  /** Every FRAGMENT-long stretch of every form. */
  private readonly fragments: Set<string>;
  /** The secrets themselves, normalized as text is for the last look, and every FRAGMENT-long stretch of them. */
  private readonly secrets: string[];
  private readonly secretWindows: Set<string>;

  constructor({ secrets, basic }: Secrets) {
    const forms = new Set<string>();
    const add = (text: string): void => {
      if (text.length >= SHORTEST) forms.add(text);
    };
    const addEncoded = (text: string): void => {
      add(text);
      add(Buffer.from(text).toString('hex'));
      add(encodeURIComponent(text));
      add(new URLSearchParams({ s: text }).toString().slice(2));
      add(JSON.stringify(text).slice(1, -1));
      // Go's encoding/json (InfluxDB's) writes &, < and > as \u escapes.
      add(
        JSON.stringify(text)
          .slice(1, -1)
          .replace(/[&<>]/g, (char) => `\\u00${char.charCodeAt(0).toString(16)}`),
      );
      for (const core of base64Cores(Buffer.from(text))) add(core);
      // A header's value goes out as Latin-1, one byte a character: echoed, those bytes read as UTF-8 hold
      // U+FFFD where a character beyond ASCII stood, and their hex and base64 are not the UTF-8 ones.
      if (/[\u0080-\u00ff]/.test(text)) {
        const latin1 = Buffer.from(text, 'latin1');
        add(latin1.toString('utf8'));
        add(latin1.toString('hex'));
        for (const core of base64Cores(latin1)) add(core);
      }
    };
    for (const secret of secrets) if (secret.length >= SHORTEST) addEncoded(secret);
    if (basic !== undefined && basic.password.length > 0) {
      const pair = `${basic.username}:${basic.password}`;
      addEncoded(pair);
      // The Basic header's value is itself base64: encoded again, it is found too.
      addEncoded(Buffer.from(pair).toString('base64'));
    }
    // Compared in lower case: a secret written in capitals (hex, say) is found too, and cutting a little too
    // much (a base64 form matched regardless of case) is the safe side.
    this.forms = [...new Set([...forms].map((form) => lowerInPlace(form)))].sort((a, b) => b.length - a.length);
    this.fragments = new Set();
    for (const form of this.forms) {
      for (let i = 0; i + FRAGMENT <= form.length; i++) this.fragments.add(form.slice(i, i + FRAGMENT));
    }
    this.secrets = secrets.filter((secret) => secret.length >= SHORTEST).map((secret) => normalized(secret));
    this.secretWindows = new Set();
    for (const secret of this.secrets) {
      for (let i = 0; i + FRAGMENT <= secret.length; i++) this.secretWindows.add(secret.slice(i, i + FRAGMENT));
    }
  }

  get empty(): boolean {
    return this.forms.length === 0;
  }

  /**
   * The text with every form of a secret, and every fragment of one, replaced by `***`; or, when a secret
   * can still be read in what is left once character references are decoded and white space taken out
   * (a token wrapped over lines, spelt as HTML entities), a sentence that says the text was left out.
   */
  redact(text: string): string {
    if (this.forms.length === 0 || text.length < SHORTEST) return text;
    const cut = this.cut(text);
    return this.stillReadable(cut) ? LEFT_OUT : cut;
  }

  /**
   * As `redact`, for text cut off at its end (an answer read up to its cap): where the cut fell inside a
   * secret, its first characters are left at the end, too few to be found as a fragment, and are masked too.
   */
  redactCut(text: string): string {
    const redacted = this.redact(text);
    const lower = lowerInPlace(redacted);
    let keep = redacted.length;
    for (const form of this.forms) {
      for (let length = Math.min(form.length - 1, lower.length); length >= SHORTEST; length--) {
        if (lower.endsWith(form.slice(0, length))) {
          keep = Math.min(keep, redacted.length - length);
          break;
        }
      }
    }
    return keep === redacted.length ? redacted : `${redacted.slice(0, keep)}${MASK}`;
  }

  private cut(text: string): string {
    const lower = lowerInPlace(text);
    // Marks each character that belongs to a secret, then writes the text with each marked stretch as one mask.
    const marked = new Uint8Array(text.length);
    let found = false;
    for (const form of this.forms) {
      for (let at = lower.indexOf(form); at !== -1; at = lower.indexOf(form, at + 1)) {
        marked.fill(1, at, at + form.length);
        found = true;
      }
    }
    if (this.fragments.size > 0) {
      for (let i = 0; i + FRAGMENT <= lower.length; i++) {
        if (this.fragments.has(lower.slice(i, i + FRAGMENT))) {
          marked.fill(1, i, i + FRAGMENT);
          found = true;
        }
      }
    }
    if (!found) return text;
    let out = '';
    for (let i = 0; i < text.length;) {
      if (marked[i] === 1) {
        out += MASK;
        while (i < text.length && marked[i] === 1) i++;
      } else {
        const start = i;
        while (i < text.length && marked[i] !== 1) i++;
        out += text.slice(start, i);
      }
    }
    return out;
  }

  /** Whether a secret, or FRAGMENT characters of one, can still be read in the text, normalized. */
  private stillReadable(text: string): boolean {
    if (this.secrets.length === 0) return false;
    const plain = normalized(text);
    if (this.secrets.some((secret) => secret.length <= FRAGMENT && plain.includes(secret))) return true;
    for (let i = 0; i + FRAGMENT <= plain.length; i++) if (this.secretWindows.has(plain.slice(i, i + FRAGMENT))) return true;
    return false;
  }
}

const LEFT_OUT = "(the server's words are left out: they held the password or the token)";

/**
 * The text in lower case, character for character: one whose lower case is longer (İ, U+0130, becomes two)
 * stays as it is, so that a place found in the lower case is the same place in the text.
 */
function lowerInPlace(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower;
  let out = '';
  for (const char of text) {
    const one = char.toLowerCase();
    out += one.length === char.length ? one : char;
  }
  return out;
}

/** Text as a person would read it: character references and JSON's \u escapes decoded, percent-escapes too, no white space, in lower case. */
function normalized(text: string): string {
  let plain = text
    .replace(/\\u([0-9a-f]{4})/gi, (_all, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/&#x([0-9a-f]{1,6});?/gi, (_all, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d{1,7});?/g, (_all, decimal: string) => String.fromCodePoint(Math.min(Number(decimal), 0x10ffff)))
    .replace(
      /&(amp|lt|gt|quot|apos);/g,
      (_all, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name] ?? '',
    );
  try {
    plain = decodeURIComponent(plain);
  } catch {
    // not percent-encoded as a whole: as it is
  }
  return plain.replace(/\s+/g, '').toLowerCase();
}

/**
 * The base64 (and base64url) of some bytes wherever they stand in a longer text that was encoded: at each
 * of the three offsets a byte can have in a group of three, the characters that depend on these bytes alone.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    // The first group mixes in what came before; the last, unless it is whole, what comes after.
    const start = offset === 0 ? 0 : 4;
    const whole = Math.floor((offset + bytes.length) / 3) * 4;
    const core = encoded.slice(start, whole);
    cores.push(offset === 0 ? encoded : core, core.replace(/\+/g, '-').replace(/\//g, '_'));
    if (offset === 0) cores.push(encoded.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return cores;
}

/**
 * The exception with every secret cut out of its message, the server's words and the lines it named; the
 * same exception when it holds none. A cause that holds one is left out (its words are in the message).
 */
export function redactException<E extends InfluxDBException>(error: E, redactor: Redactor): E {
  if (redactor.empty) return error;
  const message = redactor.redact(error.message);
  const serverMessage = error.serverMessage === undefined ? undefined : redactor.redact(error.serverMessage);
  const rejectedLines = error.rejectedLines?.map((line) => ({ ...line, message: redactor.redact(line.message) }));
  const cause: unknown = error.cause;
  // Everything an inspection of the cause shows: an HTTP parser's error keeps the bytes it choked on, for one.
  const causeText = cause === undefined ? '' : inspect(cause, { depth: 4 });
  const causeClean = redactor.redact(causeText) === causeText;
  const linesClean = rejectedLines?.every((line, i) => line.message === error.rejectedLines?.[i]?.message) ?? true;
  if (message === error.message && serverMessage === error.serverMessage && linesClean && causeClean) return error;
  return restated(error, message, {
    serverMessage,
    rejectedLines,
    cause: causeClean ? cause : cause instanceof InfluxDBException ? redactException(cause, redactor) : undefined,
  });
}
