/** undici Agents (keep-alive pools) per TLS setup, and the certificate files they need. */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import type { OutboundSecurity } from '@restgate/config'
import { Agent } from 'undici'
import { DispatcherError } from './errors.ts'

/** PEM contents for a client certificate (`security.type: cert`) and/or a CA to trust. */
export interface TlsMaterial {
  cert?: Buffer
  key?: Buffer
  ca?: Buffer
}

function resolveFile(file: string, configDir: string): string {
  const expanded = file === '~' || file.startsWith('~/') ? homedir() + file.slice(1) : file
  return resolve(configDir, expanded)
}

/**
 * Reads the PEM files of a `cert` security section (paths relative to the config folder, `~`
 * expanded). A `cert` without `key` uses the cert file for both (a combined PEM).
 *
 * @throws {DispatcherError} `DISPATCHER_TLS_FILES` naming the config path and the file.
 */
export async function loadTlsMaterial(security: OutboundSecurity, configDir: string, path: string): Promise<TlsMaterial | undefined> {
  if (security.type !== 'cert') return undefined
  const read = async (field: 'cert' | 'key' | 'ca', file: string): Promise<Buffer> => {
    const full = resolveFile(file, configDir)
    try {
      return await readFile(full)
    } catch (e) {
      const reason = (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e))
      throw new DispatcherError('DISPATCHER_TLS_FILES', `${path}.security.${field}: cannot read "${full}" (${reason})`, {
        path: `${path}.security.${field}`,
        cause: e,
      })
    }
  }
  const settled = await Promise.allSettled([
    read('cert', security.cert),
    security.key === undefined ? undefined : read('key', security.key),
    security.ca === undefined ? undefined : read('ca', security.ca),
  ])
  // several unreadable files: always report the first in field order (cert, key, ca), not whichever failed first
  const failure = settled.find((r) => r.status === 'rejected')
  if (failure !== undefined) throw failure.reason
  const [cert, key, ca] = settled.map((r) => (r as PromiseFulfilledResult<Buffer | undefined>).value)
  return { cert: cert as Buffer, key: key ?? (cert as Buffer), ...(ca === undefined ? {} : { ca }) }
}

export interface AgentPool {
  /** The shared Agent for this TLS setup (one per distinct combination). */
  agentFor(sslVerify: boolean, tls: TlsMaterial | undefined, tlsKey: string): Agent
  /**
   * Resolves when `agent` next reports a socket of `origin` gone (disconnect or failed connect), or
   * after `maxMs`: an aborted try keeps its origin slot until its socket is really closed, so a new
   * connection never overlaps the one being torn down.
   */
  socketGone(agent: Agent, origin: string, maxMs: number): Promise<void>
  close(): Promise<void>
  /** Aborts every connection now. */
  destroy(): Promise<void>
}

/**
 * `connectionsPerOrigin` caps undici's sockets per origin (the dispatcher's per-origin limit), so
 * the limit holds at the socket level too, aborted tries included.
 */
export function createAgentPool(connectionsPerOrigin: number): AgentPool {
  const agents = new Map<string, Agent>()
  const gone = new WeakMap<Agent, Map<string, Array<() => void>>>()
  const watch = (agent: Agent): void => {
    const waiters = new Map<string, Array<() => void>>()
    gone.set(agent, waiters)
    const onGone = (origin: unknown): void => {
      const key = typeof origin === 'string' ? origin : origin instanceof URL ? origin.origin : String(origin)
      waiters.get(key)?.shift()?.()
    }
    agent.on('disconnect', onGone)
    agent.on('connectionError', onGone)
  }
  return {
    socketGone(agent, origin, maxMs) {
      const waiters = gone.get(agent)
      if (waiters === undefined) return Promise.resolve()
      return new Promise<void>((settle) => {
        let list = waiters.get(origin)
        if (list === undefined) waiters.set(origin, (list = []))
        const done = (): void => {
          clearTimeout(timer)
          settle()
        }
        const timer = setTimeout(() => {
          const at = list.indexOf(done)
          if (at !== -1) list.splice(at, 1)
          settle()
        }, maxMs)
        list.push(done)
      })
    },
    agentFor(sslVerify, tls, tlsKey) {
      const id = `${sslVerify ? 'verify' : 'noverify'}|${tlsKey}`
      let agent = agents.get(id)
      if (agent === undefined) {
        agent = new Agent({
          connections: connectionsPerOrigin,
          connect: {
            rejectUnauthorized: sslVerify,
            ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls?.key === undefined ? {} : { key: tls.key }),
            ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
          },
        })
        watch(agent)
        agents.set(id, agent)
      }
      return agent
    },
    async close() {
      await Promise.all([...agents.values()].map((a) => a.close()))
      agents.clear()
    },
    async destroy() {
      await Promise.all([...agents.values()].map((a) => a.destroy()))
      agents.clear()
    },
  }
}
