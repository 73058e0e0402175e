export interface CountingView {
  requests: number
  /** Most sockets open at once. */
  peak: number
  /** Sockets open now. */
  open: number
  /** Connections accepted so far. */
  connections: number
  /** `[path, epoch ms]` of requests whose path starts with the asked prefix. */
  arrivals: Array<[string, number]>
}

export interface CountingServer {
  port: number
  close(): Promise<void>
  view(prefix?: string): CountingView
}

export function startCountingServer(answer: boolean): Promise<CountingServer>
