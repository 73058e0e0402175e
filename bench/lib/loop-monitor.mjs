// Loaded into the process under test (`node --import ./bench/lib/loop-monitor.mjs`) by
// bench/stall-probe.mts: a 0 ms timer re-armed from its own callback measures every gap between two
// of its turns, in wall-clock time and in the process's CPU time (process.cpuUsage: all threads,
// so concurrent GC work counts too). On a shared machine the CPU figure is the robust one: a wall
// gap also holds the time the OS gave the CPU to other processes. At exit it writes the turns as
// [end (process.hrtime in ms, the machine's monotonic clock: comparable across processes), wall ms,
// cpu ms] to $LOOP_MONITOR_FILE, and the garbage collector's pauses of the main thread as [end,
// ms, 'minor' | 'major' | ...]; `loopFigures()` of stall-probe.mts summarises a window of them.
import { writeFileSync } from 'node:fs'
import { constants, PerformanceObserver, performance } from 'node:perf_hooks'

const file = process.env.LOOP_MONITOR_FILE
if (file) {
  const turns = []
  let lastWall = process.hrtime.bigint()
  let lastCpu = process.cpuUsage()
  const tick = () => {
    const now = process.hrtime.bigint()
    const used = process.cpuUsage(lastCpu)
    turns.push([Number(now / 1000n) / 1000, Number(now - lastWall) / 1e6, (used.user + used.system) / 1000])
    lastWall = now
    lastCpu = process.cpuUsage()
    setTimeout(tick, 0).unref()
  }
  setTimeout(tick, 0).unref()
  const gc = []
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  }
  // entries carry performance-timeline times: shifted onto the hrtime clock of the turns
  const shift = Number(process.hrtime.bigint() / 1000n) / 1000 - performance.now()
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push([e.startTime + e.duration + shift, e.duration, kinds[e.detail?.kind] ?? String(e.detail?.kind)])
  }).observe({ entryTypes: ['gc'] })
  process.on('exit', () => writeFileSync(file, JSON.stringify({ turns, gc })))
}
