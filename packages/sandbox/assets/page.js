// The restgate sandbox page: plain DOM, no framework, no CDN. Updates from the event stream are
// coalesced: at most one render per RENDER_MS, the device table is paged from the server, and the
// log keeps MAX_KEPT messages in memory and shows at most MAX_SHOWN rows.
'use strict'

const MAX_KEPT = 1000
const MAX_SHOWN = 200
const PAGE_SIZE = 25
const RENDER_MS = 200
const MAX_TOPICS = 100

const $ = (id) => document.getElementById(id)
const messages = []
const topics = new Set()
let lastSeq = 0
let missed = 0
let pageOffset = 0
let dirty = { log: true, devices: true, chart: false }
let scheduled = false
let busy = { devices: false, chart: false }

function el(tag, props, ...children) {
  const node = document.createElement(tag)
  if (props) for (const k in props) if (props[k] !== undefined) node[k] = props[k]
  for (const c of children) node.append(c)
  return node
}

const short = (value, max = 240) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > max ? `${text.slice(0, max)}…` : text
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await res.text()
  let data
  try {
    data = text === '' ? null : JSON.parse(text)
  } catch {
    data = text
  }
  if (!res.ok) throw new Error(data && data.error ? data.error : `HTTP ${res.status}`)
  return data
}

function schedule() {
  if (scheduled) return
  scheduled = true
  setTimeout(render, RENDER_MS)
}

function render() {
  scheduled = false
  if (dirty.log && !$('log-pause').checked) renderLog()
  if (dirty.devices) loadDevices()
  if (dirty.chart) loadChart()
}

// ---- live feed ----------------------------------------------------------------------------------

function ingest(list) {
  const chartDevice = $('chart-device').value
  for (const m of list) {
    if (m.seq <= lastSeq && m.seq > 1) continue // already shown (the backlog and the stream overlap)
    lastSeq = m.seq
    messages.push(m)
    if (topics.size < MAX_TOPICS && !topics.has(m.topic)) {
      topics.add(m.topic)
      $('log-topic').append(el('option', { value: m.topic, textContent: m.topic }))
    }
    if (m.kind !== 'other') dirty.devices = true
    if (chartDevice !== '' && m.kind === 'telemetry' && m.devices.includes(chartDevice)) dirty.chart = true
  }
  if (messages.length > MAX_KEPT) messages.splice(0, messages.length - MAX_KEPT)
  dirty.log = true
  schedule()
}

function connect() {
  const events = new EventSource('/api/events')
  events.addEventListener('open', () => {
    $('status').textContent = 'live'
    dirty.devices = true
    schedule()
  })
  events.addEventListener('error', () => {
    $('status').textContent = 'reconnecting…'
  })
  events.addEventListener('message', (e) => {
    const batch = JSON.parse(e.data)
    missed += batch.missed || 0
    ingest(batch.messages)
  })
}

// ---- log ----------------------------------------------------------------------------------------

function renderLog() {
  dirty.log = false
  const device = $('log-device').value.trim()
  const topic = $('log-topic').value
  const rows = []
  for (let i = messages.length - 1; i >= 0 && rows.length < MAX_SHOWN; i--) {
    const m = messages[i]
    if (topic !== '' && m.topic !== topic) continue
    if (device !== '' && !m.devices.includes(device)) continue
    const time = new Date(m.time).toLocaleTimeString()
    const li = el(
      'li',
      { className: m.direction, title: m.raw },
      el('span', { className: 't', textContent: `${time} ${m.direction === 'up' ? '↑' : '↓'} ` }),
      el('span', { className: 'topic', textContent: m.topic }),
      ` ${short(m.raw, 400)}`,
    )
    rows.push(li)
  }
  $('log').replaceChildren(...rows)
  $('log-info').textContent =
    `showing ${rows.length} of the last ${messages.length} kept in this page${missed ? `; ${missed} skipped while the page was behind` : ''}`
}

// ---- devices ------------------------------------------------------------------------------------

function selectDevice(name) {
  for (const id of ['chart-device', 'attr-device', 'rpc-device']) $(id).value = name
  dirty.chart = true
  schedule()
}

function deviceRow(d) {
  const link = el('button', { type: 'button', className: 'device-link', textContent: d.name, title: 'Use this device in the chart and the forms' })
  link.addEventListener('click', () => selectDevice(d.name))
  const attrs = Object.keys(d.sharedAttributes).length > 0 ? { ...d.attributes, shared: d.sharedAttributes } : d.attributes
  const latest = Object.entries(d.latest)
    .map(([k, v]) => `${k}=${short(v.value, 60)}`)
    .join(' ')
  return el(
    'tr',
    { dataset: undefined },
    el('th', { scope: 'row' }, link),
    el('td', { textContent: d.type }),
    el('td', { className: d.connected ? 'on' : 'off', textContent: d.connected ? 'connected' : 'disconnected' }),
    el('td', {}, el('code', { textContent: short(attrs) })),
    el('td', {}, el('code', { textContent: latest })),
  )
}

async function loadDevices() {
  if (busy.devices) return
  busy.devices = true
  dirty.devices = false
  try {
    const q = $('device-filter').value.trim()
    const page = await api(`/api/device-page?offset=${pageOffset}&limit=${PAGE_SIZE}&q=${encodeURIComponent(q)}`)
    if (page.total > 0 && pageOffset >= page.total) {
      pageOffset = Math.max(0, Math.floor((page.total - 1) / PAGE_SIZE) * PAGE_SIZE)
      dirty.devices = true
    }
    $('devices').tBodies[0].replaceChildren(...page.items.map(deviceRow))
    $('devices-empty').hidden = page.devices > 0
    $('count-devices').textContent = String(page.devices)
    $('count-connected').textContent = String(page.connected)
    const first = page.total === 0 ? 0 : pageOffset + 1
    $('page-info').textContent = `${first}–${pageOffset + page.items.length} of ${page.total}`
    $('page-prev').disabled = pageOffset === 0
    $('page-next').disabled = pageOffset + PAGE_SIZE >= page.total
    $('device-names').replaceChildren(...page.items.map((d) => el('option', { value: d.name })))
    const info = await api('/api/info')
    $('count-messages').textContent = String(info.messageCount)
  } catch (error) {
    $('status').textContent = `devices: ${error.message}`
  } finally {
    busy.devices = false
    if (dirty.devices) schedule()
  }
}

// ---- chart --------------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg'
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag)
  for (const k in attrs) node.setAttribute(k, attrs[k])
  if (text !== undefined) node.textContent = text
  return node
}

function drawChart(series) {
  const chart = $('chart')
  const title = svg('title', { id: 'chart-title' }, series.points.length ? `${series.key} of ${series.device}` : 'No data')
  const pts = series.points
  if (pts.length === 0) {
    chart.replaceChildren(title)
    $('chart-caption').textContent = series.key ? `No numeric values of "${series.key}" for ${series.device} yet.` : `${series.device} has no telemetry yet.`
    return
  }
  const W = 600,
    H = 220,
    L = 44,
    B = 18,
    T = 8
  let min = Infinity,
    max = -Infinity
  for (const [, v] of pts) {
    if (v < min) min = v
    if (v > max) max = v
  }
  if (min === max) {
    min -= 1
    max += 1
  }
  const t0 = pts[0][0],
    t1 = pts[pts.length - 1][0] === t0 ? t0 + 1 : pts[pts.length - 1][0]
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 4)
  const y = (v) => T + (1 - (v - min) / (max - min)) * (H - T - B)
  const line = pts.length === 1 ? `${L},${y(pts[0][1])} ${W - 4},${y(pts[0][1])}` : pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  chart.replaceChildren(
    title,
    svg('line', { x1: L, y1: T, x2: L, y2: H - B }),
    svg('line', { x1: L, y1: H - B, x2: W, y2: H - B }),
    svg('text', { x: 2, y: T + 10 }, String(+max.toPrecision(6))),
    svg('text', { x: 2, y: H - B }, String(+min.toPrecision(6))),
    svg('text', { x: L, y: H - 4 }, new Date(t0).toLocaleTimeString()),
    svg('text', { x: W - 70, y: H - 4 }, new Date(t1).toLocaleTimeString()),
    svg('polyline', { points: line }),
  )
  const last = pts[pts.length - 1]
  $('chart-caption').textContent = `${series.key} of ${series.device}: ${pts.length} point(s), latest ${last[1]} at ${new Date(last[0]).toLocaleTimeString()}`
}

async function loadChart() {
  if (busy.chart) return
  const device = $('chart-device').value.trim()
  dirty.chart = false
  if (device === '') return
  busy.chart = true
  try {
    const select = $('chart-key')
    const series = await api(`/api/series?device=${encodeURIComponent(device)}&key=${encodeURIComponent(select.value)}`)
    const keys = series.keys.join('\n')
    if (select.dataset.keys !== keys) {
      const chosen = select.value
      select.replaceChildren(...series.keys.map((k) => el('option', { value: k, textContent: k })))
      select.dataset.keys = keys
      select.value = series.keys.includes(chosen) ? chosen : (series.keys[0] ?? '')
      if (select.value !== series.key) {
        busy.chart = false
        dirty.chart = true
        return loadChart()
      }
    }
    drawChart(series)
  } catch (error) {
    $('chart-caption').textContent = error.message
  } finally {
    busy.chart = false
    if (dirty.chart) schedule()
  }
}

// ---- forms --------------------------------------------------------------------------------------

function parseJson(text, what) {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${error.message}`, { cause: error })
  }
}

function onSubmit(id, handler) {
  $(id).addEventListener('submit', async (e) => {
    e.preventDefault()
    const button = e.target.querySelector('button[type=submit]')
    button.disabled = true
    try {
      await handler()
    } finally {
      button.disabled = false
    }
  })
}

onSubmit('attr-form', async () => {
  const out = $('attr-result')
  out.className = ''
  out.textContent = 'sending…'
  try {
    const data = parseJson($('attr-data').value, 'Data')
    await api('/api/attributes', { device: $('attr-device').value.trim(), data })
    out.textContent = `sent at ${new Date().toLocaleTimeString()}`
  } catch (error) {
    out.className = 'bad'
    out.textContent = error.message
  }
})

onSubmit('rpc-form', async () => {
  const out = $('rpc-reply')
  out.className = ''
  out.textContent = 'waiting for the reply…'
  try {
    const text = $('rpc-params').value.trim()
    const body = { device: $('rpc-device').value.trim(), method: $('rpc-method').value.trim(), params: text === '' ? {} : parseJson(text, 'Params') }
    const timeout = $('rpc-timeout').value
    if (timeout !== '') body.timeoutMs = Number(timeout)
    const reply = await api('/api/rpc', body)
    out.textContent = JSON.stringify(reply, null, 2)
  } catch (error) {
    out.className = 'bad'
    out.textContent = `no reply: ${error.message}`
  }
})

onSubmit('try-form', async () => {
  const out = $('try-result')
  out.className = ''
  out.textContent = 'trying…'
  try {
    const headers = {}
    for (const line of $('try-headers').value.split('\n')) {
      if (line.trim() === '') continue
      const colon = line.indexOf(':')
      if (colon <= 0) throw new Error(`header "${line}" is not "Name: value"`)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const method = $('try-method').value
    const body = { method, endpoint: $('try-endpoint').value.trim(), query: $('try-query').value.trim(), headers }
    if (method !== 'GET' && $('try-body').value !== '') body.body = $('try-body').value
    const result = await api('/api/try', body)
    out.textContent = result.text
  } catch (error) {
    out.className = 'bad'
    out.textContent = error.message
  }
})

// ---- controls -----------------------------------------------------------------------------------

$('device-filter').addEventListener('input', () => {
  pageOffset = 0
  dirty.devices = true
  schedule()
})
$('page-prev').addEventListener('click', () => {
  pageOffset = Math.max(0, pageOffset - PAGE_SIZE)
  dirty.devices = true
  schedule()
})
$('page-next').addEventListener('click', () => {
  pageOffset += PAGE_SIZE
  dirty.devices = true
  schedule()
})
$('chart-device').addEventListener('change', () => {
  $('chart-key').dataset.keys = ''
  dirty.chart = true
  schedule()
})
$('chart-key').addEventListener('change', () => {
  dirty.chart = true
  schedule()
})
$('chart-form').addEventListener('submit', (e) => {
  e.preventDefault()
  dirty.chart = true
  schedule()
})
for (const id of ['log-device', 'log-topic', 'log-pause'])
  $(id).addEventListener(id === 'log-device' ? 'input' : 'change', () => {
    dirty.log = true
    schedule()
  })
$('log-clear').addEventListener('click', () => {
  messages.length = 0
  missed = 0
  dirty.log = true
  schedule()
})

async function start() {
  try {
    const info = await api('/api/info')
    if (!info.try) {
      $('try-unavailable').hidden = false
      for (const node of $('try-form').elements) node.disabled = true
    }
    const recent = await api(`/api/messages?limit=${MAX_SHOWN}`)
    ingest(recent.map((m) => ({ seq: m.seq, time: m.time, direction: m.direction, topic: m.topic, kind: m.kind, devices: m.devices, raw: m.raw })))
  } catch (error) {
    $('status').textContent = error.message
  }
  connect()
}

start()
