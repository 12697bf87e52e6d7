import { Type, type TSchema } from '@sinclair/typebox'

export const MAX_PAGE_SIZE = 50

export const PageQuery = Type.Object({
  page: Type.Optional(Type.String({ description: 'Page number, from 1' })),
  page_size: Type.Optional(Type.String({ description: `Results per page, at most ${MAX_PAGE_SIZE}` }))
})

export const Paginated = <T extends TSchema>(item: T) => Type.Object({
  count: Type.Integer(),
  next: Type.Union([Type.String(), Type.Null()]),
  previous: Type.Union([Type.String(), Type.Null()]),
  results: Type.Array(item)
})
