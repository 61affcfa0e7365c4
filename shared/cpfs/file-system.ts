import { ValidationError } from '../errors.js';

/**
 * The two CPFS editions differ in what the data-flow API allows (docs/platform.md §1): `bmcpfs-…` is CPFS for
 * LINGJUN (StreamImport, sub-tasks and CreateDirIfNotExist from V2.6.0; ConflictPolicy required;
 * at most 4 batch tasks per data flow), `cpfs-…` is CPFS general purpose (batch Import only).
 * This is the one vocabulary for the edition across config, planning and the request schemas.
 */
export const FILE_SYSTEM_KINDS = ['lingjun', 'general'] as const;
export type FileSystemKind = (typeof FILE_SYSTEM_KINDS)[number];

/**
 * What a file system id looks like: the edition prefix, then lowercase letters and digits.
 * UNVERIFIED: the docs show ids such as `bmcpfs-290w65p03ok64ya` and `cpfs-125487` but state no pattern;
 * this is the one id pattern (config and request schemas).
 */
export const FILE_SYSTEM_ID_PATTERN = /^(?:bmcpfs|cpfs)-[0-9a-z]+$/;

/** The rule of {@link FILE_SYSTEM_ID_PATTERN} in plain words, for error messages. */
export const FILE_SYSTEM_ID_RULE = 'must be bmcpfs-… (CPFS for LINGJUN) or cpfs-… (CPFS general purpose), followed by lowercase letters and digits';

/** The edition a well-formed file system id names, or `undefined` when it is not one. */
export function fileSystemKindOf(fileSystemId: unknown): FileSystemKind | undefined {
  if (typeof fileSystemId !== 'string' || !FILE_SYSTEM_ID_PATTERN.test(fileSystemId)) return undefined;
  return fileSystemId.startsWith('bmcpfs-') ? 'lingjun' : 'general';
}

/**
 * Tells the CPFS edition from the file system id.
 * @throws ValidationError(`fileSystemId`, …) for an id that is neither `bmcpfs-…` nor `cpfs-…`.
 */
export function fileSystemKind(fileSystemId: string): FileSystemKind {
  const kind = fileSystemKindOf(fileSystemId);
  if (kind === undefined) throw new ValidationError('fileSystemId', FILE_SYSTEM_ID_RULE);
  return kind;
}
