// The page: the blockend runs here, in the browser; React renders its state.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { start } from './connect'
import './style.css'

await start('__APP_NAME__', (kernel, target) => {
  createRoot(target).render(<StrictMode><App kernel={kernel} /></StrictMode>)
})
