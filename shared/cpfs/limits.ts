/**
 * Documented CPFS / data-flow limits (docs/platform.md §1), and the OSS naming rules of the data flow's
 * source (§6), each written once. Emulator keeps its own copy on purpose (an independent check);
 * everything under shared/, cli/ and functions/ imports from here.
 */

/**
 * Directory, DstDirectory, SrcFilePath, DstFilePath, EntryList and Includes paths: 1–1,023 "characters",
 * counted in Unicode code points (see {@link cpfsPathLength} in path-rules.ts for why that unit).
 */
export const MAX_PATH_CHARS = 1023;
/** NAME_MAX of Linux file systems: longest single name (path segment), in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;
/**
 * EntryList: total length "less than 64 KB" (docs/platform.md §1, newer API texts; the seed said "cannot
 * exceed") — counted as UTF-8 bytes of the JSON text as sent, so at most 65,535.
 */
export const MAX_ENTRY_LIST_BYTES = 65_535;
/** Includes: at most 3,000 characters (code points) in total (the JSON text as sent). */
export const MAX_INCLUDES_CHARS = 3000;

/**
 * OSS object names — the data flow's source keys — are 1–1,023 bytes of UTF-8 (docs/platform.md §6; older
 * OSS pages say "characters", the current naming page bytes: the stricter reading). A listing prefix or start
 * key, and so a CPFS_RECONCILE_PREFIXES entry, can be no longer.
 */
export const MAX_OSS_KEY_BYTES = 1023;

/** OSS bucket names (docs/platform.md §6): the pattern, and the rule as errors state it. */
export const OSS_BUCKET_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
export const OSS_BUCKET_RULE = '3–63 lowercase letters, digits or hyphens, alphanumeric at both ends';
