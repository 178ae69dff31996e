import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxRepository } from './outbox.repository';
import { OutboxCommitNudge } from './outbox-commit-nudge';
import { traceContextHeaders } from '../messaging/message-tracing';
import { currentRequestId } from '../observability/app-logger';

/**
 * An event as the producing module's contract builds it (`orderCompleted(order)` in the order
 * module's contracts/): the outbox adds `eventId` and `occurredAt` to `data`.
 */
export interface OutboxEvent<Type extends string = string, Data extends object = object> {
  /** Logical topic, also the event type: `order.completed`. */
  readonly type: Type;
  /** Partition key: events with the same key are published in the order recorded. */
  readonly key: string;
  readonly data: Data;
}

/**
 * The outbox port: records an event inside the caller's transaction, so it exists if and only if
 * the state change committed. A relay publishes recorded events to the message bus.
 */
@Injectable()
export class OutboxWriter {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly nudge: OutboxCommitNudge,
    private readonly outbox: OutboxRepository,
  ) {}

  async record(event: OutboxEvent): Promise<string> {
    if (!this.transactions.inTransaction()) {
      throw new Error(`outbox: ${event.type} must be recorded inside the transaction of its state change`);
    }
    const eventId = randomUUID();
    const occurredAt = new Date();
    const payload = { eventId, occurredAt: occurredAt.toISOString(), ...event.data };
    const headers = {
      'event-id': eventId,
      'event-type': event.type,
      'occurred-at': occurredAt.toISOString(),
      // The request's trace and id travel with the event to the relay's send and every consumer.
      ...traceContextHeaders(),
      ...requestIdHeader(),
    };
    await this.outbox.insert({
      eventId,
      eventType: event.type,
      topic: event.type,
      messageKey: event.key,
      payload: JSON.stringify(payload),
      headers: JSON.stringify(headers),
      occurredAt,
    });
    // Publish right after commit instead of waiting for the relay's next poll (in this process or a worker).
    this.transactions.afterCommit(() => this.nudge.committed());
    return eventId;
  }
}

function requestIdHeader(): Record<string, string> {
  const requestId = currentRequestId();
  return requestId ? { 'x-request-id': requestId } : {};
}
