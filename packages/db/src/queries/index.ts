export * as organizers from './organizers.js'
export * as tokens from './tokens.js'
export * as events from './events.js'
