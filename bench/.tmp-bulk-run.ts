import { benchBulk } from './phases/bulk.js';
import { formatTable } from './lib/report.js';
const n = Number(process.argv[2] ?? 100000);
const s = await benchBulk({ objects: n, objectsShapeSample: Math.min(n, 20000) });
console.log(formatTable([s]));
for (const note of s.notes) console.log('-', note);
console.log(JSON.stringify((s.details as any).runs.map((r: any) => ({ shape: r.shape, status: r.status, calls: r.callsByOperation, parts: r.manifestParts, ms: Math.round(r.durationMs) }))));
console.log(JSON.stringify({ shape: (s.details as any).objectsSample.shape, status: (s.details as any).objectsSample.status, calls: (s.details as any).objectsSample.callsByOperation }));
