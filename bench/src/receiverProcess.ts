// The webhook receiver as a process of its own (PORT), as an organizer's system would be: its work
// then does not hold up the load generator's event loop in the benchmark's process.
import { startReceiver } from './receiver.js'

const receiver = await startReceiver(Number(process.env.PORT ?? 0))
process.on('SIGTERM', () => { receiver.close().then(() => process.exit(0), () => process.exit(1)) })
