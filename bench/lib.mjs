// Small timing helpers shared by the benchmarks: wall time of whole commands, medians, and the
// peak resident memory of a process read from /proc while it runs. A command given timeoutMs is
// stopped (SIGTERM, then SIGKILL) when it runs longer, so a benchmark stays bounded in time.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (err += d));
    let peakKiB = 0;
    const poll = opts.memory
      ? setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
          } catch {
            /* exited */
          }
        }, 20)
      : undefined;
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }, opts.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (timedOut) err += `\n(stopped after ${opts.timeoutMs} ms)`;
      if ((code !== 0 || timedOut) && !opts.allowFail)
        reject(new Error(`${cmd} ${args.join(' ')} ${timedOut ? `timed out after ${opts.timeoutMs} ms` : `exited ${code ?? signal}`}\n${err.slice(-2000)}`));
      else resolve({ ms, code: code ?? -1, timedOut, out, err, peakMiB: peakKiB / 1024 });
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
