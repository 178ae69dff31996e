import { DomainError } from '../errors/domain-error';

/** Opaque list cursors: the last seen id, base64url-encoded so clients do not build them. */
export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const match = /^id:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) {
    throw new DomainError('VALIDATION_FAILED', 'The cursor is not valid', {
      errors: [{ field: 'cursor', message: 'must be a cursor returned by this list' }],
    });
  }
  return Number(match[1]);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from `limit + 1` rows fetched: the extra row only tells that more exist. */
export function pageOf<Row extends { id: number }, T>(rows: Row[], limit: number, view: (row: Row) => T): Page<T> {
  const items = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { items: items.map(view), nextCursor: hasMore ? encodeCursor(items[items.length - 1].id) : null };
}
