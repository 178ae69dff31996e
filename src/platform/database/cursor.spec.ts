import { DomainError } from '../errors/domain-error';
import { decodeCursor, encodeCursor, pageOf } from './cursor';

describe('list cursors', () => {
  it('round-trips an id through an opaque, URL-safe string', () => {
    for (const id of [1, 42, 999_999_999_999_999]) {
      const cursor = encodeCursor(id);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor).not.toContain(String(id));
      expect(decodeCursor(cursor)).toBe(id);
    }
  });

  it('reads no cursor as the first page', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it('rejects a cursor it did not make as VALIDATION_FAILED on the cursor field', () => {
    for (const cursor of [
      '',
      'abc',
      Buffer.from('id:').toString('base64url'),
      Buffer.from('id:-1').toString('base64url'),
      Buffer.from('id:1234567890123456').toString('base64url'),
    ]) {
      let error: unknown;
      try {
        decodeCursor(cursor);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('VALIDATION_FAILED');
    }
  });

  it('pages limit + 1 rows: the extra row only says there is a next page, which starts after the last item', () => {
    const rows = [{ id: 9 }, { id: 7 }, { id: 4 }];
    const page = pageOf(rows, 2, (row) => row.id);
    expect(page.items).toEqual([9, 7]);
    expect(decodeCursor(page.nextCursor!)).toBe(7);
    expect(pageOf(rows, 3, (row) => row.id)).toEqual({ items: [9, 7, 4], nextCursor: null });
  });
});
