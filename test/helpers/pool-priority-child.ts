// Run by pool-priority.system.test.ts in a process of its own, since a lowered thread stays lowered:
// finds this process's thread pool as poolPriority() does (linuxPool()), with as many rounds as it
// takes for every thread to answer — which thread is free for a readlink is up to the pool — then
// asks the pool many more times who runs its work, and prints what it saw.
import { readdirSync, readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { linuxPool, PoolPriority } from '../../src/util/pool-priority.js';

/** A thread's nice value: the 19th field of its stat line, the 17th after the command's closing parenthesis. */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const tidOf = (link: string) => Number(link.split('/').pop());
const size = Number(process.env.UV_THREADPOOL_SIZE);
const mainBefore = getPriority();
const pool = new PoolPriority(linuxPool(), Infinity);
for (let round = 0; round < 10_000 && pool.threads().length < size; round++) {
  pool.lowerPool();
  await Promise.all(Array.from({ length: size }, () => readlink('/proc/thread-self')));
}
const answered = new Set<number>();
for (let i = 0; i < 100; i++) {
  for (const link of await Promise.all(Array.from({ length: size * 2 }, () => readlink('/proc/thread-self')))) answered.add(tidOf(link));
}
const tasks = readdirSync('/proc/self/task').map(Number);
process.stdout.write(
  JSON.stringify({
    main: process.pid,
    mainBefore,
    mainAfter: getPriority(),
    found: pool.threads(),
    answered: [...answered],
    nice: Object.fromEntries(tasks.map((tid) => [tid, niceOf(tid)])),
  }),
);
