// Kept for cli/commands/plan.ts (another area); the helpers live in shared/cpfs/utf8.ts.
export { utf8ByteLength } from '../cpfs/utf8.js';
