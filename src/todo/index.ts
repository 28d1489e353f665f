/**
 * The shared todo list of the demo page served by `picostack node` (`npm start`): a
 * {@link TodoKernel} whose rules run in the page and in the node alike.
 *
 * @packageDocumentation
 */
export {
  TodoKernel, TodoMemory, checkTitle, listTodos, refusalOf,
  COLLECTION, MAX_TITLE, MAX_CLOCK_SKEW_MS, MAX_OPS_PER_MINUTE, REJECTIONS
} from './kernel.js'
export type { Todo, TodoOp, TodoQuota, TodoRejection } from './kernel.js'
