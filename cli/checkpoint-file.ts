/**
 * The CLI's checkpoint store: a JSON file, replaced atomically (written to a temporary file beside it,
 * flushed to disk, then renamed over it), so an interrupt or a crash leaves either the previous checkpoint
 * or the new one, never half of one.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { BackfillCheckpointSchema, type BackfillCheckpoint, type CheckpointStore } from '../shared/backfill.js';
import { ValidationError } from '../shared/errors.js';

export function fileCheckpointStore(path: string): CheckpointStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
        throw new ValidationError('--checkpoint', `cannot read ${path} (${String((error as { code?: unknown }).code ?? 'read error')})`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ValidationError('--checkpoint', `${path} is not JSON: not a cpfs-ingest backfill checkpoint`);
      }
      const parsed = BackfillCheckpointSchema.safeParse(json);
      if (!parsed.success) throw new ValidationError('--checkpoint', `${path} is not a cpfs-ingest backfill checkpoint (version 1)`);
      return parsed.data;
    },
    async save(checkpoint: BackfillCheckpoint) {
      const temporary = `${path}.${process.pid}.tmp`;
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(`${JSON.stringify(checkpoint, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
  };
}
