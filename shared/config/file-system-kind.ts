import { ValidationError } from '../errors.js';

/**
 * The two CPFS editions differ in what the data-flow API allows (docs/platform.md §1): `bmcpfs-…` is CPFS for
 * LINGJUN (StreamImport, sub-tasks and CreateDirIfNotExist from V2.6.0; ConflictPolicy required;
 * at most 4 batch tasks per data flow), `cpfs-…` is CPFS general purpose (batch Import only).
 */
export type FileSystemKind = 'lingjun' | 'general';

/** What a file system id looks like: the edition prefix, then lowercase letters and digits. */
export const FILE_SYSTEM_ID_PATTERN = /^(?:bmcpfs|cpfs)-[0-9a-z]+$/;

/**
 * Tells the CPFS edition from the file system id.
 * @throws ValidationError(`fileSystemId`, …) for an id that is neither `bmcpfs-…` nor `cpfs-…`.
 */
export function fileSystemKind(fileSystemId: string): FileSystemKind {
  if (!FILE_SYSTEM_ID_PATTERN.test(fileSystemId)) {
    throw new ValidationError('fileSystemId', 'must be bmcpfs-… (CPFS for LINGJUN) or cpfs-… (CPFS general purpose)');
  }
  return fileSystemId.startsWith('bmcpfs-') ? 'lingjun' : 'general';
}
