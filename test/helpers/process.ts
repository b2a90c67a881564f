// Watching processes a test started: whether one is still there, and waiting until something holds.

/** The process exists (signal 0 checks without sending anything). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls `ok` every 20 ms until it holds or `ms` pass; says whether it held. */
export const until = async (ok: () => boolean, ms = 5000): Promise<boolean> => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  return ok();
};
