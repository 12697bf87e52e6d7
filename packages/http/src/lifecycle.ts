import type { FastifyInstance } from 'fastify'
import closeWithGrace from 'close-with-grace'

/** Listens, and on SIGTERM/SIGINT closes the app (in-flight requests finish, pools close) before exiting. */
export async function serve (app: FastifyInstance, port: number, host: string): Promise<void> {
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'stopping after an error')
    else app.log.info({ signal }, 'stopping')
    await app.close()
  })
  await app.listen({ port, host })
}
