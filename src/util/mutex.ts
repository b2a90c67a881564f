// One at a time per key, across everything in this process: for work that rewrites a shared file
// whole (a kubeconfig), which two writers at once would leave with only one writer's change.
const tails = new Map<string, Promise<void>>();

export async function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = tails.get(key) ?? Promise.resolve();
  let release = () => {};
  const mine = new Promise<void>((r) => (release = r));
  const tail = before.then(() => mine);
  tails.set(key, tail);
  await before;
  try {
    return await work();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
