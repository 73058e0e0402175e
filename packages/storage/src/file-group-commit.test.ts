import { describe, expect, it } from 'vitest'
import { createGroupCommit } from './file-group-commit.ts'

/** A flush that stays open until `release()`: records the batches it received. */
function gatedFlush(): { batches: number[][]; open: number; release(): void; flush(items: number[]): Promise<undefined[]> } {
  const gates: Array<() => void> = []
  const state = {
    batches: [] as number[][],
    open: 0,
    release() {
      for (const g of gates.splice(0)) g()
    },
    async flush(items: number[]): Promise<undefined[]> {
      state.batches.push(items)
      state.open++
      await new Promise<void>((resolve) => gates.push(resolve))
      state.open--
      return items.map(() => undefined)
    },
  }
  return state
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('createGroupCommit', () => {
  it('one flush at a time by default: items added meanwhile go together into the next one, in order', async () => {
    const f = gatedFlush()
    const gc = createGroupCommit<number>((items) => f.flush(items))
    const first = gc.add(1)
    await tick()
    const rest = [2, 3, 4].map((i) => gc.add(i))
    await tick()
    expect(f.batches).toEqual([[1]])
    expect(gc.queued).toBe(3)
    f.release()
    await first
    await tick()
    await tick()
    expect(f.batches).toEqual([[1], [2, 3, 4]])
    f.release()
    await Promise.all(rest)
    await gc.idle()
    expect(f.open).toBe(0)
  })

  it('with maxFlushes 2, a second batch goes out while the first is still open, a third waits', async () => {
    const f = gatedFlush()
    const gc = createGroupCommit<number>((items) => f.flush(items), 2)
    const all = [gc.add(1)]
    await tick()
    all.push(gc.add(2), gc.add(3))
    await tick()
    all.push(gc.add(4))
    await tick()
    expect(f.batches).toEqual([[1], [2, 3]])
    expect(f.open).toBe(2)
    expect(gc.flushing).toBe(3)
    expect(gc.queued).toBe(1)
    f.release()
    await tick()
    await tick()
    expect(f.batches).toEqual([[1], [2, 3], [4]])
    f.release()
    await Promise.all(all)
    await gc.idle()
    expect(gc.flushing).toBe(0)
  })

  it('a failed flush rejects exactly its own items', async () => {
    let n = 0
    const gc = createGroupCommit<number>(async (items) => {
      n++
      if (n === 1) throw new Error('disk on fire')
      return items.map(() => undefined)
    })
    const a = gc.add(1)
    await expect(a).rejects.toThrow('disk on fire')
    await expect(gc.add(2)).resolves.toBeUndefined()
  })
})
