const JSON_MEDIA_TYPE = /^\s*application\/(?:[\w!#$%&*.^`|~-]+\+)?json\s*(?:;|$)/i

/** True for `application/json` and `application/<anything>+json` (parameters such as charset allowed). */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_MEDIA_TYPE.test(contentType)
}
