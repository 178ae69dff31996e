import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Role } from '../../platform/auth/authenticated-user';
import { User } from './entities/user.entity';

/** A stored account. */
export type UserRecord = Pick<User, 'id' | 'email' | 'passwordHash' | 'name' | 'role'>;

/**
 * All SQL of `users`, through TypeORM: sign-up and login are dominated by argon2, not by the
 * statement. Entities become records in one mapper ({@link userFromEntity}).
 */
@Injectable()
export class UserRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inserts the account; a taken email fails as a unique violation (`isUniqueViolation`). */
  async insert(user: { email: string; passwordHash: string; name: string; role: Role }, at: Date): Promise<UserRecord> {
    return userFromEntity(await this.users.save(this.users.create({ ...user, createdAt: at })));
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const user = await this.users.findOneBy({ email });
    return user ? userFromEntity(user) : undefined;
  }

  async findById(id: number): Promise<UserRecord | undefined> {
    const user = await this.users.findOneBy({ id });
    return user ? userFromEntity(user) : undefined;
  }

  async existsWithEmail(email: string): Promise<boolean> {
    return this.users.existsBy({ email });
  }

  async count(): Promise<number> {
    return this.users.count();
  }
}

function userFromEntity(user: User): UserRecord {
  return { id: Number(user.id), email: user.email, passwordHash: user.passwordHash, name: user.name, role: user.role };
}
