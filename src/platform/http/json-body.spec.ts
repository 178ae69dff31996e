import { malformedTextField, nestsDeeperThan } from './json-body';

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(nestsDeeperThan('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ a: '[[[[{{{{' }), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ a: 'quote \\" then [[[[' }), 1)).toBe(false);
  });

  it('handles a body far deeper than the stack allows', () => {
    expect(nestsDeeperThan('['.repeat(1_000_000), 32)).toBe(true);
  });
});

describe('malformedTextField', () => {
  it('names the first key or string holding half of a surrogate pair, as validation names fields', () => {
    expect(malformedTextField({ email: '\ud800', name: 'ok' })).toBe('email');
    expect(malformedTextField({ items: [{ productId: 1 }, { note: 'a\udfffb' }] })).toBe('items.1.note');
    expect(malformedTextField({ ['bad\ud83d']: 1 })).toBe('bad\ud83d');
    expect(malformedTextField('\udc00')).toBe('body');
  });

  it('accepts whole pairs and every other value', () => {
    expect(malformedTextField({ name: 'emoji \ud83d\ude00', n: 1, b: true, z: null, list: ['ü', '漢'] })).toBeUndefined();
  });
});
