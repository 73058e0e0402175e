import type { TargetView } from './_downlink-targets.ts'

export interface CountingServer {
  port: number
  close(): Promise<void>
  view(prefix?: string): TargetView
}

export function startCountingServer(answer: boolean): Promise<CountingServer>
