import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, runsBackgroundWork } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { Broadcast } from '../broadcast/broadcast';
import { OutboxSignal } from './outbox-signal';

/** The channel relays listen on (`<REDIS_KEY_PREFIX>outbox:committed` in Redis). */
const OUTBOX_COMMITTED = 'outbox:committed';

/**
 * Tells a relay that events were committed, so it publishes them now instead of at its next poll.
 * Where the relay runs in this process (APP_ROLE all or worker) that is the in-process
 * OutboxSignal. An `api` process has no relay: it broadcasts the nudge, which the relays of the
 * full profile's other processes listen to (Redis pub/sub). A nudge lost while Redis is away costs
 * latency only: the relay's poll (OUTBOX_POLL_INTERVAL_MS) finds the rows all the same.
 */
@Injectable()
export class OutboxCommitNudge implements OnApplicationBootstrap {
  private readonly relayHere: boolean;

  constructor(
    private readonly signal: OutboxSignal,
    private readonly broadcast: Broadcast,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.relayHere = runsBackgroundWork(config);
  }

  /** Called after a transaction that recorded events committed. */
  committed(): void {
    // Only here, not broadcast: another process's relay would wake to claim rows this one claims.
    if (this.relayHere) this.signal.notify();
    else this.broadcast.publish(OUTBOX_COMMITTED, '1');
  }

  /** The relays listen for other processes' commits. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.relayHere) await this.broadcast.subscribe(OUTBOX_COMMITTED, () => this.signal.notify());
  }
}
