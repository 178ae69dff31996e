import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectAppConfig } from '../../platform/config/config.module';
import { AppConfig } from '../../platform/config/app-config';
import { UserService } from './user.service';

@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly users: UserService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { email, password } = this.config.admin;
    if (!email || !password) return;
    if (await this.users.ensureAdmin(email, password)) this.logger.log(`created admin account ${email}`);
  }
}
