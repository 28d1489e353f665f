// The demo page's entry: boots this tab's peer, then mounts the Svelte app.
import { mount } from 'svelte'
import App from './App.svelte'
import { describeError, isQuotaError, keep, startPeer } from './peer.js'

const target = document.getElementById('app') as HTMLElement
try {
  const peer = keep(await startPeer())
  // failures outside a user action (a block from a peer that cannot be stored ...) still reach the user
  addEventListener('unhandledrejection', e => {
    if (isQuotaError(e.reason)) peer.setError(describeError(e.reason))
  })
  target.replaceChildren()
  mount(App, { target })
} catch (err) {
  target.innerHTML = '<p role="alert" class="fatal"></p>'
  ;(target.firstChild as HTMLElement).textContent = `The app could not start: ${describeError(err)}`
}
