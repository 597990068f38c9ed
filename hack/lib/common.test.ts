// The cache discipline of hack/lib/common.sh: an interrupted or failed build is never trusted later.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const common = join(import.meta.dirname, 'common.sh');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` in bash with common.sh sourced; returns the exit code. */
function bash(script: string): number {
  return spawnSync('bash', ['-c', `source "${common}"; ${script}`], { stdio: 'ignore' }).status ?? -1;
}

describe('build_cache_entry', () => {
  it('publishes an entry only when the build finishes', () => {
    const root = mkdtempSync(join(tmpdir(), 'cache-test-'));
    dirs.push(root);
    const dest = join(root, 'tool-1.0');
    expect(bash(`fail_midway() { echo partial > "$1/tool"; return 1; }; build_cache_entry "${dest}" fail_midway`)).not.toBe(0);
    expect(existsSync(dest)).toBe(false);

    expect(bash(`ok() { echo done > "$1/tool"; }; build_cache_entry "${dest}" ok`)).toBe(0);
    expect(readdirSync(dest).sort()).toEqual(['.complete', 'tool']);
    // The next build cleared the failed attempt's staging directory; nothing else was left behind.
    expect(readdirSync(root)).toEqual(['tool-1.0']);
  });

  it('reuses a finished entry without rebuilding', () => {
    const root = mkdtempSync(join(tmpdir(), 'cache-test-'));
    dirs.push(root);
    const dest = join(root, 'tool-1.0');
    expect(bash(`ok() { echo first > "$1/tool"; }; build_cache_entry "${dest}" ok`)).toBe(0);
    expect(bash(`second() { echo second > "$1/tool"; }; build_cache_entry "${dest}" second`)).toBe(0);
    expect(
      execFileSync('cat', [join(dest, 'tool')])
        .toString()
        .trim(),
    ).toBe('first');
  });

  it('does not trust an entry without the completion marker (e.g. copied in by hand mid-build)', () => {
    const root = mkdtempSync(join(tmpdir(), 'cache-test-'));
    dirs.push(root);
    const dest = join(root, 'tool-1.0');
    expect(
      bash(`mkdir -p "${dest}" && echo stale > "${dest}/tool"; ok() { echo fresh > "$1/tool"; }; build_cache_entry "${dest}" ok`),
    ).toBe(0);
    expect(
      execFileSync('cat', [join(dest, 'tool')])
        .toString()
        .trim(),
    ).toBe('fresh');
  });
});
