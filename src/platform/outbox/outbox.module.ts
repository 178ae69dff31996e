import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxCommitNudge } from './outbox-commit-nudge';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';
import { OutboxSignal } from './outbox-signal';
import { OutboxWriter } from './outbox-writer';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OutboxEvent])],
  providers: [OutboxRepository, OutboxWriter, OutboxSignal, OutboxCommitNudge, OutboxRelay, OutboxMetrics],
  exports: [OutboxWriter, OutboxRelay],
})
export class OutboxModule {}
