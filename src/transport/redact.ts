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

  constructor({ secrets, basic }: Secrets) {
    const forms = new Set<string>();
    const add = (text: string): void => {
      if (text.length >= SHORTEST) forms.add(text);
    };
    const addEncoded = (text: string): void => {
      add(text);
      add(encodeURIComponent(text));
      add(new URLSearchParams({ s: text }).toString().slice(2));
      add(JSON.stringify(text).slice(1, -1));
      for (const core of base64Cores(Buffer.from(text))) add(core);
    };
    for (const secret of secrets) if (secret.length >= SHORTEST) addEncoded(secret);
    if (basic !== undefined && basic.password.length > 0) {
      const pair = `${basic.username}:${basic.password}`;
      addEncoded(pair);
      // The Basic header's value is itself base64: encoded again, it is found too.
      addEncoded(Buffer.from(pair).toString('base64'));
    }
    this.forms = [...forms].sort((a, b) => b.length - a.length);
    this.fragments = new Set();
    for (const form of this.forms) {
      for (let i = 0; i + FRAGMENT <= form.length; i++) this.fragments.add(form.slice(i, i + FRAGMENT));
    }
  }

  get empty(): boolean {
    return this.forms.length === 0;
  }

  /** The text with every form of a secret, and every fragment of one, replaced by `***`. */
  redact(text: string): string {
    if (this.forms.length === 0 || text.length < SHORTEST) return text;
    // Marks each character that belongs to a secret, then writes the text with each marked stretch as one mask.
    const marked = new Uint8Array(text.length);
    let found = false;
    for (const form of this.forms) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
        marked.fill(1, at, at + form.length);
        found = true;
      }
    }
    if (this.fragments.size > 0) {
      for (let i = 0; i + FRAGMENT <= text.length; i++) {
        if (this.fragments.has(text.slice(i, i + FRAGMENT))) {
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
  const causeText = cause instanceof Error ? `${cause.message} ${cause.stack ?? ''}` : cause === undefined ? '' : String(cause);
  const causeClean = redactor.redact(causeText) === causeText;
  const linesClean = rejectedLines?.every((line, i) => line.message === error.rejectedLines?.[i]?.message) ?? true;
  if (message === error.message && serverMessage === error.serverMessage && linesClean && causeClean) return error;
  return restated(error, message, {
    serverMessage,
    rejectedLines,
    cause: causeClean ? cause : cause instanceof InfluxDBException ? redactException(cause, redactor) : undefined,
  });
}
