/**
 * Exit codes of `cpfs-ingest`, in one place; scripts may rely on them (cli/README.md lists them).
 *
 * | code | meaning |
 * |------|---------|
 * | 0    | everything done: every record submitted (or ignored / duplicate), every check passed |
 * | 1    | done, but some records were rejected or failed for good, a check failed, or the thing asked about was not found |
 * | 2    | usage or configuration error: nothing was sent; fix the command line or the variables |
 * | 3    | retryable / remote failure: throttling, network, deadline, a listing error — running the same command again later may succeed (backfill resumes from its checkpoint) |
 * | 130  | interrupted (SIGINT); backfill saved its checkpoint first |
 */
export const EXIT = Object.freeze({
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  RETRYABLE: 3,
  INTERRUPTED: 130,
} as const);

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table above, for `--help`. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    ok',
  '  1    some records were rejected or failed for good, a check failed, or nothing was found',
  '  2    usage or configuration error (nothing was sent)',
  '  3    retryable or remote failure (throttling, network, deadline, listing): try again later',
  '  130  interrupted (backfill saves its checkpoint first)',
].join('\n');
