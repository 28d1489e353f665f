// The page: the blockend runs here, in the browser; Svelte renders its state.
import { mount } from 'svelte'
import App from './App.svelte'
import { start } from './connect'
import './style.css'

await start('__APP_NAME__', (kernel, target) => { mount(App, { target, props: { kernel } }) })
