/** zod schemas of the downlink bounds (`downlink` in rest.json) and the open-fetch switches (`reservedRpc`, `restRpc`). */
import { z } from 'zod'
import { bool, expect, integer, nonEmpty, type LooseSchema } from './_primitives.ts'

export const fetchAccessSchema: LooseSchema = z
  .looseObject(
    {
      enabled: bool('false: the calls are refused with an error reply naming this key. Default true.').optional(),
      allow: z
        .array(
          nonEmpty('a host, host:port or URL prefix', 'A host (`api.example.com`), host:port, or URL prefix (`https://api.example.com/v1/`).'),
          expect('a list of hosts or URL prefixes'),
        )
        .describe('When given (non-empty), only URLs on these hosts or under these prefixes may be fetched. Default: any URL (as the original).')
        .optional(),
    },
    expect('an object'),
  )
  .describe('Which URLs the RPC-driven fetches may reach.')
  .meta({ id: 'FetchAccess' })

export const downlinkSchema: LooseSchema = z
  .looseObject(
    {
      maxConcurrencyPerOrigin: integer(1, 'Requests open at once per target origin (also the connections per origin). Default 8.').optional(),
      maxActiveMessages: integer(1, 'Attribute updates and RPCs worked on at once. Default 256.').optional(),
      maxQueuedMessages: integer(0, 'Attribute updates and RPCs waiting for their turn; beyond, they are dropped visibly. Default 10000.').optional(),
      maxQueuedBytes: integer(1024, 'Bytes of message payloads worked on and waiting; beyond, messages are dropped visibly. Default 16777216.').optional(),
      maxRequests: integer(1, 'HTTP requests built and not finished (waiting for a slot or in flight). Default 1024.').optional(),
    },
    expect('an object'),
  )
  .describe('Bounds of the downlink (ThingsBoard → HTTP) path.')
  .meta({ id: 'Downlink' })
