import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import { IdempotencyService } from './idempotency.service';

/** The Idempotency-Key store; @Idempotent() routes reach it through IdempotentHandler, a pipe Nest resolves per controller module. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([IdempotencyKey])],
  providers: [IdempotencyKeyRepository, IdempotencyService],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
