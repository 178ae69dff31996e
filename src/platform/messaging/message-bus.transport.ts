import { applyDecorators, ArgumentsHost, Catch, Controller, Injectable, Logger, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { lastValueFrom, Observable, throwError } from 'rxjs';
import { BackgroundSubscription } from './background-subscription';
import { IncomingMessage, MessageBus } from './message-bus';

/**
 * What an `@EventPattern(topic, extras)` handler declares besides its topic. Handlers of one group
 * share one subscription (one Kafka consumer group); each receives the batches of its topic.
 *
 *   @EventPattern(ORDER_COMPLETED, { group: 'top-sellers' } satisfies ConsumerExtras)
 *   async recordCompleted(@Payload() messages: IncomingMessage[]): Promise<void> { ... }
 */
export interface ConsumerExtras {
  /** Consumer group: consumers with the same group share the work; each group sees every message once. */
  group: string;
  /** Partitions for topics this group creates (default 6). */
  partitions?: number;
}

/** The context a handler can take with `@Ctx()`: the topic of the batch. */
export class MessageBatchContext extends BaseRpcContext<[topic: string]> {
  getTopic(): string {
    return this.args[0];
  }
}

/**
 * The running consumer groups of this instance. A module can keep its group from starting
 * (`disable`, e.g. an API-only instance), and an operator or a test can stop and restart one.
 */
@Injectable()
export class ConsumerGroups {
  private readonly disabled = new Map<string, string>();
  private readonly running = new Map<string, BackgroundSubscription>();

  /** Called before the transport starts (from a module's constructor or onModuleInit). */
  disable(group: string, reason: string): void {
    this.disabled.set(group, reason);
  }

  disabledReason(group: string): string | undefined {
    return this.disabled.get(group);
  }

  register(group: string, subscription: BackgroundSubscription): void {
    this.running.set(group, subscription);
  }

  /** Leaves the group after the batch in hand is handled and committed. */
  async stop(group: string): Promise<void> {
    await this.subscription(group).stop();
  }

  start(group: string): void {
    this.subscription(group).start();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((subscription) => subscription.stop()));
  }

  private subscription(group: string): BackgroundSubscription {
    const subscription = this.running.get(group);
    if (!subscription) throw new Error(`no consumer group ${group} runs here`);
    return subscription;
  }
}

/**
 * The app's consumers as a NestJS transport (`app.connectMicroservice({ strategy })`): every
 * `@EventPattern(topic, { group })` method of a controller becomes a subscription on the profile's
 * MessageBus. With Kafka (full profile) that is its one consumer runner (eachBatch, commit after
 * handling, batch then per-message retries, `<topic>.dlt`); in process (embedded) it is the
 * in-process bus. Subscriptions join in the background, so the app starts with the broker down.
 */
export class MessageBusTransport extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('MessageBusTransport');

  constructor(
    private readonly bus: MessageBus,
    private readonly groups: ConsumerGroups,
  ) {
    super();
  }

  listen(callback: () => void): void {
    for (const [group, subscription] of this.subscriptions()) {
      const disabled = this.groups.disabledReason(group);
      if (disabled) {
        this.logger.log(`consumer group ${group} not started: ${disabled}`);
        continue;
      }
      const background = new BackgroundSubscription(this.bus, subscription);
      this.groups.register(group, background);
      background.start();
    }
    callback();
  }

  async close(): Promise<void> {
    await this.groups.stopAll();
  }

  /** The handlers by group, each group with its topics. */
  private subscriptions(): Map<
    string,
    { groupId: string; topics: string[]; partitions?: number; handleBatch(messages: IncomingMessage[]): Promise<void> }
  > {
    const byGroup = new Map<string, { partitions?: number; handlers: Map<string, MessageHandler> }>();
    for (const [topic, first] of this.getHandlers()) {
      // Event handlers of one pattern are chained through `next` (one per group here).
      for (let handler: MessageHandler | undefined = first; handler; handler = handler.next) {
        if (!handler.isEventHandler)
          throw new Error(`${topic}: consumers are @EventPattern handlers; @MessagePattern has no reply channel here`);
        const extras = handler.extras as Partial<ConsumerExtras> | undefined;
        if (!extras?.group) throw new Error(`@EventPattern('${topic}') needs { group } in its extras`);
        const entry = byGroup.get(extras.group) ?? { partitions: extras.partitions, handlers: new Map<string, MessageHandler>() };
        if (entry.handlers.has(topic)) throw new Error(`group ${extras.group} has two handlers for ${topic}`);
        entry.handlers.set(topic, handler);
        entry.partitions ??= extras.partitions;
        byGroup.set(extras.group, entry);
      }
    }
    return new Map(
      [...byGroup].map(([group, { partitions, handlers }]) => [
        group,
        {
          groupId: group,
          topics: [...handlers.keys()],
          partitions,
          // A batch holds messages of one topic partition, in order.
          handleBatch: (messages: IncomingMessage[]) => this.dispatch(handlers, messages),
        },
      ]),
    );
  }

  private async dispatch(handlers: Map<string, MessageHandler>, messages: IncomingMessage[]): Promise<void> {
    const topic = messages[0].topic;
    const handler = handlers.get(topic);
    if (!handler) throw new Error(`no handler for ${topic}`);
    const result: unknown = await handler(messages, new MessageBatchContext([topic]));
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  on(): never {
    throw new Error('MessageBusTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }
}

/**
 * Nest turns an error thrown by a handler into `{ status: 'error', message }` by default; the
 * runner needs the error itself (MalformedMessageError is dead-lettered at once, and `dlt-error`
 * carries its message), so this filter hands it back unchanged.
 */
@Catch()
export class RethrowToRunner implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a class whose `@EventPattern` methods consume messages: a controller (that is where Nest
 * looks for them) whose handlers' errors reach the runner unchanged. List it in its module's
 * `controllers`. (A global filter on the microservice would come too late: Nest registers
 * hybrid-app listeners when connectMicroservice is called.)
 */
export function MessageConsumer(): ClassDecorator {
  return applyDecorators(Controller(), UseFilters(new RethrowToRunner()));
}
