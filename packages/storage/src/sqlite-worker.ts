/**
 * Entry of the sqlite backend's database thread (built to dist/sqlite-worker.mjs; sqlite.ts starts
 * it with `new Worker(url)` from the file next to itself). It loads better-sqlite3, the optional
 * peer dependency, and wires the parts: the files (sqlite-worker-files.ts), the state
 * (sqlite-worker-state.ts) and the message loop (sqlite-worker-loop.ts).
 */
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as path from 'node:path'
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads'
import type BetterSqlite3 from 'better-sqlite3'
import type { WorkerEnv, WorkerInit } from './sqlite-protocol.ts'
import { sqliteWorkerFiles } from './sqlite-worker-files.ts'
import { sqliteWorkerLoop } from './sqlite-worker-loop.ts'
import { sqliteWorkerSalvage } from './sqlite-worker-salvage.ts'
import { sqliteWorkerMain } from './sqlite-worker-state.ts'

if (parentPort === null) throw new Error('sqlite-worker: must run as a worker thread (started by createSqliteStorage)')

const env: WorkerEnv = {
  port: parentPort,
  init: workerData as WorkerInit,
  Database: createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3,
  fs,
  path,
  receive: receiveMessageOnPort,
  salvage: sqliteWorkerSalvage,
}
const ops = sqliteWorkerMain(env, sqliteWorkerFiles)
if (ops !== undefined) sqliteWorkerLoop(env, ops)
