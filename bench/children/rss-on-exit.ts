/**
 * Preloaded (`node -r`) into a process the bench did not write — the CLI — to learn its peak RSS: at
 * exit, writes `{maxRssKb, heapUsedBytes}` to the file named by BENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env['BENCH_RSS_FILE'];
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    try {
      writeFileSync(file, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, heapUsedBytes: process.memoryUsage().heapUsed }));
    } catch {
      // Nothing to do: the bench reports the missing file.
    }
  });
}
