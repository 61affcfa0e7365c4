/**
 * Child process: runs the planning-throughput measurement (bench/phases/planning.ts) in a fresh Node
 * process on esbuild-bundled code — the way the function runs it — and writes its Section as JSON.
 *
 * Usage: node planning.js <records> <runs> <warm-ups> <result file>
 *        node planning.js profile <records> <runs>   (the pipelines only, for --cpu-prof)
 */
import { writeFileSync } from 'node:fs';
import { benchPlanning, runPipelinesForProfile } from '../phases/planning.js';

async function main(): Promise<void> {
  if (process.argv[2] === 'profile') {
    runPipelinesForProfile(Number(process.argv[3]), Number(process.argv[4]));
    return;
  }
  const [records, runs, warmups, resultFile] = process.argv.slice(2);
  if (!resultFile) throw new Error('usage: planning <records> <runs> <warm-ups> <result file>');
  const section = await benchPlanning({ records: Number(records), runs: Number(runs), warmups: Number(warmups) });
  writeFileSync(resultFile, JSON.stringify(section));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`planning: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
