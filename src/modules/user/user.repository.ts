import { Injectable } from '@nestjs/common';
import type { Role } from '../../platform/auth/authenticated-user';
import { Sql } from '../../platform/database/sql';
import { Table } from '../../platform/database/table';
import { User } from './entities/user.entity';

const USERS = new Table(User);
const RECORD = USERS.pick('id', 'email', 'passwordHash', 'name', 'role');

/** A stored account. */
export type UserRecord = ReturnType<typeof RECORD.read>;

/** All SQL of `users`, through `Sql` (in the caller's transaction when there is one); rows become records through {@link RECORD}. */
@Injectable()
export class UserRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the account; a taken email fails as a unique violation (`isUniqueViolation`). */
  async insert(user: { email: string; passwordHash: string; name: string; role: Role }, at: Date): Promise<UserRecord> {
    const { statement, params } = USERS.insert([{ ...user, createdAt: at }]);
    const { insertId } = await this.sql.run(statement, params);
    return { id: insertId!, ...user };
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.findOne('email = ?', email);
  }

  async findById(id: number): Promise<UserRecord | undefined> {
    return this.findOne('id = ?', id);
  }

  async existsWithEmail(email: string): Promise<boolean> {
    return (await this.sql.count('users WHERE email = ?', [email])) > 0;
  }

  async count(): Promise<number> {
    return this.sql.count('users');
  }

  private async findOne(condition: string, value: unknown): Promise<UserRecord | undefined> {
    const { rows } = await this.sql.run(`SELECT ${RECORD.columns} FROM users WHERE ${condition}`, [value]);
    return rows.length ? RECORD.read(rows[0]) : undefined;
  }
}
