// The live demo end to end: `picostack node` (this checkout's bin, offline) serves the page,
// two browser contexts (two users, separate storage) sync through it in headless Chromium.
// DEMO_SCREENSHOTS=1 also saves docs/demo.png and docs/devtools.png.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { browserAvailable, bundleEntry } from '../helpers/browser.js'
import { WAIT, addTodo, demoNode, launch, openTab, openUser, peers, twoUsers, userKey } from './_page.js'
import type { Output as Hostile } from './hostile.entry.js'

const skip = !browserAvailable() && 'chromium not installed'
const docs = fileURLToPath(new URL('../../docs/', import.meta.url))
const screenshots = process.env.DEMO_SCREENSHOTS === '1'

test('demo page: two users sync through the node; the rules hold; reload and node restart lose nothing', { skip }, async t => {
  const { node, browser, alice, bob } = await twoUsers(t)
  const alicePk = await userKey(alice.page)
  assert.notEqual(alicePk, await userKey(bob.page))

  // a todo added in one context appears in the other
  await addTodo(alice.page, 'buy milk')
  const bobsBox = bob.page.getByRole('checkbox', { name: 'buy milk', exact: true })
  await bobsBox.waitFor()
  assert.equal(await bobsBox.isChecked(), false)

  // bob may not toggle alice's todo: refused with the reason, the box stays unchecked
  await bobsBox.click()
  await bob.page.getByRole('alert').filter({ hasText: 'NotAuthor' }).waitFor()
  assert.equal(await bobsBox.isChecked(), false)
  // ... and the panel shows the refused block with its reason
  await bob.page.getByRole('link', { name: 'Devtools', exact: true }).click()
  const refusal = bob.page.locator('.blocks li.rejected').filter({ hasText: 'NotAuthor' })
  await refusal.waitFor()
  assert.match(await refusal.innerText(), /rejected.*NotAuthor.*Rejected/s)
  await bob.page.getByRole('button', { name: 'Dismiss' }).click()
  await bob.page.getByRole('link', { name: 'Todos', exact: true }).click()

  // the author may; bob sees it
  await alice.page.getByRole('checkbox', { name: 'buy milk', exact: true }).check()
  await bob.page.locator('li.done').filter({ hasText: 'buy milk' }).waitFor()
  // edit and delete by the author
  await addTodo(alice.page, 'walk the dog')
  await alice.page.getByRole('button', { name: 'Edit walk the dog' }).click()
  const edit = alice.page.getByLabel('Edit walk the dog')
  await edit.fill('walk the cat')
  await edit.press('Enter')
  await bob.page.getByRole('checkbox', { name: 'walk the cat', exact: true }).waitFor()
  await addTodo(bob.page, 'bob was here')
  await addTodo(alice.page, 'temporary')
  await bob.page.getByRole('checkbox', { name: 'temporary', exact: true }).waitFor()
  await alice.page.getByRole('button', { name: 'Delete temporary' }).click()
  await bob.page.getByRole('checkbox', { name: 'temporary', exact: true }).waitFor({ state: 'detached' })
  // a title over the bound is refused by the author's own page
  await alice.page.getByLabel('New todo').fill('x'.repeat(201))
  await alice.page.getByLabel('New todo').press('Enter')
  await alice.page.getByRole('alert').filter({ hasText: 'TitleTooLong' }).waitFor()
  await alice.page.getByRole('button', { name: 'Dismiss' }).click()
  await alice.page.getByLabel('New todo').fill('')

  if (screenshots) {
    mkdirSync(docs, { recursive: true })
    await alice.page.screenshot({ path: docs + 'demo.png' })
    await bob.page.getByRole('link', { name: 'Devtools', exact: true }).click()
    await bob.page.locator('.blocks li.rejected').first().waitFor()
    await bob.page.screenshot({ path: docs + 'devtools.png', fullPage: true })
    await bob.page.getByRole('link', { name: 'Todos', exact: true }).click()
  }

  // a reload keeps everything: the identity and the todos (IndexedDB)
  await alice.page.reload()
  await alice.page.locator('li.done').filter({ hasText: 'buy milk' }).waitFor()
  await alice.page.getByRole('checkbox', { name: 'walk the cat', exact: true }).waitFor()
  assert.equal(await userKey(alice.page), alicePk)
  await peers(alice.page, 1)

  // the node stops: both pages go on offline, then catch up when it is back
  await node.stop()
  await peers(alice.page, 0)
  await peers(bob.page, 0)
  await addTodo(alice.page, 'written offline')
  assert.equal(await bob.page.getByRole('checkbox', { name: 'written offline' }).count(), 0)
  await node.start()
  await peers(alice.page, 1)
  await peers(bob.page, 1)
  await bob.page.getByRole('checkbox', { name: 'written offline', exact: true }).waitFor()

  // the node kept everything: a third user, with only the node to learn from, sees it all
  await alice.context.close()
  await bob.context.close()
  const carol = await openUser(browser, node.url)
  for (const title of ['buy milk', 'walk the cat', 'bob was here', 'written offline']) {
    await carol.page.getByRole('checkbox', { name: title, exact: true }).waitFor()
  }
  assert.equal(await carol.page.getByRole('checkbox', { name: 'buy milk', exact: true }).isChecked(), true)
  assert.equal(await carol.page.getByRole('checkbox', { name: 'temporary' }).count(), 0)
  assert.deepEqual([...alice.errors, ...bob.errors, ...carol.errors], [])
})

test('demo page: bad input from a page (garbage, forged blocks, a window overrun, rule-breaking todos, a flood) leaves the node and other pages unharmed', { skip }, async t => {
  const { node, browser, alice, bob } = await twoUsers(t)

  // the offender: a page of the demo running attack code (its CSP bypassed to inject it)
  const mallory = await openUser(browser, node.url, { bypassCSP: true })
  const js = await bundleEntry(new URL('./hostile.entry.ts', import.meta.url), null)
  await mallory.page.addScriptTag({ content: js, type: 'module' })
  await mallory.page.waitForFunction(() => (globalThis as { __picostackResult?: unknown }).__picostackResult !== undefined, undefined, { timeout: WAIT })
  const r = await mallory.page.evaluate(() => (globalThis as unknown as { __picostackResult: Promise<{ ok: boolean, value?: Hostile, error?: string }> }).__picostackResult)
  assert.ok(r.ok, r.error)
  const out = r.value as Hostile
  // each attack closed its connection with a typed error (WebSocket code 4000, reason = the code)
  assert.deepEqual(out.garbage, { code: 4000, reason: 'ProtocolError' })
  assert.deepEqual(out.text, { code: 4000, reason: 'ProtocolError' })
  assert.deepEqual(out.forged, { code: 4000, reason: 'InvalidBlocks', bye: out.byes.invalidBlocks })
  assert.equal(out.overrun.code, 4000)
  assert.ok(['Flood', 'ProtocolError'].includes(out.overrun.reason), out.overrun.reason)
  // rule-breaking todos were refused, the good one after them arrived, that peer was not dropped
  await bob.page.getByRole('checkbox', { name: 'sent after bad todos', exact: true }).waitFor()
  assert.equal(await bob.page.locator('ul.todos li').count(), 1)
  assert.equal(await mallory.page.evaluate(() => (globalThis as unknown as { __hostilePlug: { isClosed: boolean } }).__hostilePlug.isClosed), false)

  // a flood of todos from one page: the node and the other page keep up, nothing is lost
  const FLOOD = 300
  await mallory.page.evaluate(async n => {
    const k = (globalThis as unknown as { __demo: { kernel: { addTodo: (t: string) => Promise<string> } } }).__demo.kernel
    await Promise.all(Array.from({ length: n }, (_, i) => k.addTodo(`flood ${i}`)))
  }, FLOOD)
  await addTodo(alice.page, 'after the flood')
  await bob.page.getByRole('checkbox', { name: 'after the flood', exact: true }).waitFor()
  await bob.page.getByRole('checkbox', { name: `flood ${FLOOD - 1}`, exact: true }).waitFor()
  assert.equal(await bob.page.locator('ul.todos li').count(), FLOOD + 2)
  await peers(alice.page, 1)
  assert.deepEqual([...alice.errors, ...bob.errors], [])
  assert.equal(node.proc.child.exitCode, null)
})

test('demo page: storage unavailable or full is a readable error, and the page keeps working', { skip }, async t => {
  const node = await demoNode(t)
  const browser = await launch(t)

  // private mode without IndexedDB: the page says so and runs in memory
  const noIdb = await browser.newContext()
  await noIdb.addInitScript(() => { Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true }) })
  const { page: p1, errors: e1 } = await openTab(noIdb, node.url)
  await p1.getByRole('alert').filter({ hasText: 'Storage unavailable' }).waitFor()
  await addTodo(p1, 'kept in memory')
  await peers(p1, 1)

  // quota exceeded on a write: a readable error, the todo is not shown as saved, later writes work
  const full = await browser.newContext()
  await full.addInitScript(() => {
    const put = IDBObjectStore.prototype.put
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: [unknown, IDBValidKey?]) {
      if ((globalThis as { __quota?: boolean }).__quota === true) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
      return put.apply(this, args)
    }
  })
  const { page: p2, errors: e2 } = await openTab(full, node.url)
  await p2.evaluate(() => { (globalThis as { __quota?: boolean }).__quota = true })
  const input = p2.getByLabel('New todo')
  await input.fill('too much')
  await input.press('Enter')
  await p2.getByRole('alert').filter({ hasText: 'quota exceeded' }).waitFor()
  assert.equal(await p2.getByRole('checkbox', { name: 'too much' }).count(), 0)
  await p2.evaluate(() => { (globalThis as { __quota?: boolean }).__quota = false })
  await p2.getByRole('button', { name: 'Dismiss' }).click()
  await addTodo(p2, 'fits again')
  // both still sync: each sees the other's todo through the node
  await p1.getByRole('checkbox', { name: 'fits again', exact: true }).waitFor()
  await p2.getByRole('checkbox', { name: 'kept in memory', exact: true }).waitFor()
  assert.deepEqual([...e1, ...e2], [])
})

test('demo page: two tabs of one browser profile sync with each other while the node is stopped', { skip }, async t => {
  const node = await demoNode(t)
  const browser = await launch(t)
  const context = await browser.newContext()
  const a = await openTab(context, node.url)
  const b = await openTab(context, node.url)
  // each tab is a peer with its own database and key: the node and the other tab
  await peers(a.page, 2)
  await peers(b.page, 2)
  assert.notEqual(await userKey(a.page), await userKey(b.page))
  await b.page.getByRole('link', { name: 'Devtools', exact: true }).click()
  await b.page.locator('tr', { hasText: 'tab' }).filter({ hasText: 'open' }).first().waitFor()
  assert.match(await b.page.getByText(/IndexedDB "picostack-demo(-1)?"/).innerText(), /picostack-demo/)
  await b.page.getByRole('link', { name: 'Todos', exact: true }).click()

  await node.stop()
  await peers(a.page, 1)
  await peers(b.page, 1)
  await addTodo(a.page, 'tab to tab')
  await b.page.getByRole('checkbox', { name: 'tab to tab', exact: true }).waitFor()
  await addTodo(b.page, 'and back')
  await a.page.getByRole('checkbox', { name: 'and back', exact: true }).waitFor()
  // the node, back, learns both
  await node.start()
  const other = await openUser(browser, node.url)
  await other.page.getByRole('checkbox', { name: 'tab to tab', exact: true }).waitFor()
  await other.page.getByRole('checkbox', { name: 'and back', exact: true }).waitFor()
  assert.deepEqual([...a.errors, ...b.errors, ...other.errors], [])
})
