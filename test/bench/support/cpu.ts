// CPU accounting from Linux /proc, so a benchmark can say how much of the machine others used
// while it ran (the machines are shared; a noisy run is reported, not hidden).
import { readdirSync, readFileSync } from 'node:fs';

/** A process's pid, parent and CPU seconds so far (user + system), from /proc/<pid>/stat. */
function processStat(pid: string): { pid: number; ppid: number; cpu: number } | undefined {
  try {
    // Fields after the command name, which is in parentheses and may itself contain ") ".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / 100 }; // USER_HZ is 100
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * CPU seconds processes have used so far on the whole machine (every core), from /proc/stat.
 * Interrupt time is left out: loopback networking runs there and /proc charges it to no process,
 * so it would show up as somebody else's load.
 */
function machineBusySeconds(): number {
  const [, user = 0, nice = 0, system = 0] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  return (user + nice + system) / 100;
}

export interface Cpu {
  /** One process of interest (0 when none was named). */
  process: number;
  /** This process and everything it started. */
  ours: number;
  /** Every process on the machine, so machine - ours is load this benchmark did not cause. */
  machine: number;
}

/** CPU seconds used so far; the difference of two snapshots is the CPU spent in between. */
export function cpuSnapshot(pid?: number): Cpu {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((p) => processStat(p) ?? []);
  const ours = new Set([process.pid]);
  // Parents have lower pids than their children only until pids wrap, so iterate to a fixed point.
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of stats) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  const sum = (filter: (p: { pid: number }) => boolean): number => stats.filter(filter).reduce((total, p) => total + p.cpu, 0);
  return { process: sum((p) => p.pid === pid), ours: sum((p) => ours.has(p.pid)), machine: machineBusySeconds() };
}
