import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['**/dist/**', '**/node_modules/**', '**/.tap/**', '**/coverage/**', 'var/**']
  }),
  {
    rules: {
      // TypeBox pairs a schema and its static type under one name: `const X = Type...; type X = Static<typeof X>`.
      'no-redeclare': 'off',
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
