import type { RequestInfo } from './types.ts'

/**
 * A complete RequestInfo from the parts given: method `POST`, path `/`, no headers, query or path
 * parameters, an empty body and `receivedAt` = now unless given. For tests and for callers that
 * convert data that did not come over HTTP.
 */
export function createRequestInfo(init: Partial<RequestInfo> = {}): RequestInfo {
  const info: RequestInfo = {
    method: init.method ?? 'POST',
    path: init.path ?? '/',
    headers: init.headers ?? {},
    query: init.query ?? {},
    params: init.params ?? {},
    body: init.body ?? new Uint8Array(0),
    receivedAt: init.receivedAt ?? Date.now(),
  }
  if (init.contentType !== undefined) info.contentType = init.contentType
  return info
}
