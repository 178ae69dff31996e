import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectAppConfig } from '../../platform/config/config.module';
import { AppConfig, runsBackgroundWork } from '../../platform/config/app-config';
import { UserService } from './user.service';

export const DEMO_USER = { email: 'demo@example.com', password: 'demo-password', name: 'Demo User' } as const;

/** Accounts that exist from the first start: the bootstrap admin, and the demo user when seeding. */
@Injectable()
export class AccountBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AccountBootstrap');

  constructor(
    private readonly users: UserService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Seed only an empty database, before the admin exists, so an operator's data is never touched;
    // only where background work runs, so api replicas starting together do not seed it twice.
    if (this.config.seedDemoData && runsBackgroundWork(this.config) && (await this.users.countUsers()) === 0) {
      await this.users.signup(DEMO_USER);
      this.logger.log(`seeded demo user ${DEMO_USER.email} / ${DEMO_USER.password}`);
    }
    const { email, password } = this.config.admin;
    if (email && password && (await this.users.ensureAdmin(email, password))) {
      this.logger.log(`created admin account ${email}`);
    }
  }
}
