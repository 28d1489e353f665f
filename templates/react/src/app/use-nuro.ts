// The nuro adapter for React: useNuro($neuron) returns the neuron's current value.
import * as React from 'react'
import { createUseNuro } from 'picostack/nuro/react'

/** `useNuro($n)`: the current value of neuron `$n` (pass the same neuron on every render). */
export const useNuro = createUseNuro(React)
