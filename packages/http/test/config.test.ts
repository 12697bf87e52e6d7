import t from 'tap'
import { Type } from '@sinclair/typebox'
import { loadConfig } from '../src/config.js'

const Env = Type.Object({
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  PORT: Type.Integer({ default: 8001 })
})

t.test('an empty variable counts as unset, in the given environment and in the process\'s own', async (t) => {
  t.same(loadConfig(Env, { PUBLIC_URL: '', PORT: '' }), { PORT: 8001 })
  // As a ConfigMap or a compose file sets an optional variable it leaves empty.
  process.env.PUBLIC_URL = ''
  t.teardown(() => { delete process.env.PUBLIC_URL })
  t.same(loadConfig(Env), { PORT: 8001 })
  t.same(loadConfig(Env, { PUBLIC_URL: 'https://fair.example.org', PORT: '9000' }), { PUBLIC_URL: 'https://fair.example.org', PORT: 9000 })
})

t.test('a bad value stops with the variable\'s name', async (t) => {
  t.throws(() => loadConfig(Env, { PUBLIC_URL: 'fair.example.org' }), /PUBLIC_URL must match pattern/)
})
