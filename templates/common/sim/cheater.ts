// A peer that runs no rules at all: its `tasks` collection accepts, and so signs, anything.
// The tests and the simulation use it to check that honest peers refuse what it sends.
import { SimpleKernel } from 'picostack/kernel'
import { Memory } from 'picostack/store'
import type { ComputeContext } from 'picostack/store'

/** A kernel with a `tasks` collection and no rules. */
export class Cheater extends SimpleKernel {
  readonly tasks = this.store.register('tasks', class extends Memory<unknown> {
    override compute (_value: unknown, { payload }: ComputeContext): unknown { return payload }
  })
}
