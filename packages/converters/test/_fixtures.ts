import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** A temporary folder with the given files (path → content); `cleanup()` removes it. */
export async function makeTree(files: Record<string, string>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'restgate-converters-'))
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, content)
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Source of a converter module: its convert returns one record naming `tag`. */
export function converterSource(tag: string, exportLine: (body: string) => string): string {
  const body = `{ convert(data, request) { return { deviceName: ${JSON.stringify(tag)}, attributes: { bytes: request.body.length } } } }`
  return `${exportLine(body)}\n`
}
