/**
 * The actions the emulator answers. It keeps its own list (rather than the client's `OperationName`) so
 * it can speak an action before the client does — e.g. CancelDataFlowSubTask (docs/platform.md §1) —
 * and stays an independent check of the client.
 */
import type { OperationName } from '../shared/nas/types.js';

export type EmulatorOperationName = OperationName | 'CancelDataFlowSubTask';
