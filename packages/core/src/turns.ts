/**
 * One shared queue of turns of the event loop for long work split into slices (a big request's
 * parse, conversion, checks and storing). `nextTurn()` resolves in a later turn of the loop, and
 * the queue hands out ONE turn per loop iteration, first come first served, whichever package
 * asked: so however many big bodies are in progress, one loop iteration runs at most one slice
 * of them, and the I/O of every other request (polled between iterations) waits for one slice,
 * not for one slice per big body. Work that takes no turn is not delayed by this.
 */

const waiting: Array<() => void> = []
let head = 0
let scheduled = false

function runOne(): void {
  const next = waiting[head] as () => void
  waiting[head] = undefined as unknown as () => void
  head++
  if (head === waiting.length) {
    waiting.length = 0
    head = 0
    scheduled = false
  } else {
    // an immediate queued while immediates run fires in the NEXT loop iteration, after its I/O poll
    setImmediate(runOne)
  }
  // the slice runs in the microtask checkpoint that follows this callback
  next()
}

/**
 * Resolves in a later turn of the event loop, one waiter per turn (FIFO across every caller in the
 * process). `await nextTurn()` between the slices of a long job.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve)
    if (!scheduled) {
      scheduled = true
      setImmediate(runOne)
    }
  })
}

/** Waiters not yet given their turn (for tests and metrics). */
export function turnsWaiting(): number {
  return waiting.length - head
}
