/** A number from the command line (`--name 123`), or the fallback. */
export function numberArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** A comma-separated list from the command line (`--name a,b`), or the fallback. */
export function listArg(name: string, fallback: string[]): string[] {
  const index = process.argv.indexOf(name);
  return index >= 0 ? (process.argv[index + 1] ?? '').split(',').filter((item) => item !== '') : fallback;
}
