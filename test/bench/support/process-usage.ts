// One process's CPU time and resident memory from Linux /proc, for benchmarks that charge each
// target's own process (a gateway, a stub) for the requests it served.
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system, all threads) the process has used so far; NaN once it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may itself contain ") ".
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in bytes (VmRSS); NaN once the process is gone. */
export function processRssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * How often the kernel took the CPU away from the process's main thread (the event loop) while it
 * could still run: nonvoluntary_ctxt_switches. Each one is a stall no code change can remove; a
 * run with many of them shared its core with other load. NaN once the process is gone.
 */
export function processPreemptions(pid: number): number {
  try {
    const match = /^nonvoluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
