import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Table } from './table';

@Entity('probes')
class Probe {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 20 })
  name!: string;

  @Column({ name: 'total_amount', type: 'bigint' })
  totalAmount!: number;

  @Column({ name: 'seen_at', type: 'datetime', precision: 3, nullable: true })
  seenAt!: Date | null;
}

describe('Table', () => {
  const probes = new Table(Probe);

  it('selects every column the entity declares, under its column name', () => {
    expect(probes.name).toBe('probes');
    expect(probes.columns).toBe('id, name, total_amount, seen_at');
    expect(probes.column('totalAmount')).toBe('total_amount');
  });

  it('reads a row as the entity, whichever way the driver returned BIGINT and DATETIME', () => {
    const fromMysql = probes.read({ id: 1, name: 'a', total_amount: '9007199254740991', seen_at: new Date('2026-01-02T03:04:05.678Z') });
    const fromSqlite = probes.read({ id: 1, name: 'a', total_amount: 9007199254740991, seen_at: '2026-01-02 03:04:05.678' });
    expect(fromMysql).toBeInstanceOf(Probe);
    expect(fromSqlite).toEqual(fromMysql);
    expect(fromSqlite.seenAt?.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(probes.read({ id: 2, name: 'b', total_amount: 0, seen_at: null }).seenAt).toBeNull();
  });

  it('reads the same columns through a join alias, and a projection as plain objects', () => {
    const joined = probes.as('p');
    expect(joined.columns).toBe('p.id AS p_id, p.name AS p_name, p.total_amount AS p_total_amount, p.seen_at AS p_seen_at');
    expect(joined.read({ p_id: '3', p_name: 'c', p_total_amount: '5', p_seen_at: null })).toEqual(
      Object.assign(new Probe(), { id: 3, name: 'c', totalAmount: 5, seenAt: null }),
    );
    const names = probes.pick('id', 'name');
    expect(names.columns).toBe('id, name');
    expect(names.read({ id: 4, name: 'd' })).toStrictEqual({ id: 4, name: 'd' });
  });

  it('inserts rows without the generated key, a missing value as NULL', () => {
    const at = new Date();
    expect(
      probes.insert([
        { name: 'a', totalAmount: 1, seenAt: at },
        { name: 'b', totalAmount: 2 },
      ]),
    ).toEqual({
      statement: 'INSERT INTO probes (name, total_amount, seen_at) VALUES (?, ?, ?), (?, ?, ?)',
      params: ['a', 1, at, 'b', 2, null],
    });
  });

  it('refuses a class that is not an entity', () => {
    expect(() => new Table(class NotAnEntity {})).toThrow(/not an @Entity/);
  });
});
