/**
 * For tests of the sliced paths: counts turns of the event loop (a setImmediate that re-arms
 * itself) and, per turn, how many times `touch()` ran (e.g. from a getter the converter reads).
 */
export interface TurnProbe {
  /** Turns counted so far. */
  readonly turns: number
  /** Notes one read in the current turn. */
  touch(): void
  /** Reads per turn (only turns with at least one). */
  readonly perTurn: ReadonlyMap<number, number>
  stop(): void
}

export function turnProbe(): TurnProbe {
  let turns = 0
  let counting = true
  const perTurn = new Map<number, number>()
  const tick = (): void => {
    turns++
    if (counting) setImmediate(tick)
  }
  setImmediate(tick)
  return {
    get turns() {
      return turns
    },
    touch: () => void perTurn.set(turns, (perTurn.get(turns) ?? 0) + 1),
    perTurn,
    stop: () => {
      counting = false
    },
  }
}
