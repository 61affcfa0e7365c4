/**
 * Per-instance memory, kept across the invocations of a warm instance (`Runtime.state`, shared/runtime.ts:
 * built with the runtime on the instance's first invocation, functions/oss-stream-import/handler.ts).
 * Nothing here is needed for correctness — ClientTokens are — it saves API calls and quota. Split by
 * concern; each part is changed only through its methods.
 */

/** The Executing StreamImport task per stream group key. */
export class StreamTaskCache {
  private readonly tasks = new Map<string, string>();

  get(groupKey: string): string | undefined {
    return this.tasks.get(groupKey);
  }

  set(groupKey: string, taskId: string): void {
    this.tasks.set(groupKey, taskId);
  }

  /** Forgets a task that stopped taking sub-tasks, so the next use resolves it again. */
  delete(groupKey: string): void {
    this.tasks.delete(groupKey);
  }
}

/** What the file system turned out not to support (learnt once per instance, never unlearnt). */
export class Capabilities {
  private noStreamImport = false;
  private noCreateDir = false;

  /** A LINGJUN file system answered that StreamImport is not supported (older than 2.6). */
  get streamImportUnsupported(): boolean {
    return this.noStreamImport;
  }

  /** CreateDirIfNotExist was refused (LINGJUN older than 2.6): Import tasks are sent without it. */
  get createDirUnsupported(): boolean {
    return this.noCreateDir;
  }

  markStreamImportUnsupported(): void {
    this.noStreamImport = true;
  }

  markCreateDirUnsupported(): void {
    this.noCreateDir = true;
  }
}

/** Sub-task ClientToken → DataFlowSubTaskId already obtained; lets a replay skip what it already sent. */
export class SubmittedSubTasks {
  private readonly submitted = new Map<string, string>();

  constructor(private readonly maxRemembered = 200_000) {}

  remember(clientToken: string, subTaskId: string): void {
    if (this.submitted.size >= this.maxRemembered) {
      // Insertion order is age order: drop the oldest tenth at once rather than one per insert.
      let drop = Math.ceil(this.maxRemembered / 10);
      for (const key of this.submitted.keys()) {
        this.submitted.delete(key);
        if (--drop === 0) break;
      }
    }
    this.submitted.set(clientToken, subTaskId);
  }

  lookup(clientToken: string): string | undefined {
    return this.submitted.get(clientToken);
  }
}

export class InstanceState {
  readonly streamTasks = new StreamTaskCache();
  readonly capabilities = new Capabilities();
  readonly subTasks: SubmittedSubTasks;

  constructor(maxRemembered = 200_000) {
    this.subTasks = new SubmittedSubTasks(maxRemembered);
  }

  /** Read-only views kept for callers that only ask (tests, status): the flags change through `capabilities`. */
  get streamImportUnsupported(): boolean {
    return this.capabilities.streamImportUnsupported;
  }

  get createDirUnsupported(): boolean {
    return this.capabilities.createDirUnsupported;
  }
}
